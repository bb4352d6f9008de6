"""In-app notices at /me/notifications: each kind from its event, grouped replies, read when seen,
kinds turned off, the header's quiet count at a constant number of queries, erasure and export."""

import pytest
from sqlalchemy import func, select, update

from app.models import Notice, Post, PostStatus, User
from app.services import conversations, decisions, muting, notices, posting, reporting, talk
from tests import queries
from tests.factories import (
    PASSPHRASE,
    join_via_http,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
)
from tests.html import by_id, parse, root
from tests.http import csrf_of, htmx

TITLE = "Evenings are the hardest"


def _user(session, name) -> User:
    session.rollback()
    found = session.scalar(
        select(User).where(User.pseudonym == name).execution_options(populate_existing=True)
    )
    session.commit()
    return found


def _notices(client) -> list[tuple[str, str]]:
    """(kind, words) of each notice the page shows, newest first (opening the page reads them)."""
    page = parse(client.get("/me/notifications").text)
    for when in page.select("#notices li .meta"):
        when.decompose()  # the time's words are timewords' business
    return [(li["data-kind"], " ".join(li.get_text(" ").split())) for li in page.select("#notices li")]


def _header(client, path="/guidelines") -> str:
    return " ".join(by_id(client.get(path).text, "notices-link").get_text().split())


def _rows(session, user) -> list[Notice]:
    found = list(session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))
    session.commit()
    return found


def _reply(session, thread, author, body="Sending strength.", **kw):
    return posting.reply(session, thread_id=thread.id, author=author, body=body, **kw)


def _reply_via_http(client, thread_id, body="I hear you.", *, with_htmx=False):
    token = csrf_of(client, f"/t/{thread_id}")
    if with_htmx:
        return client.post(f"/t/{thread_id}/reply", data={"body": body}, headers=htmx(token))
    return client.post(f"/t/{thread_id}/reply", data={"body": body, "csrf_token": token})


# --- replies ------------------------------------------------------------------------------------


def test_replies_are_grouped_per_thread_in_one_notice_and_shown_once(client, other_client, session):
    join_via_http(client, "Author-A")
    join_via_http(other_client, "Reader-B")
    a = _user(session, "Author-A")
    thread = make_thread(session, a, title=TITLE)
    assert _header(client) == "Notices"

    assert _reply_via_http(other_client, thread.id).status_code == 303  # without JS
    assert _header(client) == "Notices (1)"
    assert _reply_via_http(other_client, thread.id, with_htmx=True).status_code == 200
    _reply(session, thread, make_user(session, "Third-C"))
    assert _header(client) == "Notices (1)", "one notice per member and thread, however many replies"
    assert len(_rows(session, a)) == 1

    shown = _notices(client)
    assert shown == [("reply", f"New: 3 new replies in ‘{TITLE}’")]
    link = parse(client.get("/me/notifications").text).select_one("#notices li a")["href"]
    first = session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
    assert link == f"/t/{thread.id}#p{first}", "it leads to the first new reply"
    assert _header(client) == "Notices", "read when seen"

    # A reply after the notice was read starts a new one; the read one stays, without "New".
    _reply(session, thread, make_user(session, "Fourth-D"))
    assert [words for _, words in _notices(client)] == [
        f"New: A new reply in ‘{TITLE}’",
        f"3 new replies in ‘{TITLE}’",
    ]


def test_those_who_replied_hear_of_later_replies_but_nobody_of_their_own(session, client):
    a, b = make_user(session, "Author-A"), make_user(session, "Reader-B")
    thread = make_thread(session, a, title=TITLE)
    _reply(session, thread, b)
    _reply(session, thread, a)
    assert [n.kind for n in _rows(session, b)] == ["reply"]
    assert [n.count for n in _rows(session, a)] == [1], "A's own reply told A nothing"
    assert _user(session, "Author-A").notices_unread == 1
    outsider = make_user(session, "Outsider-E")
    assert _rows(session, outsider) == []


