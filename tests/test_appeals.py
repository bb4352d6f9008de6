"""A fair hearing: the author edits a post hidden by reports (it stays hidden), appeals a decision once,
and a moderator other than the one who decided upholds or overturns it. Services, then HTTP."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import db
from app.models import Appeal, AppealStatus, ModAction, Post, PostStatus, User, utcnow
from app.services import appeals, decisions, membership, moderation_queue, posting
from tests import queries
from tests.factories import (
    PASSPHRASE,
    at_once,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
)
from tests.html import by_id, one, parse, root, text_of
from tests.http import csrf_of, htmx


def decided_post(session, author: User, mod: User, *, action="remove", body="Harsh words.", title="Rough"):
    """The author's post, reported by a member, then decided by `mod` (remove, hide or suspend)."""
    post = opening_post(session, make_thread(session, author, title=title, body=body))
    found = report(session, post, make_user(session), reason="unkind").report
    decisions.decide(session, report_id=found.id, moderator=mod, action=action, reason="Too harsh")
    session.commit()
    return post


def hidden_by_reports(session, author: User, *, body="Words as reported"):
    """The author's post hidden pending review: a moderator's report hides it at once."""
    post = opening_post(session, make_thread(session, author, body=body))
    report(session, post, make_moderator(session), reason="unkind")
    session.commit()
    return post


def thread_path(post: Post) -> str:
    return f"/t/{post.thread_id}"


def appeal_of(session, post_id: int) -> Appeal | None:
    found = session.scalar(
        select(Appeal).where(Appeal.post_id == post_id).execution_options(populate_existing=True)
    )
    session.commit()
    return found


def logged(session) -> list[str]:
    actions = list(session.scalars(select(ModAction.action).order_by(ModAction.id)))
    session.commit()
    return actions


# --- editing a post hidden by reports -------------------------------------------------------------


def test_the_authors_edit_of_a_hidden_post_outside_the_window_keeps_it_hidden_and_the_queue_shows_both(
    session, author, mod, browsers
):
    post = hidden_by_reports(session, author)
    session.execute(update(Post).where(Post.id == post.id).values(created_at=utcnow() - timedelta(days=3)))
    session.commit()
    writer = browsers("Author-Two")

    page = writer.get(thread_path(post)).text
    assert "Reports have hidden it from readers" in text_of(page, f"p{post.id}")
    assert one(by_id(page, f"p{post.id}"), "a[href$='/edit']")
    form = writer.get(f"/p/{post.id}/edit")
    assert form.status_code == 200 and "stays hidden until a moderator decides" in form.text
    token = csrf_of(writer, f"/p/{post.id}/edit")
    r = writer.post(f"/p/{post.id}/edit", data={"body": "My answer to the reports", "csrf_token": token})

    assert r.status_code == 303
    assert load(Post, post.id).status == PostStatus.hidden_pending_review
    assert load(Post, post.id).body_source == "My answer to the reports"
    assert (
        "My answer to the reports" not in browsers(make_user(session).pseudonym).get(thread_path(post)).text
    )
    session.expire_all()  # the test's own session read the post before the edit
    [group] = moderation_queue.queue(session).groups
    assert group.changed and group.snapshots == ["Words as reported"]
    queue = browsers("Mod-Willow").get("/mod").text
    shown = text_of(queue, f"report-group-p{post.id}")
    assert "The author edited this post after it was reported" in shown
    assert "Words as reported" in shown and "My answer to the reports" in shown


def test_an_edit_with_htmx_of_a_hidden_post_keeps_it_hidden(session, author, browsers):
    post = hidden_by_reports(session, author)
    writer = browsers("Author-Two")
    token = csrf_of(writer, f"/p/{post.id}/edit")
    r = writer.post(f"/p/{post.id}/edit", data={"body": "Edited while hidden"}, headers=htmx(token))
    assert r.status_code == 204 and r.headers["HX-Location"].startswith(thread_path(post))
    assert load(Post, post.id).status == PostStatus.hidden_pending_review


def test_a_removed_post_cannot_be_edited_even_by_its_author(session, author, mod):
    post = decided_post(session, author, mod)
    with pytest.raises(Exception, match="can no longer be changed"):
        posting.edit(session, post=load(Post, post.id), author=author, body="Again")


# --- the appeal path --------------------------------------------------------------------------------


