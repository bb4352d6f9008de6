"""The moderators' queue, decisions, thread tools and the log: services, then HTTP with and without JS."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from app import cli, db
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import ModAction, Post, PostStatus, Report, ReportStatus, Thread, User, utcnow
from app.services import (
    decisions,
    moderation_log,
    moderation_queue,
    posting,
    reading,
    reporting,
    thread_tools,
    timewords,
)
from tests import queries
from tests.factories import (
    at_once,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
)
from tests.html import by_id, ids, one, parse, root
from tests.http import csrf_of, htmx


def reported_post(session, author: User, *, reasons=("unkind",), title="A rough night", body="Harsh words."):
    """A new thread by `author` whose opening post is reported once per reason, by distinct members."""
    post = opening_post(session, make_thread(session, author, title=title, body=body))
    reports = [report(session, post, make_user(session), reason=r).report for r in reasons]
    session.commit()  # end any read: HTTP requests in the test need the write lock
    return post, reports


def open_count(session, post: Post) -> int:
    n = len(
        session.scalars(
            select(Report.id).where(Report.post_id == post.id, Report.status == ReportStatus.open)
        ).all()
    )
    session.commit()
    return n


def log_rows(session) -> list[ModAction]:
    rows = session.scalars(select(ModAction).order_by(ModAction.id)).all()
    session.commit()
    return list(rows)


def backdate(session, report_row: Report, minutes: int) -> None:
    when = utcnow() - timedelta(minutes=minutes)
    session.execute(update(Report).where(Report.id == report_row.id).values(created_at=when))
    session.commit()


# --- the queue ------------------------------------------------------------------------------------


def test_queue_groups_by_post_with_urgent_first_then_oldest_first(session, author):
    older, older_reports = reported_post(session, author, reasons=("unkind", "spam"), title="Older one")
    newer, newer_reports = reported_post(session, author, reasons=("spam",), title="Newer one")
    urgent, urgent_reports = reported_post(session, author, reasons=(reporting.AT_RISK,), title="At risk")
    backdate(session, older_reports[0], 90)
    backdate(session, older_reports[1], 80)
    backdate(session, newer_reports[0], 30)
    backdate(session, urgent_reports[0], 5)

    groups = moderation_queue.queue(session).groups

    assert [g.post_id for g in groups] == [urgent.id, older.id, newer.id]
    assert [g.urgent for g in groups] == [True, False, False]
    assert [r.reason for r in groups[1].reports] == ["unkind", "spam"]
    assert groups[1].waited == "1 hour" and groups[0].waited == "5 minutes"


def test_queue_group_shows_snapshot_current_text_notes_and_the_authors_history(session, author, mod):
    earlier, earlier_reports = reported_post(session, author, title="Earlier")
    decisions.decide(session, report_id=earlier_reports[0].id, moderator=mod, action="remove")
    post = opening_post(session, make_thread(session, author, body="Original words"))
    report(session, post, make_user(session, "Noticer"), reason="medical", note="Says to stop meds cold")
    posting.edit(session, post=post, author=author, body="Quietly changed words")
    author.suspended_until = utcnow() + timedelta(days=2)
    session.commit()

    [group] = moderation_queue.queue(session).groups

    assert group.snapshots == ["Original words"] and group.changed is True
    assert "Quietly changed words" in group.body_html
    assert group.reports[0].note == "Says to stop meds cold"
    assert group.reports[0].label == "Dangerous medical advice"
    assert group.reports[0].reporter_name == "Noticer"
    assert group.author_name == "Author-Two" and group.author_removed == 1
    assert group.author_suspended_until == author.suspended_until


def test_queue_loads_in_the_same_number_of_queries_for_one_group_or_many(session, author):
    def statements_for_queue() -> int:
        sent = queries.count(lambda: moderation_queue.queue(session))
        session.commit()
        return sent

    reported_post(session, author, reasons=("unkind", "spam"))
    one = statements_for_queue()
    for n in range(4):
        reported_post(session, make_user(session), reasons=("spam", "unkind"), title=f"More {n}")
    assert statements_for_queue() == one


def test_open_report_count_counts_posts_not_reports(session, author):
    reported_post(session, author, reasons=("unkind", "spam"))
    reported_post(session, author, reasons=(reporting.AT_RISK,))
    assert moderation_queue.open_report_count(session) == 2


def test_dismiss_closes_every_open_report_keeps_the_post_visible_and_logs_it(session, author, mod):
    post, reports = reported_post(session, author, reasons=("unkind", "spam"))

    decision = decisions.decide(session, report_id=reports[1].id, moderator=mod, action="dismiss")

    assert decision.closed == 2
    assert load(Post, post.id).status == PostStatus.visible
    assert {load(Report, r.id).status for r in reports} == {ReportStatus.dismissed}
    assert load(Report, reports[0].id).resolved_by_id == mod.id
    [entry] = log_rows(session)
    assert (entry.action, entry.moderator_name, entry.post_id, entry.target_name) == (
        "dismiss",
        "Mod-Willow",
        post.id,
        "Author-Two",
    )


def test_dismiss_on_an_auto_hidden_post_shows_it_to_readers_again(session, author, mod):
    post, reports = reported_post(session, author, reasons=("unkind", "spam", "doxxing"))
    assert load(Post, post.id).status == PostStatus.hidden_pending_review
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="dismiss")
    assert load(Post, post.id).status == PostStatus.visible


def test_hide_keeps_the_post_hidden_with_the_moderators_reason(session, author, mod):
    post, reports = reported_post(session, author)
    decisions.decide(
        session, report_id=reports[0].id, moderator=mod, action="hide", reason="Off-topic  selling"
    )
    saved = load(Post, post.id)
    assert (saved.status, saved.moderation_reason) == (PostStatus.hidden, "Off-topic selling")
    assert load(Report, reports[0].id).status == ReportStatus.actioned


def test_remove_keeps_the_text_for_the_log_and_by_default_names_the_reported_reasons(session, author, mod):
    post, reports = reported_post(session, author, reasons=("spam", "unkind"), body="Buy my pills")
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="remove")
    saved = load(Post, post.id)
    assert saved.status == PostStatus.removed and saved.body_source == "Buy my pills"
    assert saved.moderation_reason == "Reported as: spam or selling; unkind or harassing"
    assert log_rows(session)[-1].reason == saved.moderation_reason


def test_restore_makes_an_auto_hidden_post_visible_again(session, author, mod):
    post, reports = reported_post(session, author, reasons=("unkind", "spam", "doxxing"))
    decisions.decide(session, report_id=reports[2].id, moderator=mod, action="restore")
    assert load(Post, post.id).status == PostStatus.visible
    assert log_rows(session)[-1].action == "restore"


def test_restore_on_a_visible_post_is_refused_with_409_and_changes_nothing(session, author, mod):
    post, reports = reported_post(session, author)
    with pytest.raises(Conflict):
        decisions.decide(session, report_id=reports[0].id, moderator=mod, action="restore")
    assert open_count(session, post) == 1 and log_rows(session) == []


def test_suspend_removes_the_post_and_pauses_the_author_for_7_days_by_default(session, author, mod):
    post, reports = reported_post(session, author)
    before = utcnow()
    decision = decisions.decide(
        session, report_id=reports[0].id, moderator=mod, action="suspend", reason="Threats"
    )
    paused = load(User, author.id).suspended_until
    assert before + timedelta(days=7) <= paused <= utcnow() + timedelta(days=7)
    assert decision.suspended_until == paused
    assert load(Post, post.id).status == PostStatus.removed
    entry = log_rows(session)[-1]
    assert (
        entry.action == "suspend"
        and entry.reason.startswith("Paused for 7 days")
        and "Threats" in entry.reason
    )


def test_suspend_for_a_chosen_number_of_days(session, author, mod):
    _post, reports = reported_post(session, author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="suspend", days="30")
    paused = load(User, author.id).suspended_until
    assert timedelta(days=29) < paused - utcnow() <= timedelta(days=30)


@pytest.mark.parametrize("days", ["0", "366", "seven", "-3", "2.5"])
def test_suspend_with_days_out_of_range_is_refused_with_422_and_changes_nothing(session, author, mod, days):
    post, reports = reported_post(session, author)
    with pytest.raises(InvalidInput) as refused:
        decisions.decide(session, report_id=reports[0].id, moderator=mod, action="suspend", days=days)
    assert "days" in refused.value.fields
    assert load(User, author.id).suspended_until is None and open_count(session, post) == 1


def test_suspend_never_shortens_a_longer_pause(session, author, mod):
    _post, reports = reported_post(session, author)
    longer = utcnow() + timedelta(days=60)
    author.suspended_until = longer
    session.commit()
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="suspend", days="3")
    assert load(User, author.id).suspended_until == longer


def test_a_moderator_cannot_pause_another_moderator(session, mod):
    other = make_moderator(session)
    _post, reports = reported_post(session, other)
    with pytest.raises(NotAllowed):
        decisions.decide(session, report_id=reports[0].id, moderator=mod, action="suspend")
    assert load(User, other.id).suspended_until is None


def test_an_admin_can_pause_a_moderator_who_then_cannot_act(session, mod):
    admin = make_user(session, "Admin-Ash", role="admin")
    _post, reports = reported_post(session, mod)
    decisions.decide(session, report_id=reports[0].id, moderator=admin, action="suspend", days="2")
    other_post, other_reports = reported_post(session, make_user(session))
    with pytest.raises(NotAllowed) as refused:
        decisions.decide(session, report_id=other_reports[0].id, moderator=mod, action="dismiss")
    assert "paused until" in refused.value.message
    assert open_count(session, other_post) == 1


def test_a_second_decision_on_the_same_post_is_refused_with_409_and_acts_once(session, author, mod):
    post, reports = reported_post(session, author, reasons=("unkind", "spam"))
    second_mod = make_moderator(session)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="dismiss")

    with pytest.raises(Conflict) as refused:
        decisions.decide(session, report_id=reports[1].id, moderator=second_mod, action="remove")

    assert refused.value.message == "Another moderator already handled this."
    assert load(Post, post.id).status == PostStatus.visible
    assert [e.action for e in log_rows(session)] == ["dismiss"]


def test_two_moderators_deciding_at_the_same_moment_act_once(session, author, mod):
    post, reports = reported_post(session, author, reasons=("unkind", "spam"))
    other_id = make_moderator(session).id
    session.commit()

    def decide(moderator_id: int, report_id: int, action: str):
        with db.new_session(write=True) as s:
            moderator = s.get(User, moderator_id)
            s.commit()  # the read is over; the decision takes its own write transaction
            return decisions.decide(s, report_id=report_id, moderator=moderator, action=action)

    outcomes = at_once(
        lambda: decide(mod.id, reports[0].id, "dismiss"), lambda: decide(other_id, reports[1].id, "remove")
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Decision"]
    [entry] = log_rows(session)
    assert load(Post, post.id).status == (
        PostStatus.removed if entry.action == "remove" else PostStatus.visible
    )


def test_a_new_report_after_a_decision_opens_a_new_group_but_the_old_form_stays_stale(session, author, mod):
    post, reports = reported_post(session, author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="dismiss")
    fresh = report(session, post, make_user(session)).report
    with pytest.raises(Conflict):
        decisions.decide(session, report_id=reports[0].id, moderator=mod, action="remove")
    assert [g.first_report_id for g in moderation_queue.queue(session).groups] == [fresh.id]


@pytest.mark.parametrize("action", ["delete", "", "ban", "DISMISS"])
def test_an_unknown_action_is_refused_with_422(session, author, mod, action):
    post, reports = reported_post(session, author)
    with pytest.raises(InvalidInput):
        decisions.decide(session, report_id=reports[0].id, moderator=mod, action=action)
    assert open_count(session, post) == 1


def test_an_unknown_report_is_404(session, mod):
    with pytest.raises(NotFound):
        decisions.decide(session, report_id=424242, moderator=mod, action="dismiss")


def test_a_member_cannot_decide_even_through_the_service(session, author):
    _post, reports = reported_post(session, author)
    with pytest.raises(NotAllowed):
        decisions.decide(session, report_id=reports[0].id, moderator=make_user(session), action="remove")


def test_a_decision_never_brings_back_words_the_author_deleted(session, author, mod):
    post, reports = reported_post(session, author)
    posting.delete(session, post=post, author=author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="dismiss")
    assert load(Post, post.id).status == PostStatus.deleted


def test_restore_post_from_the_thread_shows_a_hidden_post_again_and_logs_it(session, author, mod):
    post, reports = reported_post(session, author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="hide")
    decisions.restore_post(session, post=post, moderator=mod)
    assert load(Post, post.id).status == PostStatus.visible
    assert [e.action for e in log_rows(session)] == ["hide", "restore"]
    with pytest.raises(Conflict):
        decisions.restore_post(session, post=post, moderator=mod)


# --- thread tools ---------------------------------------------------------------------------------


def test_lock_refuses_new_replies_and_is_logged_once_even_when_repeated(session, author, mod):
    thread = make_thread(session, author)
    thread_tools.set_locked(session, thread=thread, moderator=mod, on="1")
    thread_tools.set_locked(session, thread=thread, moderator=mod, on="1")
    with pytest.raises(Conflict):
        posting.reply(session, thread_id=thread.id, author=author, body="Still here")
    thread_tools.set_locked(session, thread=thread, moderator=mod, on="0")
    posting.reply(session, thread_id=thread.id, author=author, body="Still here")
    assert [(e.action, e.thread_id) for e in log_rows(session)] == [
        ("lock", thread.id),
        ("unlock", thread.id),
    ]


def test_pinned_thread_stays_at_the_top_of_its_category(session, author, mod):
    pinned = make_thread(session, author, title="Read me first")
    make_thread(session, author, title="A newer thread")
    thread_tools.set_pinned(session, thread=pinned, moderator=mod, on="1")
    category = reading.category(session, "stories")
    assert [t.id for t in reading.pinned_threads(session, category=category)] == [pinned.id]
    assert pinned.id not in [t.id for t in reading.category_threads(session, category=category).threads]


def test_thread_tools_refuse_an_unclear_switch_with_422(session, author, mod):
    with pytest.raises(InvalidInput):
        thread_tools.set_pinned(session, thread=make_thread(session, author), moderator=mod, on="maybe")


# --- the log --------------------------------------------------------------------------------------


def test_log_is_newest_first_and_paginated_by_keyset(session, author, mod):
    thread = make_thread(session, author)
    for on in ("1", "0", "1", "0", "1"):
        thread_tools.set_pinned(session, thread=thread, moderator=mod, on=on)
    first = moderation_log.log(session, size=2)
    second = moderation_log.log(session, before=first.next_cursor, size=2)
    third = moderation_log.log(session, before=second.next_cursor, size=2)
    actions = [e.entry.action for page in (first, second, third) for e in page.entries]
    assert actions == ["pin", "unpin", "pin", "unpin", "pin"]
    ids = [e.entry.id for page in (first, second, third) for e in page.entries]
    assert ids == sorted(ids, reverse=True) and third.next_cursor is None


def test_log_rows_survive_deleting_the_post_and_the_accounts(session, author, mod):
    post, reports = reported_post(session, author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="remove", reason="Cruel")
    session.execute(delete(Post).where(Post.id == post.id))
    session.execute(delete(User).where(User.id.in_([author.id, mod.id])))
    session.commit()

    [entry] = log_rows(session)
    assert (entry.post_id, entry.moderator_id, entry.target_user_id) == (None, None, None)
    assert (entry.action, entry.moderator_name, entry.target_name, entry.reason) == (
        "remove",
        "Mod-Willow",
        "Author-Two",
        "Cruel",
    )
    assert moderation_log.log(session).entries[0].entry.id == entry.id


# --- through HTTP ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/mod"), ("get", "/mod/log"), ("post", "/mod/reports/1"), ("post", "/mod/threads/1/lock"),
     ("post", "/mod/threads/1/pin"), ("post", "/mod/posts/1/restore")],
)  # fmt: skip
def test_mod_routes_refuse_members_with_403_and_send_anonymous_users_to_sign_in(
    session, author, browsers, client, method, path
):
    reported_post(session, author)
    member = browsers("Author-Two")
    token = csrf_of(member)
    data = {"action": "remove", "on": "1", "csrf_token": token}
    refused = member.get(path) if method == "get" else member.post(path, data=data)
    assert refused.status_code == 403
    assert load(Post, 1).status == PostStatus.visible and load(Thread, 1).locked is False

    data["csrf_token"] = csrf_of(client)
    anonymous = client.get(path) if method == "get" else client.post(path, data=data)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_moderator_sees_the_queue_with_the_urgent_group_first(session, author, mod, browsers):
    calm, _ = reported_post(session, author, title="Calm", body="Some unkind words")
    risky, _ = reported_post(
        session, author, reasons=(reporting.AT_RISK,), title="Risky", body="I can't go on"
    )
    page = browsers("Mod-Willow").get("/mod")
    assert page.status_code == 200
    text = page.text
    order = ids(text)
    assert order.index(f"report-group-p{risky.id}") < order.index(f"report-group-p{calm.id}")
    assert "Urgent: someone may be at risk" in text and "I can&#39;t go on" in text
    assert "Waiting less than a minute" in text
    assert parse(text).select(f'a[href="/t/{risky.thread_id}#p{risky.id}"]')  # no empty "?" before the anchor


def test_a_long_queue_pages_on_and_nothing_waiting_is_out_of_reach(
    session, author, mod, browsers, monkeypatch
):
    monkeypatch.setattr(moderation_queue, "QUEUE_SIZE", 2)
    posts = [reported_post(session, author, title=f"Report {i}", body=f"Words {i}")[0] for i in range(5)]
    moderator = browsers("Mod-Willow")
    seen = []
    for page, link in ((1, "/mod?page=2"), (2, "/mod?page=3"), (3, None)):
        text = moderator.get(f"/mod?page={page}" if page > 1 else "/mod").text
        seen += [p.id for p in posts if f"report-group-p{p.id}" in ids(text)]
        first = (page - 1) * 2 + 1
        assert f"Posts {first} to {min(first + 1, 5)} of 5 waiting." in text
        links = parse(text).select("a[href]")
        assert [a["href"] for a in links if a["href"].startswith("/mod?page=")] == ([link] if link else [])
        back = [a for a in links if a["href"] == "/mod" and "Back to the most urgent" in a.get_text()]
        assert len(back) == (page > 1)
    assert seen == [p.id for p in posts], "each waiting post appears once, oldest first"
    beyond = moderator.get("/mod?page=4")
    assert beyond.status_code == 200 and "No more reports on this page" in beyond.text


def test_moderators_see_the_open_report_count_in_the_header_on_every_page(session, author, mod, browsers):
    post, _ = reported_post(session, author, reasons=("unkind", "spam"))
    reported_post(session, author)
    moderator = browsers("Mod-Willow")
    for path in ("/", "/guidelines", f"/t/{post.thread_id}", "/me"):
        assert "(2 open)" in moderator.get(path).text
    assert "open)" not in browsers("Author-Two").get("/").text


def test_decision_without_js_answers_303_back_to_the_queue_and_readers_see_the_removal(
    session, author, mod, browsers, client
):
    post, reports = reported_post(session, author, body="Cruel words here")
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/reports/{reports[0].id}",
        data={"action": "remove", "reason": "Name-calling", "csrf_token": csrf_of(moderator, "/mod")},
    )
    assert response.status_code == 303 and response.headers["location"] == "/mod"
    assert "Nothing is waiting" in moderator.get("/mod").text

    reader_view = client.get(f"/t/{post.thread_id}").text
    assert "This post was removed by a moderator." in reader_view and "Cruel words" not in reader_view
    assert "Name-calling" not in reader_view
    author_view = browsers("Author-Two").get(f"/t/{post.thread_id}").text
    assert "The moderator's reason: Name-calling" in author_view


def test_decision_with_htmx_swaps_the_handled_group_out_and_updates_the_count(session, author, mod, browsers):
    post, reports = reported_post(session, author)
    reported_post(session, author, title="Another")
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/reports/{reports[0].id}", data={"action": "hide"}, headers=htmx(csrf_of(moderator, "/mod"))
    )
    assert response.status_code == 200
    assert root(response.text) == f"section#report-group-p{post.id}"
    assert "The post is hidden" in response.text
    header_link = by_id(response.text, "mod-reports-link")
    assert (header_link["href"], header_link["hx-swap-oob"]) == ("/mod", "true")
    assert "(1 open)" in header_link.get_text()
    assert response.headers["Vary"] == "HX-Request"
    assert load(Post, post.id).status == PostStatus.hidden


def test_double_decision_from_two_moderators_sessions_is_409_and_nothing_happens_twice(
    session, author, mod, browsers
):
    post, reports = reported_post(session, author, reasons=("unkind", "spam"))
    make_moderator(session, "Mod-Rowan")
    first, second = browsers("Mod-Willow"), browsers("Mod-Rowan")
    first_token, second_token = csrf_of(first, "/mod"), csrf_of(second, "/mod")

    done = first.post(f"/mod/reports/{reports[0].id}", data={"action": "dismiss", "csrf_token": first_token})
    stale = second.post(
        f"/mod/reports/{reports[0].id}", data={"action": "remove", "csrf_token": second_token}
    )
    stale_htmx = second.post(
        f"/mod/reports/{reports[1].id}", data={"action": "suspend"}, headers=htmx(second_token)
    )

    assert done.status_code == 303
    assert stale.status_code == 409 and "Another moderator already handled this." in stale.text
    assert stale_htmx.status_code == 409 and stale_htmx.headers["HX-Retarget"] == f"#report-group-p{post.id}"
    assert "Nothing is open here any more" in stale_htmx.text
    assert load(Post, post.id).status == PostStatus.visible and load(User, author.id).suspended_until is None
    assert [e.action for e in log_rows(session)] == ["dismiss"]


def test_unknown_action_over_http_is_422_and_keeps_the_reason(session, author, mod, browsers):
    post, reports = reported_post(session, author)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    data = {"action": "obliterate", "reason": "My typed reason"}
    plain = moderator.post(f"/mod/reports/{reports[0].id}", data={**data, "csrf_token": token})
    assert plain.status_code == 422 and "My typed reason" in plain.text
    fragment = moderator.post(f"/mod/reports/{reports[0].id}", data=data, headers=htmx(token))
    assert fragment.status_code == 422 and fragment.headers["HX-Retarget"] == f"#report-group-p{post.id}"
    assert "My typed reason" in fragment.text
    assert open_count(session, post) == 1


def test_bad_pause_length_over_http_is_422_with_the_field_message(session, author, mod, browsers):
    _post, reports = reported_post(session, author)
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/reports/{reports[0].id}",
        data={"action": "suspend", "days": "999", "csrf_token": csrf_of(moderator, "/mod")},
    )
    assert response.status_code == 422 and "from 1 to 365" in response.text
    assert one(response.text, 'input[name="days"]')["value"] == "999"


def test_unknown_report_over_http_is_404(session, mod, browsers):
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        "/mod/reports/999999", data={"action": "dismiss", "csrf_token": csrf_of(moderator)}
    )
    assert response.status_code == 404


def suspend_via_service(session, author: User, mod: User) -> Post:
    """Pause the author through a real decision; returns a post of someone else to act on."""
    _post, reports = reported_post(session, author, title="Got me paused")
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="suspend", days="7")
    other = opening_post(session, make_thread(session, make_user(session), title="Someone else's"))
    session.commit()
    return other


def test_suspended_member_is_refused_on_every_write_route(session, author, mod, browsers):
    own = opening_post(session, make_thread(session, author, title="Written before the pause"))
    session.commit()
    other = suspend_via_service(session, author, mod)
    browser = browsers("Author-Two")
    token = csrf_of(browser)
    attempts = {
        "new thread": ("/new", {"title": "Trying anyway", "body": "Hello", "category": "stories"}),
        "reply": (f"/t/{other.thread_id}/reply", {"body": "A reply"}),
        "edit": (f"/p/{own.id}/edit", {"body": "Changed"}),
        "react": (f"/p/{other.id}/react/hug", {"want": "on"}),
        "report": (f"/p/{other.id}/report", {"reason": "spam"}),
    }
    for what, (path, data) in attempts.items():
        response = browser.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, what
        assert "paused until" in response.text, what
    assert load(Post, own.id).body_source == "Hello **all**"
    assert load(Post, other.id).hug_count == 0


def test_suspended_member_can_still_read_and_sees_the_pause_on_their_page(session, author, mod, browsers):
    other = suspend_via_service(session, author, mod)
    browser = browsers("Author-Two")
    assert browser.get(f"/t/{other.thread_id}").status_code == 200
    me = browser.get("/me").text
    until = load(User, author.id).suspended_until
    assert "Your account is paused until" in me and timewords.day(until) in me


def test_lock_without_js_answers_303_and_with_htmx_the_tools_fragment(session, author, mod, browsers):
    thread = make_thread(session, author)
    session.commit()
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, f"/t/{thread.id}")
    plain = moderator.post(f"/mod/threads/{thread.id}/lock", data={"on": "1", "csrf_token": token})
    assert plain.status_code == 303 and plain.headers["location"] == f"/t/{thread.id}"
    assert load(Thread, thread.id).locked is True

    fragment = moderator.post(f"/mod/threads/{thread.id}/lock", data={"on": "0"}, headers=htmx(token))
    assert fragment.status_code == 200 and fragment.headers["Vary"] == "HX-Request"
    assert root(fragment.text) == f"section#thread-tools-t{thread.id}"
    assert "Lock thread" in fragment.text and load(Thread, thread.id).locked is False


def test_pin_over_http_puts_the_thread_under_pinned_in_its_category(session, author, mod, browsers):
    thread = make_thread(session, author, title="Welcome, read me")
    make_thread(session, author, title="Later thread")
    session.commit()
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/threads/{thread.id}/pin", data={"on": "1", "csrf_token": csrf_of(moderator, f"/t/{thread.id}")}
    )
    assert response.status_code == 303
    page = moderator.get("/c/stories").text
    assert page.index("Welcome, read me") < page.index("Later thread")
    assert "<h2>Pinned</h2>" in page


def test_restore_post_over_http_shows_a_hidden_post_again(session, author, mod, browsers, client):
    post, reports = reported_post(session, author, body="Fine after all")
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="hide")
    assert "A moderator has hidden this post." in client.get(f"/t/{post.thread_id}").text
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, f"/t/{post.thread_id}")
    response = moderator.post(f"/mod/posts/{post.id}/restore", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].endswith(f"#p{post.id}")
    assert "Fine after all" in client.get(f"/t/{post.thread_id}").text
    again = moderator.post(f"/mod/posts/{post.id}/restore", data={}, headers=htmx(token))
    assert again.status_code == 409


def test_mod_log_page_lists_decisions_newest_first_with_an_older_link(
    session, author, mod, browsers, monkeypatch
):
    monkeypatch.setenv("PEERBEARING_PAGE_SIZE", "2")
    from app.config import get_settings

    get_settings.cache_clear()
    post, reports = reported_post(session, author)
    decisions.decide(session, report_id=reports[0].id, moderator=mod, action="remove", reason="Too cruel")
    thread = make_thread(session, author, title="Tools")
    thread_tools.set_locked(session, thread=thread, moderator=mod, on="1")
    thread_tools.set_pinned(session, thread=thread, moderator=mod, on="1")
    moderator = browsers("Mod-Willow")

    first = moderator.get("/mod/log").text
    assert first.index("pinned") < first.index("locked") and "Too cruel" not in first
    older = moderator.get(f"/mod/log?before={log_rows(session)[1].id}").text
    assert one(first, 'a[href^="/mod/log?before="]')
    assert "Too cruel" in older and "removed" in older and "Author-Two" in older


def test_the_whole_flow_members_report_readers_lose_sight_a_moderator_clears_it(
    session, author, mod, browsers, client
):
    post = opening_post(session, make_thread(session, author, body="Something hurtful"))
    session.commit()
    for name in ("Reporter-1", "Reporter-2", "Reporter-3"):
        make_user(session, name)
        browser = browsers(name)
        browser.post(f"/p/{post.id}/report", data={"reason": "unkind", "csrf_token": csrf_of(browser)})
    assert "This post is waiting for a moderator" in client.get(f"/t/{post.thread_id}").text

    moderator = browsers("Mod-Willow")
    queue_page = moderator.get("/mod").text
    assert "(1 open)" in queue_page and "Something hurtful" in queue_page
    report_id = moderation_queue.group_for_report(session, reports_of(session, post)[0]).first_report_id
    session.commit()
    moderator.post(
        f"/mod/reports/{report_id}", data={"action": "remove", "csrf_token": csrf_of(moderator, "/mod")}
    )

    assert "removed by a moderator" in client.get(f"/t/{post.thread_id}").text
    assert "Nothing is waiting" in moderator.get("/mod").text
    assert [e.action for e in log_rows(session)] == ["auto_hide", "remove"]


def reports_of(session, post: Post) -> list[int]:
    ids = list(session.scalars(select(Report.id).where(Report.post_id == post.id).order_by(Report.id)))
    session.commit()
    return ids


def test_promote_command_makes_a_moderator(session, capsys):
    make_user(session, "Future-Mod")
    assert cli.main(["promote", "Future-Mod", "--role", "moderator"]) == 0
    assert "Future-Mod is now moderator." in capsys.readouterr().out
    promoted = session.scalar(select(User).where(User.pseudonym == "Future-Mod"))
    session.refresh(promoted)
    assert promoted.is_moderator
    session.commit()
    assert cli.main(["promote", "Nobody-Here", "--role", "moderator"]) == 1