def test_replies_by_a_muted_member_do_not_notify_the_muter_in_the_shape_muted(session):
    a, b = make_user(session, "Author-A"), make_user(session, "Reader-B")
    thread = make_thread(session, a, title=TITLE)
    named = _reply(session, thread, b)
    assert _rows(session, a)[0].count == 1
    muting.mute_author(session, post=named, muter=a)
    _reply(session, thread, b)
    assert _rows(session, a)[0].count == 1, "a muted member's reply does not notify"
    _reply(session, thread, b, anonymous=True)  # the mute covers B's named posts only
    assert _rows(session, a)[0].count == 2


def test_a_reply_as_a_member_or_to_the_moderators_leaks_no_name_and_no_private_post(session, client):
    join_via_http(client, "Author-A")
    thread = make_thread(session, _user(session, "Author-A"), title=TITLE)
    b = make_user(session, "Secret-Name")
    _reply(session, thread, b, to_moderators=True)
    assert _rows(session, _user(session, "Author-A")) == [], "nothing sent only to moderators notifies"
    _reply(session, thread, b, anonymous=True)
    page = client.get("/me/notifications").text
    assert "Secret-Name" not in page and f"A new reply in ‘{TITLE}’" in page


def test_a_reply_first_sent_only_to_the_moderators_notifies_once_its_author_posts_it(session):
    a, b = make_user(session, "Author-A"), make_user(session, "Reader-B")
    thread = make_thread(session, a, title=TITLE)
    private = _reply(session, thread, b, to_moderators=True)
    assert _rows(session, a) == []
    posting.publish(session, post=private, author=b)
    assert [(n.kind, n.count, n.post_id) for n in _rows(session, a)] == [("reply", 1, private.id)]


# --- the author's post hidden, removed, restored; the reporters' outcome -----------------------


def _reported(session, author, n=3, *, title=TITLE):
    post = opening_post(session, make_thread(session, author, title=title, body="Hard words."))
    reports = [report(session, post, make_user(session, f"Reporter-{i}")).report for i in range(n)]
    session.commit()
    return post, reports


def test_reports_hiding_a_post_tell_its_author_without_saying_who_or_how_many(session, client):
    join_via_http(client, "Author-A")
    post, _ = _reported(session, _user(session, "Author-A"))
    assert post.status == PostStatus.hidden_pending_review
    page = client.get("/me/notifications").text
    assert f"Your post in ‘{TITLE}’ was reported, so it is hidden from readers" in page
    assert "Reporter-" not in page and "3" not in parse(page).select_one("#notices").get_text()
    assert _rows(session, _user(session, "Reporter-0")) == [], "reporters hear when a moderator decides"


@pytest.mark.parametrize(
    ("action", "author_words", "outcome"),
    [
        (
            "remove",
            f"A moderator removed your post in ‘{TITLE}’. The reason given: Name-calling",
            "removed it.",
        ),
        (
            "hide",
            f"A moderator hid your post in ‘{TITLE}’. The reason given: Name-calling",
            "hid it from readers.",
        ),
        ("restore", f"A moderator looked at your post in ‘{TITLE}’ and it is shown again.", "kept it up."),
        ("dismiss", f"A moderator looked at your post in ‘{TITLE}’ and it is shown again.", "kept it up."),
    ],
)
def test_a_decision_tells_the_author_and_each_reporter_never_naming_the_moderator(
    session, browsers, action, author_words, outcome
):
    author = make_user(session, "Author-A")
    mod = make_moderator(session, "Mod-Willow")
    post, reports = _reported(session, author)
    moderator = browsers("Mod-Willow")
    answer = moderator.post(
        f"/mod/reports/{reports[0].id}",
        data={"action": action, "reason": "Name-calling", "csrf_token": csrf_of(moderator, "/mod")},
    )
    assert answer.status_code == 303
    shown = _notices(browsers("Author-A"))
    assert len(shown) == 2  # hidden by reports, then this decision
    assert author_words in shown[0][1] and "Mod-Willow" not in shown[0][1]
    for i in range(3):
        [(kind, words)] = _notices(browsers(f"Reporter-{i}"))
        assert kind == "report_outcome"
        assert words.startswith(f"New: A moderator reviewed the post you reported in ‘{TITLE}’ and {outcome}")
        assert "Mod-Willow" not in words and "Author-A" not in words
    assert _rows(session, mod) == []