def test_remove_then_appeal_without_js_then_overturn_by_another_moderator_restores_the_post(
    session, author, mod, browsers
):
    make_moderator(session, "Mod-Birch")
    post = decided_post(session, author, mod)
    writer = browsers("Author-Two")

    page = writer.get(thread_path(post)).text
    assert one(by_id(page, f"appeal-p{post.id}"), "form")
    token = csrf_of(writer, thread_path(post))
    r = writer.post(
        f"/p/{post.id}/appeal", data={"note": "It was a quote, not at anyone", "csrf_token": token}
    )
    assert r.status_code == 303 and r.headers["location"].startswith(thread_path(post))
    assert "Your appeal is with the moderators" in text_of(
        writer.get(thread_path(post)).text, f"appeal-p{post.id}"
    )

    other = browsers("Mod-Birch")
    queue = other.get("/mod").text
    appeal = appeal_of(session, post.id)
    item = text_of(queue, f"appeal-{appeal.id}")
    assert "Mod-Willow removed this post" in item and "Too harsh" in item
    assert "It was a quote, not at anyone" in item and "Harsh words." in item
    token = csrf_of(other, "/mod")
    r = other.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "overturn", "reason": "A quote", "csrf_token": token}
    )

    assert r.status_code == 303 and r.headers["location"] == "/mod#appeals"
    assert load(Post, post.id).status == PostStatus.visible
    assert load(Post, post.id).moderation_reason == ""
    assert appeal_of(session, post.id).status == AppealStatus.overturned
    assert logged(session)[-1] == "appeal_overturned"
    assert "overturned, on appeal, the decision on" in other.get("/mod/log").text
    me = writer.get("/me").text
    assert "undid the decision" in text_of(me, "appeals") and "A quote" in text_of(me, "appeals")
    told = writer.get("/me/notifications").text
    assert "looked again at your post" in told and "and showed it again." in told and "A quote" in told
    assert "Mod-Birch" not in told and "Mod-Willow" not in told  # the team answers, nobody by name


def test_appeal_with_htmx_then_uphold_with_htmx_keeps_the_decision_and_tells_the_author(
    session, author, mod, browsers
):
    make_moderator(session, "Mod-Birch")
    post = decided_post(session, author, mod, action="hide")
    writer = browsers("Author-Two")
    token = csrf_of(writer, thread_path(post))

    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Please look again"}, headers=htmx(token))
    assert r.status_code == 200 and root(r.text) == f"div#appeal-p{post.id}"
    assert "Vary" in r.headers and "Your appeal is with the moderators" in r.text

    other = browsers("Mod-Birch")
    appeal = appeal_of(session, post.id)
    token = csrf_of(other, "/mod")
    r = other.post(
        f"/mod/appeals/{appeal.id}",
        data={"outcome": "uphold", "reason": "Still too harsh"},
        headers=htmx(token),
    )
    assert r.status_code == 200 and root(r.text) == f"section#appeal-{appeal.id}"
    assert "the decision stands" in r.text
    assert load(Post, post.id).status == PostStatus.hidden
    assert logged(session)[-1] == "appeal_upheld"
    placeholder = text_of(writer.get(thread_path(post)).text, f"appeal-p{post.id}")
    assert "kept the decision" in placeholder and "Still too harsh" in placeholder
    assert "and kept the decision." in writer.get("/me/notifications").text
    assert not one(parse(other.get("/mod").text), "main").find(id=f"appeal-{appeal.id}")


# --- not the same moderator ---------------------------------------------------------------------------


def test_with_two_moderators_the_one_who_decided_cannot_decide_the_appeal(session, author, mod, browsers):
    make_moderator(session, "Mod-Birch")
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look again")
    appeal = appeal_of(session, post.id)
    same = browsers("Mod-Willow")

    assert "another moderator decides its appeal" in text_of(same.get("/mod").text, f"appeal-{appeal.id}")
    token = csrf_of(same, "/mod")
    r = same.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "overturn", "reason": "Mine", "csrf_token": token}
    )
    assert r.status_code == 403 and "another moderator decides its appeal" in r.text
    r = same.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "overturn", "reason": "Mine"}, headers=htmx(token)
    )
    assert r.status_code == 403 and r.headers["HX-Retarget"] == f"#appeal-{appeal.id}"
    assert appeal_of(session, post.id).status == AppealStatus.open

    birch = session.scalar(select(User).where(User.pseudonym == "Mod-Birch"))
    appeals.decide(session, appeal_id=appeal.id, moderator=birch, outcome="uphold", reason="Agreed")
    assert appeal_of(session, post.id).status == AppealStatus.upheld


