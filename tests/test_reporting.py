"""Members report posts: the rules through the service, then through HTTP with and without JS."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import db
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotAllowed
from app.models import ModAction, Post, PostStatus, Report, ReportStatus, User, utcnow
from app.services import posting, ratelimit, reporting
from tests.factories import (
    at_once,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
)
from tests.html import by_id, form_values, has_id, one, root
from tests.http import csrf_of, htmx


@pytest.fixture
def post(session) -> Post:
    author = make_user(session, "Author-One")
    found = opening_post(session, make_thread(session, author, body="You are all **weak**."))
    session.commit()  # end the read: HTTP requests in the test need the write lock
    return found


def open_reports(session, post: Post) -> list[Report]:
    rows = session.scalars(
        select(Report).where(Report.post_id == post.id, Report.status == ReportStatus.open)
    )
    found = list(rows)
    session.commit()
    return found


def enable_rate_limits(monkeypatch) -> None:
    """Rate limits on, with storage of this test's own (a fresh in-memory counter)."""
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    monkeypatch.setenv("PEERBEARING_RATE_LIMIT_STORAGE", f"memory://?test={uuid.uuid4().hex}")
    get_settings.cache_clear()


def status_of(post: Post) -> str:
    return load(Post, post.id).status


# --- the service ----------------------------------------------------------------------------------


def test_report_keeps_a_snapshot_of_the_text_as_it_was_reported(session, post):
    reporter = make_user(session)
    outcome = report(session, post, reporter, reason="unkind", note="Mean to a newcomer")
    posting.edit(session, post=post, author=load(User, post.author_id), body="Edited to look harmless.")

    saved = load(Report, outcome.report.id)
    assert saved.snapshot == "You are all **weak**."
    assert (saved.reason, saved.note, saved.status) == ("unkind", "Mean to a newcomer", "open")
    assert outcome.updated is False and outcome.hidden is False


def test_reporting_your_own_post_is_refused_with_403(session, post):
    with pytest.raises(NotAllowed) as refused:
        report(session, post, load(User, post.author_id))
    assert refused.value.status_code == 403
    assert open_reports(session, post) == []


@pytest.mark.parametrize("status", [PostStatus.removed, PostStatus.deleted, PostStatus.hidden])
def test_reporting_a_removed_deleted_or_hidden_post_is_refused_with_409(session, post, status):
    post.status = status
    session.commit()
    with pytest.raises(Conflict) as refused:
        report(session, post, make_user(session))
    assert refused.value.status_code == 409


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("rude", "", "reason"),
        ("", "", "reason"),
        ("other", "   ", "note"),
        ("spam", "x" * 1001, "note"),
    ],
)
def test_unknown_reason_missing_note_for_other_or_long_note_is_refused_with_422(
    session, post, reason, note, field
):
    with pytest.raises(InvalidInput) as refused:
        report(session, post, make_user(session), reason=reason, note=note)
    assert refused.value.status_code == 422
    assert field in refused.value.fields


def test_something_else_with_a_note_is_accepted(session, post):
    outcome = report(session, post, make_user(session), reason="other", note="Pretends to be a doctor")
    assert outcome.report.reason == "other"


def test_suspended_member_cannot_report_and_is_told_until_when(session, post):
    reporter = make_user(session)
    reporter.suspended_until = utcnow() + timedelta(days=3)
    session.commit()
    with pytest.raises(NotAllowed) as refused:
        report(session, post, reporter)
    assert "paused until" in refused.value.message
    assert open_reports(session, post) == []


def test_a_second_report_by_the_same_member_updates_the_note_and_counts_once(session, post):
    reporter = make_user(session)
    first = report(session, post, reporter, note="first words")
    second = report(session, post, reporter, reason="spam", note="second words")

    assert second.updated is True and second.report.id == first.report.id
    rows = open_reports(session, post)
    assert [(r.reason, r.note) for r in rows] == [("spam", "second words")]


def test_the_same_member_reporting_twice_at_the_same_moment_leaves_one_open_report(session, post):
    reporter_id = make_user(session).id
    session.commit()

    def send(note: str):
        with db.new_session(write=True) as s:
            reporter, target = s.get(User, reporter_id), s.get(Post, post.id)
            return reporting.report(s, post=target, reporter=reporter, reason="spam", note=note)

    outcomes = at_once(lambda: send("one"), lambda: send("two"))

    assert all(isinstance(o, reporting.Outcome) for o in outcomes)
    assert sorted(o.updated for o in outcomes) == [False, True]
    assert len(open_reports(session, post)) == 1