def test_dismissing_reports_on_a_post_nobody_hid_tells_the_author_nothing(session, author, mod):
    post, reports = _reported(session, author, n=1)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="dismiss")
    assert _rows(session, author) == []
    assert [n.outcome for n in _rows(session, _user(session, "Reporter-0"))] == ["kept"]


def test_restoring_from_the_thread_page_tells_the_author_and_the_reporters(session, browsers):
    author = make_user(session, "Author-A")
    make_moderator(session, "Mod-Willow")
    post, _ = _reported(session, author)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, f"/t/{post.thread_id}")
    answer = moderator.post(f"/mod/posts/{post.id}/restore", data={"reason": "", "csrf_token": token})
    assert answer.status_code == 303
    assert [n.kind for n in _rows(session, author)] == ["post_hidden", "post_restored"]
    assert [n.outcome for n in _rows(session, _user(session, "Reporter-2"))] == ["kept"]


def test_a_moderators_own_post_and_report_tell_them_nothing(session, mod):
    post = opening_post(session, make_thread(session, mod, title=TITLE))
    reporter = make_user(session, "Reporter-X")
    outcome = report(session, post, reporter)
    decisions.decide(session, report_id=outcome.report.id, moderator=mod, action="remove")
    assert _rows(session, mod) == []
    other = opening_post(session, make_thread(session, make_user(session, "Author-Y")))
    own = reporting.report(session, post=other, reporter=mod, reason="unkind").report
    decisions.decide(session, report_id=own.id, moderator=mod, action="remove")
    assert _rows(session, mod) == [], "a moderator's own report and decision: their own action"


def test_a_post_sent_only_to_the_moderators_brings_no_notice_when_decided(session, author, mod):
    thread = posting.start_thread(
        session, author=author, category_slug="stories", title="Private", body="Only you", to_moderators=True
    )
    item = session.scalar(
        select(reporting.Report).where(reporting.Report.post_id == opening_post(session, thread).id)
    )
    decisions.decide(session, report_id=item.id, moderator=mod, action="dismiss")
    assert _rows(session, author) == []


# --- the moderators' answers ------------------------------------------------------------------


def test_answers_from_the_moderators_are_one_notice_that_leads_to_talk(session, browsers):
    member = make_user(session, "Quiet-Fern")
    mod = make_moderator(session, "Mod-Willow")
    conversation = talk.member_writes(session, member=member, body="I am struggling tonight.")
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body="We are here.")
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body="Still here.")
    fern = browsers("Quiet-Fern")
    assert _header(fern) == "Notices (1)"
    page = parse(fern.get("/me/notifications").text)
    [item] = page.select("#notices li")
    assert item["data-kind"] == "team_answer" and "wrote to you 2 times" in item.get_text()
    assert item.select_one("a")["href"] == "/talk" and "Mod-Willow" not in item.get_text()
    assert _rows(session, mod) == [] and conversations.unread_count(session, member_id=member.id) == 2
    fern.get("/talk")  # reading the messages themselves reads their notice too
    assert _header(fern) == "Notices" and not _rows(session, member)[0].unread


def test_reading_talk_first_reads_the_notice_and_the_header_says_so_at_once(session, browsers):
    member = make_user(session, "Quiet-Fern")
    mod = make_moderator(session, "Mod-Willow")
    conversation = talk.member_writes(session, member=member, body="Hello?")
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body="Hello, we are here.")
    fern = browsers("Quiet-Fern")
    assert _header(fern, "/talk") == "Notices"
    assert _user(session, "Quiet-Fern").notices_unread == 0