def test_with_one_moderator_they_may_decide_the_appeal_of_their_own_decision(session, author, mod):
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look again")
    appeal = appeal_of(session, post.id)
    appeals.decide(session, appeal_id=appeal.id, moderator=mod, outcome="overturn", reason="On reflection")
    assert load(Post, post.id).status == PostStatus.visible


def test_a_paused_second_moderator_does_not_count(session, author, mod):
    birch = make_moderator(session, "Mod-Birch")
    birch.suspended_until = utcnow() + timedelta(days=1)
    session.commit()
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look again")
    appeal = appeal_of(session, post.id)
    appeals.decide(session, appeal_id=appeal.id, moderator=mod, outcome="uphold", reason="Stands")
    assert appeal_of(session, post.id).status == AppealStatus.upheld


# --- a paused member ------------------------------------------------------------------------------------


def test_a_paused_member_appeals_from_their_page_and_an_overturn_lifts_the_pause_and_restores_the_post(
    session, author, mod, browsers
):
    post = decided_post(session, author, mod, action="suspend")
    assert load(User, author.id).suspended_until > utcnow()
    writer = browsers("Author-Two")

    me = writer.get("/me").text
    assert one(by_id(me, "pause-appeal"), "form")
    token = csrf_of(writer, "/me")
    r = writer.post("/me/appeal", data={"note": "I was having a bad night", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/me#pause-appeal"
    me = writer.get("/me").text
    assert not by_id(me, "appeals").find("form") and "waiting for a moderator" in text_of(me, "appeals")
    appeal = session.scalar(select(Appeal).where(Appeal.author_id == author.id))
    session.commit()
    assert appeal.kind == "account"
    assert "removed and paused the author of this post" in text_of(
        browsers("Mod-Willow").get("/mod").text, f"appeal-{appeal.id}"
    )

    appeals.decide(session, appeal_id=appeal.id, moderator=mod, outcome="overturn", reason="Lifted")
    assert load(User, author.id).suspended_until is None
    assert "the pause on your account and lifted it" in writer.get("/me/notifications").text
    assert load(Post, post.id).status == PostStatus.visible


def test_a_paused_member_appeals_with_htmx_once_for_the_pause_and_the_post_alike(
    session, author, mod, browsers
):
    post = decided_post(session, author, mod, action="suspend")
    writer = browsers("Author-Two")
    token = csrf_of(writer, "/me")
    r = writer.post("/me/appeal", data={"note": "Please"}, headers=htmx(token))
    assert r.status_code == 200 and root(r.text) == "div#pause-appeal"
    # The pause and the removal are one decision: appealing the post as well is a second appeal.
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Again"}, headers=htmx(token))
    assert r.status_code == 409 and "already appealed" in r.text


# --- bad input ----------------------------------------------------------------------------------------------


def test_appealing_someone_elses_post_is_refused_with_403(session, author, mod, browsers):
    post = decided_post(session, author, mod)
    stranger = browsers(make_user(session, "Stranger").pseudonym)
    token = csrf_of(stranger, thread_path(post))
    r = stranger.post(f"/p/{post.id}/appeal", data={"note": "Not mine", "csrf_token": token})
    assert r.status_code == 403 and "Only the person who wrote a post can appeal" in r.text
    r = stranger.post(f"/p/{post.id}/appeal", data={"note": "Not mine"}, headers=htmx(token))
    assert r.status_code == 403
    assert appeal_of(session, post.id) is None


def test_a_second_appeal_of_the_same_decision_is_refused_with_409_and_keeps_the_words(
    session, author, mod, browsers
):
    post = decided_post(session, author, mod)
    writer = browsers("Author-Two")
    token = csrf_of(writer, thread_path(post))
    assert writer.post(f"/p/{post.id}/appeal", data={"note": "First", "csrf_token": token}).status_code == 303
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Second words", "csrf_token": token})
    assert r.status_code == 409 and "already appealed" in r.text and "Second words" in r.text
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Second words"}, headers=htmx(token))
    assert r.status_code == 409 and r.headers["HX-Retarget"] == f"#appeal-p{post.id}"
    assert len(session.scalars(select(Appeal.id)).all()) == 1


def test_a_visible_post_has_no_decision_to_appeal_409(session, author, browsers):
    post = opening_post(session, make_thread(session, author))
    session.commit()
    writer = browsers("Author-Two")
    token = csrf_of(writer, thread_path(post))
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Why?", "csrf_token": token})
    assert r.status_code == 409 and "nothing to appeal" in r.text


def test_a_post_hidden_by_reports_only_is_not_appealed_a_moderator_will_look_anyway_409(
    session, author, browsers
):
    post = hidden_by_reports(session, author)
    writer = browsers("Author-Two")
    token = csrf_of(writer, thread_path(post))
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "Why?"}, headers=htmx(token))
    assert r.status_code == 409 and "a moderator will look at it anyway" in r.text