def test_threshold_hides_at_exactly_n_distinct_reporters_and_not_at_n_minus_1(session, post):
    threshold = get_settings().report_hide_threshold
    assert threshold == 3
    for _ in range(threshold - 1):
        assert report(session, post, make_user(session)).hidden is False
    assert status_of(post) == PostStatus.visible

    outcome = report(session, post, make_user(session))

    assert outcome.hidden is True
    assert status_of(post) == PostStatus.hidden_pending_review


def test_the_threshold_follows_the_setting(session, post, monkeypatch):
    monkeypatch.setenv("PEERBEARING_REPORT_HIDE_THRESHOLD", "2")
    get_settings.cache_clear()
    report(session, post, make_user(session))
    assert status_of(post) == PostStatus.visible
    report(session, post, make_user(session))
    assert status_of(post) == PostStatus.hidden_pending_review


def test_one_member_reporting_ten_times_counts_once_and_hides_nothing(session, post):
    reporter = make_user(session)
    for n in range(10):
        report(session, post, reporter, note=f"again {n}")
    assert status_of(post) == PostStatus.visible
    assert len(open_reports(session, post)) == 1


def test_at_risk_reports_never_hide_the_post_however_many_members_send_them(session, post):
    for _ in range(5):
        report(session, post, make_user(session), reason=reporting.AT_RISK)
    assert status_of(post) == PostStatus.visible
    assert len(open_reports(session, post)) == 5


def test_at_risk_reports_do_not_count_toward_the_threshold(session, post):
    report(session, post, make_user(session), reason="unkind")
    report(session, post, make_user(session), reason="spam")
    report(session, post, make_user(session), reason=reporting.AT_RISK)
    assert status_of(post) == PostStatus.visible


def test_a_moderators_report_hides_at_once_and_is_logged(session, post):
    moderator = make_moderator(session, "Mod-Marigold")
    outcome = report(session, post, moderator, reason="doxxing")

    assert outcome.hidden is True
    assert status_of(post) == PostStatus.hidden_pending_review
    entry = session.scalar(select(ModAction).where(ModAction.post_id == post.id))
    assert (entry.action, entry.moderator_name, entry.target_name) == (
        "auto_hide",
        "Mod-Marigold",
        "Author-One",
    )


def test_a_moderators_at_risk_report_does_not_hide(session, post):
    report(session, post, make_moderator(session), reason=reporting.AT_RISK)
    assert status_of(post) == PostStatus.visible


def test_auto_hide_by_members_is_logged_once_without_a_moderator(session, post):
    for _ in range(4):
        report(session, post, make_user(session))
    entries = session.scalars(select(ModAction).where(ModAction.post_id == post.id)).all()
    assert [(e.action, e.moderator_id, e.reason) for e in entries] == [
        ("auto_hide", None, "Reported by 3 members")
    ]