def test_reaching_out_to_an_author_is_a_notice_too(session, author, mod):
    post = opening_post(session, make_thread(session, author))
    talk.reach_out(session, post_id=str(post.id), moderator=mod, body="Checking in on you.")
    assert [n.kind for n in _rows(session, author)] == ["team_answer"]


# --- the API another part calls -------------------------------------------------------------------


def test_notify_writes_an_appeal_outcome_and_refuses_own_actions_and_unknown_kinds(session, author, mod):
    post = opening_post(session, make_thread(session, author, title=TITLE))
    common = {"kind": "appeal_decided", "thread_id": post.thread_id, "post_id": post.id}
    assert notices.notify(
        session, user_id=author.id, actor_id=mod.id, outcome="upheld", reason="Still unkind", **common
    )
    assert not notices.notify(session, user_id=mod.id, actor_id=mod.id, outcome="restored", **common)
    session.commit()
    [view] = notices.seen_page(session, user=_user(session, "Author-Two")).notices
    assert view.words == f"A moderator looked again at your post in ‘{TITLE}’ and kept the decision."
    assert view.reason == "Still unkind"
    with pytest.raises(ValueError):
        notices.notify(session, user_id=author.id, kind="e-mail")


# --- settings -------------------------------------------------------------------------------------


def test_a_kind_turned_off_in_settings_is_not_written_at_all(client, session):
    join_via_http(client, "Author-A")
    settings = parse(client.get("/me/settings").text)
    boxes = settings.select("#notice-settings input[type=checkbox]")
    assert {b["name"] for b in boxes} == {f"notice_{k}" for k in notices.KINDS} and all(
        b.has_attr("checked") for b in boxes
    )
    keep = {f"notice_{k}": "on" for k in notices.KINDS if k != "reply"}
    saved = client.post("/me/settings/notices", data={**keep, "csrf_token": csrf_of(client, "/me/settings")})
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        "/me/settings?done=notices#notice-settings",
    )
    page = client.get(saved.headers["location"]).text
    assert "Your notice choices are saved" in page
    assert not by_id(page, "notice-settings-reply").has_attr("checked")

    a = _user(session, "Author-A")
    thread = make_thread(session, a, title=TITLE)
    _reply(session, thread, make_user(session))
    assert _rows(session, a) == [] and _user(session, "Author-A").notices_unread == 0

    token = csrf_of(client, "/me/settings")
    back = client.post("/me/settings/notices", data={"notice_reply": "on"}, headers=htmx(token))
    assert back.status_code == 200 and root(back.text) == "form#notice-settings"
    assert back.headers["Vary"] == "HX-Request" and "saved" in back.text
    assert _user(session, "Author-A").notices_off == ",".join(k for k in notices.KINDS if k != "reply")
    _reply(session, thread, make_user(session))
    assert [n.kind for n in _rows(session, a)] == ["reply"]


# --- reading, paging, the header's cost ---------------------------------------------------------------


def _many(session, user, n):
    for _ in range(n):
        notices.notify(session, user_id=user.id, kind="report_outcome", outcome="kept")
    session.commit()


def test_the_page_pages_by_keyset_and_marks_only_what_it_shows_as_read(client, session):
    join_via_http(client, "Author-A")
    _many(session, _user(session, "Author-A"), 25)
    first = parse(client.get("/me/notifications").text)
    assert len(first.select("#notices li")) == 20
    older = first.select_one("nav.pager a")["href"]
    assert older.startswith("/me/notifications?before=")
    assert _header(client) == "Notices (5)"
    second = parse(client.get(older).text)
    assert len(second.select("#notices li")) == 5 and not second.select("nav.pager")
    assert _header(client) == "Notices"
    assert _user(session, "Author-A").notices_unread == 0


def test_another_members_notice_ids_are_never_reached(client, session):
    join_via_http(client, "Author-A")
    other = make_user(session, "Other-B")
    _many(session, other, 3)
    assert _notices(client) == []
    assert client.get("/me/notifications?before=999999").status_code == 200
    assert client.get("/me/notifications?before=nonsense").status_code == 422
    assert _user(session, "Other-B").notices_unread == 3