def test_an_empty_or_too_long_note_is_422_with_the_form_and_the_words_back(session, author, mod, browsers):
    post = decided_post(session, author, mod)
    writer = browsers("Author-Two")
    token = csrf_of(writer, thread_path(post))
    r = writer.post(f"/p/{post.id}/appeal", data={"note": "  ", "csrf_token": token})
    assert r.status_code == 422 and by_id(r.text, f"appeal-p{post.id}-note")
    long = "x" * (appeals.NOTE_MAX + 1)
    r = writer.post(f"/p/{post.id}/appeal", data={"note": long}, headers=htmx(token))
    assert r.status_code == 422 and root(r.text) == f"div#appeal-p{post.id}" and long in r.text
    assert appeal_of(session, post.id) is None


def test_a_member_who_is_not_paused_has_no_pause_to_appeal_409(session, author, browsers):
    writer = browsers("Author-Two")
    token = csrf_of(writer, "/me")
    r = writer.post("/me/appeal", data={"note": "Hm", "csrf_token": token})
    assert r.status_code == 409 and "not paused" in r.text


def test_a_moderators_answer_needs_a_reason_and_a_known_outcome_and_is_given_once(
    session, author, mod, browsers
):
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look again")
    appeal = appeal_of(session, post.id)
    willow = browsers("Mod-Willow")
    token = csrf_of(willow, "/mod")
    r = willow.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "uphold", "reason": ""}, headers=htmx(token)
    )
    assert r.status_code == 422 and root(r.text) == f"section#appeal-{appeal.id}"
    r = willow.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "shrug", "reason": "Hm", "csrf_token": token}
    )
    assert r.status_code == 422
    ok = willow.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "uphold", "reason": "Stands", "csrf_token": token}
    )
    assert ok.status_code == 303
    r = willow.post(
        f"/mod/appeals/{appeal.id}", data={"outcome": "overturn", "reason": "Wait", "csrf_token": token}
    )
    assert r.status_code == 409 and "already decided" in r.text
    assert load(Post, post.id).status == PostStatus.removed


def test_a_member_cannot_decide_an_appeal(session, author, mod, browsers):
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look again")
    writer = browsers("Author-Two")
    token = csrf_of(writer, "/me")
    r = writer.post(
        f"/mod/appeals/{appeal_of(session, post.id).id}",
        data={"outcome": "overturn", "reason": "Me", "csrf_token": token},
    )
    assert r.status_code == 403


# --- erasure, export, queries -------------------------------------------------------------------------


def test_appeals_are_in_the_export_and_go_with_the_account(session, author, mod):
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="My words of appeal")
    exported = membership.export(session, user=author)["appeals"]
    assert exported[0]["note"] == "My words of appeal" and exported[0]["status"] == "open"

    membership.erase(session, user=author, passphrase=PASSPHRASE, erase_posts=False)
    assert session.scalars(select(Appeal)).all() == []


def test_deleting_the_post_empties_the_appeal_note(session, author, mod):
    post = decided_post(session, author, mod, action="hide")
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Secret words")
    posting.delete(session, post=load(Post, post.id), author=author)
    assert appeal_of(session, post.id).note == ""


def test_the_deciding_moderators_erasure_keeps_the_outcome_for_the_author(session, author, mod):
    make_moderator(session, "Mod-Birch")
    post = decided_post(session, author, mod)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look")
    birch = session.scalar(select(User).where(User.pseudonym == "Mod-Birch"))
    appeals.decide(
        session, appeal_id=appeal_of(session, post.id).id, moderator=birch, outcome="uphold", reason="Kept"
    )
    membership.erase(session, user=load(User, birch.id), passphrase=PASSPHRASE, erase_posts=False)
    kept = appeal_of(session, post.id)
    assert kept.status == AppealStatus.upheld and kept.decided_by_id is None and kept.outcome_reason == "Kept"


