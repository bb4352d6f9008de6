"""The moderation vocabulary (one table of actions and their words) and how decisions read it over HTTP."""

import pytest
from sqlalchemy import delete, select

from app.config import get_settings
from app.errors import STATUS_WORDS
from app.models import FORMER_MEMBER, ModAction, Post, PostStatus, Report, ReportStatus, User
from app.services import decisions, thread_tools
from app.services.moderation_actions import (
    ACTIONS,
    APPEAL_LOGGED,
    AUTO_HIDE,
    CLAIM_LOGGED,
    LOGGED,
    TALK_LOGGED,
    THREAD_FLAGS,
    THREAD_LOGGED,
    choices,
)
from tests import queries
from tests.factories import load, make_moderator, make_thread, make_user, opening_post, report
from tests.http import csrf_of, htmx


def hidden_post(session) -> tuple[Post, int]:
    """Mod-Willow to decide on a post by Author-Two that Mod-Ash reported, so it waits hidden for a
    decision: every action applies to it."""
    make_moderator(session, "Mod-Willow")
    post = opening_post(
        session, make_thread(session, make_user(session, "Author-Two"), body="Words to look at.")
    )
    outcome = report(session, post, make_moderator(session, "Mod-Ash"))
    session.commit()
    assert outcome.hidden
    return post, outcome.report.id


def test_every_action_has_its_words_its_step_and_a_place_in_the_log():
    for name, action in ACTIONS.items():
        assert action.logged and action.done and action.button, name
        assert action.report_status in (ReportStatus.dismissed, ReportStatus.actioned), name
        assert LOGGED[name] == action.logged
    assert set(decisions.STEPS) == set(ACTIONS)
    assert {a for pair in THREAD_FLAGS.values() for a in pair} == set(THREAD_LOGGED)
    logged = set(ACTIONS) | set(THREAD_LOGGED) | {AUTO_HIDE} | set(CLAIM_LOGGED) | set(TALK_LOGGED)
    logged |= set(APPEAL_LOGGED)
    assert set(LOGGED) == logged
    for status in (PostStatus.visible, PostStatus.hidden_pending_review):
        offered = choices(status)
        assert {a for a, _, _ in offered} <= set(ACTIONS) and sum(main for _, _, main in offered) == 1


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_decision_is_told_and_logged_in_the_words_of_its_action(session, browsers, action):
    post, report_id = hidden_post(session)
    moderator = browsers("Mod-Willow")
    queue_page = moderator.get("/mod").text
    for value, words, _main in choices(PostStatus.hidden_pending_review):
        assert f'name="action" value="{value}"' in queue_page and words in queue_page

    done = moderator.post(
        f"/mod/reports/{report_id}",
        data={"action": action, "days": "2"},
        headers=htmx(csrf_of(moderator, "/mod")),
    )

    assert done.status_code == 200 and ACTIONS[action].done in done.text
    log_page = moderator.get("/mod/log").text
    assert f"<strong>Mod-Willow</strong>\n      {ACTIONS[action].logged}" in log_page
    assert "by Author-Two" in log_page and "The report threshold" not in log_page


def test_the_log_names_the_threshold_an_erased_author_and_no_author_for_thread_tools(session, browsers):
    mod = make_moderator(session, "Mod-Willow")
    gone = make_user(session, "Soon-Gone")
    thread = make_thread(session, gone, body="Left behind.")
    post = opening_post(session, thread)
    session.execute(delete(User).where(User.id == gone.id))
    session.commit()
    for n in range(get_settings().report_hide_threshold):
        report(session, post, make_user(session, f"Reporter-{n}"))
    thread_tools.set_locked(session, thread=thread, moderator=mod, on="1")

    page = browsers("Mod-Willow").get("/mod/log").text
    entries = page[page.index('<ol class="mod-log">') : page.index("</ol>")]

    assert f"The report threshold</strong>\n      {LOGGED[AUTO_HIDE]}" in entries
    assert entries.count(f"by {FORMER_MEMBER}") == 1  # the lock of the same thread names no one


def _statements_of(call) -> list[str]:
    with queries.statements() as sent:
        call()
    return [sql for sql, _params in sent]


def _reads_the_group(statements: list[str]) -> bool:
    # The group's own query: it counts the author's removed posts in a subquery of its own.
    return any("FROM post AS removed" in sql for sql in statements)


def test_a_decision_reads_the_report_group_only_when_an_error_shows_the_form(session, browsers):
    post, report_id = hidden_post(session)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    url = f"/mod/reports/{report_id}"
    refused = []
    statements = _statements_of(
        lambda: refused.append(moderator.post(url, data={"action": "x"}, headers=htmx(token)))
    )
    assert refused[0].status_code == 422 and refused[0].headers["HX-Retarget"] == f"#report-group-p{post.id}"
    assert _reads_the_group(statements)

    statements = _statements_of(lambda: moderator.post(url, data={"action": "hide", "csrf_token": token}))
    assert not _reads_the_group(statements)
    assert load(Post, post.id).status == PostStatus.hidden


def test_a_second_decision_on_a_handled_report_is_409_once_and_changes_nothing(session, browsers):
    post, report_id = hidden_post(session)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    first = moderator.post(f"/mod/reports/{report_id}", data={"action": "remove", "csrf_token": token})
    again = moderator.post(f"/mod/reports/{report_id}", data={"action": "restore", "csrf_token": token})

    assert first.status_code == 303
    assert again.status_code == 409 and again.text.count(decisions.STALE) == 1
    assert "Nothing is open here any more" in again.text
    assert load(Post, post.id).status == PostStatus.removed
    actions = session.scalars(select(ModAction.action).order_by(ModAction.id)).all()
    session.commit()
    assert actions == [AUTO_HIDE, "remove"]


@pytest.mark.parametrize("action", ["dismiss", "obliterate"])
def test_a_decision_on_a_report_that_never_existed_is_a_plain_404_page(session, browsers, action):
    make_moderator(session, "Mod-Willow")
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    plain = moderator.post("/mod/reports/424242", data={"action": action, "csrf_token": token})
    fragment = moderator.post("/mod/reports/424242", data={"action": action}, headers=htmx(token))

    assert plain.status_code == 404 and f'<h1 id="error-title">{STATUS_WORDS[404][0]}</h1>' in plain.text
    assert "That report does not exist." in plain.text
    assert fragment.status_code == 404 and fragment.headers["HX-Retarget"] == "#flash"
    assert session.scalar(select(Report.id)) is None