def test_pages_cost_the_same_queries_with_0_or_100_unread_notices(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    thread = make_thread(session, a, title=TITLE)

    def costs():
        return [queries.count(lambda p=p: client.get(p)) for p in ("/", f"/t/{thread.id}", "/me/settings")]

    costs()  # the first visit moves the read marker (a write of its own)
    before = costs()
    _many(session, a, 100)
    assert _header(client) == "Notices (100)"
    assert costs() == before
    with_unread = queries.count(lambda: client.get("/me/notifications"))  # 100 unread: 20 shown, marked read
    _many(session, a, 1)
    assert queries.count(lambda: client.get("/me/notifications")) == with_unread
    session.execute(update(Notice).values(unread=False))
    session.execute(update(User).values(notices_unread=0))
    session.commit()
    assert (
        queries.count(lambda: client.get("/me/notifications")) <= with_unread
    )  # nothing unread: no write at all


# --- erasure and export ------------------------------------------------------------------------------


def test_notices_are_in_the_export_in_the_words_the_member_reads(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    thread = make_thread(session, a, title=TITLE)
    _reply(session, thread, make_user(session, "Replier-Name"))
    notices.notify(session, user_id=a.id, kind="report_outcome", thread_id=thread.id, outcome="kept")
    session.commit()
    response = client.get("/me/export")
    data = response.json()["notices"]
    assert data["turned_off"] == []
    assert [(n["kind"], n["words"], n["unread"]) for n in data["notices"]] == [
        ("report_outcome", f"A moderator reviewed the post you reported in ‘{TITLE}’ and kept it up.", True),
        ("reply", f"A new reply in ‘{TITLE}’", True),
    ]
    assert "Replier-Name" not in response.text


def test_notices_are_erased_with_the_account_and_erased_titles_leave_them(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session, "Reader-B")
    thread = make_thread(session, b, title="Words to take back")
    _reply(session, thread, a)
    _reply(session, thread, b)
    posting.delete(session, post=opening_post(session, thread), author=b)  # B takes the opening back
    assert "Words to take back" not in client.get("/me/notifications").text
    token = csrf_of(client, "/me/delete")
    assert client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token}).status_code == 303
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.user_id == a.id)) == 0


def test_reports_and_a_decision_made_with_htmx_and_an_answer_without_js_each_bring_their_notice(
    session, browsers
):
    author = make_user(session, "Author-A")
    make_moderator(session, "Mod-Willow")
    post = opening_post(session, make_thread(session, author, title=TITLE))
    for i in range(3):
        make_user(session, f"Reporter-{i}")
    session.commit()
    for i in range(3):
        reporter = browsers(f"Reporter-{i}")
        token = csrf_of(reporter, f"/t/{post.thread_id}")
        sent = reporter.post(f"/p/{post.id}/report", data={"reason": "unkind"}, headers=htmx(token))
        assert sent.status_code == 200
    assert [kind for kind, _ in _notices(browsers("Author-A"))] == ["post_hidden"]

    moderator = browsers("Mod-Willow")
    first = session.scalar(select(reporting.Report.id).where(reporting.Report.post_id == post.id))
    session.commit()
    decided = moderator.post(
        f"/mod/reports/{first}", data={"action": "remove"}, headers=htmx(csrf_of(moderator, "/mod"))
    )
    assert decided.status_code == 200
    assert [kind for kind, _ in _notices(browsers("Reporter-1"))] == ["report_outcome"]

    conversation = talk.reach_out(
        session, post_id=str(post.id), moderator=_user(session, "Mod-Willow"), body="Hi."
    )
    path = f"/mod/talk/{conversation.id}"
    answered = moderator.post(path, data={"body": "We are here.", "csrf_token": csrf_of(moderator, path)})
    assert answered.status_code == 303
    shown = _notices(browsers("Author-A"))
    assert [kind for kind, _ in shown] == ["team_answer", "post_removed", "post_hidden"]
    assert "wrote to you 2 times" in shown[0][1]