def test_the_queue_reads_appeals_in_a_fixed_number_of_queries(session, author, mod, browsers):
    make_moderator(session, "Mod-Birch")
    willow = browsers("Mod-Willow")
    first = decided_post(session, author, mod, title="First")
    appeals.appeal_post(session, post=load(Post, first.id), author=author, note="One")
    one_appeal = queries.count(lambda: willow.get("/mod"))
    for n in range(4):
        post = decided_post(session, author, mod, title=f"More {n}")
        appeals.appeal_post(session, post=load(Post, post.id), author=author, note=f"Appeal {n}")
    assert queries.count(lambda: willow.get("/mod")) == one_appeal
    assert len(parse(willow.get("/mod").text).select("section.appeal-item")) == 5


def test_an_edit_after_a_moderators_hide_shows_in_the_appeal(session, author, mod):
    post = decided_post(session, author, mod, action="hide")
    session.refresh(post)
    posting.edit(session, post=post, author=author, body="Softer words now")
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="I changed it")
    [item] = moderation_queue.queue(session, moderator_id=mod.id).appeals
    assert item.edited_after and "Softer words now" in item.body_html
    assert load(Post, post.id).status == PostStatus.hidden


def test_the_authors_thread_page_and_own_page_read_appeals_in_a_fixed_number_of_queries(
    session, author, mod, browsers
):
    writer = browsers("Author-Two")
    post = decided_post(session, author, mod, title="Counted")
    thread = load(Post, post.id).thread_id
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="One")
    one_thread = queries.count(lambda: writer.get(f"/t/{thread}"))
    one_me = queries.count(lambda: writer.get("/me"))
    opened = posting.get_thread(session, thread)
    session.commit()  # end the test's read: a write after it needs a fresh snapshot (WAL)
    for n in range(3):
        reply = posting.reply(session, thread_id=opened.id, author=author, body=f"R {n}")
        found = report(session, reply, make_user(session), reason="spam").report
        decisions.decide(session, report_id=found.id, moderator=mod, action="remove")
        appeals.appeal_post(session, post=load(Post, reply.id), author=author, note=f"Appeal {n}")
    assert queries.count(lambda: writer.get(f"/t/{thread}")) == one_thread
    assert queries.count(lambda: writer.get("/me")) == one_me
    assert len(parse(writer.get("/me").text).select("#appeals li")) == 4


def test_an_appeal_of_an_erased_moderators_decision_may_be_decided_by_any_moderator(session, author, mod):
    birch = make_moderator(session, "Mod-Birch")
    post = decided_post(session, author, birch)
    appeals.appeal_post(session, post=load(Post, post.id), author=author, note="Look")
    membership.erase(session, user=load(User, birch.id), passphrase=PASSPHRASE, erase_posts=False)
    [item] = moderation_queue.queue(session, moderator_id=mod.id).appeals
    assert item.decided_by == "Mod-Birch" and item.why_not == ""  # the log keeps the name
    appeals.decide(session, appeal_id=item.id, moderator=mod, outcome="uphold", reason="Stands")
    assert appeal_of(session, post.id).status == AppealStatus.upheld


def test_two_appeals_of_one_decision_at_once_make_one_and_a_409(database_url, session, author, mod):
    post = decided_post(session, author, mod)
    session.commit()

    def send(words):
        def run():
            with db.new_session(write=True) as s:
                return appeals.appeal_post(
                    s, post=s.get(Post, post.id), author=s.get(User, author.id), note=words
                )

        return run

    outcomes = at_once(send("One"), send("Two"))
    assert sorted(type(o).__name__ for o in outcomes) == ["Appeal", "Conflict"]
    assert len(session.scalars(select(Appeal.id)).all()) == 1


def test_mod_shows_urgent_reports_first_then_appeals_then_the_other_reports(session, author, mod, browsers):
    decided = decided_post(session, author, mod, title="Decided")
    appeals.appeal_post(session, post=load(Post, decided.id), author=author, note="Look")
    urgent = opening_post(session, make_thread(session, author, title="At risk"))
    report(session, urgent, make_user(session), reason="at_risk")
    plain = opening_post(session, make_thread(session, author, title="Plain"))
    report(session, plain, make_user(session), reason="spam")
    session.commit()
    page = parse(browsers("Mod-Willow").get("/mod").text)
    order = [t["id"] for t in page.select("section.report-group, section#appeals")]
    assert order == [f"report-group-p{urgent.id}", "appeals", f"report-group-p{plain.id}"]