def test_open_report_unique_index_holds_even_for_a_direct_second_insert(session, post):
    """The database, not only the service, keeps one open report per member per post."""
    from sqlalchemy.exc import IntegrityError

    reporter = make_user(session)
    report(session, post, reporter)
    session.add(Report(post_id=post.id, reporter_id=reporter.id, reason="spam", snapshot="x"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


# --- through HTTP ---------------------------------------------------------------------------------


def test_report_page_shows_the_reasons_as_labelled_radio_buttons(session, post, browsers):
    make_user(session, "Reader-A")
    browser = browsers("Reader-A")
    page = browser.get(f"/p/{post.id}/report")
    assert page.status_code == 200
    fieldset = by_id(page.text, f"report-form-p{post.id}-reason")
    assert fieldset.legend.get_text().strip()
    for reason in reporting.REASONS:
        radio = one(fieldset, f'input[type="radio"][name="reason"][value="{reason.value}"]')
        assert one(fieldset, f'label[for="{radio["id"]}"]').get_text().strip() == reason.label


def test_thread_shows_a_report_disclosure_to_signed_in_readers_but_not_the_author(session, post, browsers):
    make_user(session, "Reader-B")
    thread_path = f"/t/{post.thread_id}"
    assert has_id(browsers("Reader-B").get(thread_path).text, f"report-form-p{post.id}")
    assert not has_id(browsers("Author-One").get(thread_path).text, f"report-form-p{post.id}")


def test_report_without_js_answers_303_to_a_calm_confirmation(session, post, browsers):
    make_user(session, "Reader-C")
    browser = browsers("Reader-C")
    token = csrf_of(browser)
    response = browser.post(
        f"/p/{post.id}/report", data={"reason": "unkind", "note": "Cruel", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{post.id}/report?sent=1"
    thanks = browser.get(response.headers["location"])
    assert "Thank you." in thanks.text and "not told who reported" in thanks.text
    assert len(open_reports(session, post)) == 1


def test_report_with_htmx_answers_the_confirmation_fragment(session, post, browsers):
    make_user(session, "Reader-D")
    browser = browsers("Reader-D")
    response = browser.post(f"/p/{post.id}/report", data={"reason": "spam"}, headers=htmx(csrf_of(browser)))
    assert response.status_code == 200
    assert root(response.text) == f"div#report-form-p{post.id}"
    assert "Thank you." in response.text
    assert response.headers["Vary"] == "HX-Request"


def test_author_is_not_told_who_reported(session, post, browsers):
    make_user(session, "Quiet-Reporter")
    reporter = browsers("Quiet-Reporter")
    reporter.post(f"/p/{post.id}/report", data={"reason": "unkind", "csrf_token": csrf_of(reporter)})
    author_view = browsers("Author-One").get(f"/t/{post.thread_id}").text
    assert "Quiet-Reporter" not in author_view


def test_unknown_reason_without_js_is_422_and_keeps_the_note(session, post, browsers):
    make_user(session, "Reader-E")
    browser = browsers("Reader-E")
    response = browser.post(
        f"/p/{post.id}/report",
        data={"reason": "rude", "note": "My careful note", "csrf_token": csrf_of(browser)},
    )
    assert response.status_code == 422
    assert "Please choose one of the reasons." in response.text
    assert form_values(by_id(response.text, f"report-form-p{post.id}"))["note"] == "My careful note"
    assert open_reports(session, post) == []


def test_missing_note_for_something_else_with_htmx_re_renders_the_form_in_place(session, post, browsers):
    make_user(session, "Reader-F")
    browser = browsers("Reader-F")
    response = browser.post(
        f"/p/{post.id}/report", data={"reason": "other", "note": ""}, headers=htmx(csrf_of(browser))
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#report-form-p{post.id}"
    assert root(response.text) == f"form#report-form-p{post.id}"
    assert one(response.text, 'input[name="reason"][value="other"][required][checked]')
    assert response.headers["Vary"] == "HX-Request"


def test_reporting_own_post_over_http_is_403_with_a_clear_message(post, browsers):
    browser = browsers("Author-One")
    response = browser.post(f"/p/{post.id}/report", data={"reason": "spam", "csrf_token": csrf_of(browser)})
    assert response.status_code == 403
    assert "cannot report your own post" in response.text


def test_reporting_a_removed_post_over_http_is_409(session, post, browsers):
    post.status = PostStatus.removed
    session.commit()
    make_user(session, "Reader-G")
    browser = browsers("Reader-G")
    response = browser.post(f"/p/{post.id}/report", data={"reason": "spam", "csrf_token": csrf_of(browser)})
    assert response.status_code == 409
    assert "already removed" in response.text


def test_reporting_an_unknown_post_is_404(session, browsers):
    make_user(session, "Reader-H")
    browser = browsers("Reader-H")
    response = browser.post("/p/999999/report", data={"reason": "spam", "csrf_token": csrf_of(browser)})
    assert response.status_code == 404
    assert browser.get("/p/999999/report").status_code == 404


def test_anonymous_reporter_is_sent_to_sign_in(post, client):
    response = client.post(f"/p/{post.id}/report", data={"reason": "spam", "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert client.get(f"/p/{post.id}/report").headers["location"].startswith("/login")


def test_report_without_csrf_token_changes_nothing(session, post, browsers):
    make_user(session, "Reader-I")
    response = browsers("Reader-I").post(f"/p/{post.id}/report", data={"reason": "spam"})
    assert response.status_code == 403
    assert open_reports(session, post) == []


def test_three_members_reporting_over_http_hide_the_post_from_readers(session, post, browsers, client):
    for name in ("Reader-J", "Reader-K", "Reader-L"):
        make_user(session, name)
        browser = browsers(name)
        browser.post(f"/p/{post.id}/report", data={"reason": "unkind", "csrf_token": csrf_of(browser)})
    page = client.get(f"/t/{post.thread_id}").text
    assert "This post is waiting for a moderator" in page
    assert "weak" not in page


def test_report_flooding_over_http_answers_429_with_retry_after(session, browsers, monkeypatch):
    enable_rate_limits(monkeypatch)
    author = make_user(session)
    make_user(session, "Flood-Http")
    limit = int(ratelimit.REPORTS.split()[0])
    post_ids = [
        opening_post(session, make_thread(session, author, title=f"Thread {n}")).id for n in range(limit + 1)
    ]
    session.commit()
    browser = browsers("Flood-Http")
    token = csrf_of(browser)
    codes = [
        browser.post(f"/p/{pid}/report", data={"reason": "spam", "csrf_token": token}).status_code
        for pid in post_ids
    ]
    assert codes == [303] * limit + [429]
    last = browser.post(f"/p/{post_ids[-1]}/report", data={"reason": "spam", "csrf_token": token})
    assert int(last.headers["Retry-After"]) >= 1
