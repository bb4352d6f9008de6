import pytest
from sqlalchemy import func, select, update

from app.errors import Conflict
from app.models import Post, PostStatus, Thread, User
from app.services import posting, reading
from tests.factories import join_via_http, load, make_thread, make_user, opening_post
from tests.html import by_id, form_values, one, parse, root
from tests.http import csrf_of, htmx, submit

LONG = "x" * 20_001


def _new_thread(client, **fields):
    form = {"title": "My first week", "body": "It was *hard*.", "category": "stories", "content_note": ""}
    return submit(client, "/new", {**form, **fields})


def test_starting_a_thread_without_js_redirects_to_it(client, session):
    join_via_http(client)
    r = _new_thread(client)
    assert r.status_code == 303
    thread = session.scalar(select(Thread))
    assert r.headers["location"] == f"/t/{thread.id}"
    page = client.get(r.headers["location"]).text
    assert "My first week" in page and "<em>hard</em>" in page


def test_starting_a_thread_with_htmx_navigates_with_hx_location(client, session):
    join_via_http(client)
    token = csrf_of(client, "/new")
    r = client.post(
        "/new",
        data={"title": "My first week", "body": "Hi", "category": "stories"},
        headers=htmx(token),
    )
    assert r.status_code == 204
    assert r.headers["HX-Location"] == f"/t/{session.scalar(select(Thread.id))}"


def test_a_too_short_title_comes_back_with_the_text_kept(client, session):
    join_via_http(client)
    r = _new_thread(client, title="Hi", body="Every word I typed matters")
    assert r.status_code == 422
    assert "3 to 150 characters" in r.text
    kept = form_values(by_id(r.text, "thread-form"))
    assert (kept["title"], kept["body"]) == ("Hi", "Every word I typed matters")
    assert session.scalar(select(Thread.id)) is None


def test_a_too_long_body_comes_back_with_the_text_kept_for_htmx(client):
    join_via_http(client)
    token = csrf_of(client, "/new")
    r = client.post(
        "/new",
        data={"title": "A long one", "body": LONG, "category": "stories"},
        headers=htmx(token),
    )
    assert r.status_code == 422
    assert root(r.text) == "form#thread-form"
    assert r.headers["HX-Retarget"] == "#thread-form" and r.headers["Vary"] == "HX-Request"
    assert "20,000 characters" in r.text and form_values(by_id(r.text, "thread-form"))["body"] == LONG


def test_unknown_category_is_refused_politely(client):
    join_via_http(client)
    r = _new_thread(client, category="nope")
    assert r.status_code == 422 and "choose where your thread belongs" in r.text


def test_anonymous_visitors_are_sent_to_sign_in_before_composing(client):
    r = client.get("/new")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fnew"


def test_a_content_note_folds_the_post_behind_details_for_every_reader(client, other_client):
    join_via_http(client)
    r = _new_thread(client, content_note="relapse details", body="What happened that night")
    page = other_client.get(r.headers["location"]).text
    details = one(page, "details.content-note")
    assert "relapse details" in one(details, "summary").get_text()
    assert "What happened that night" in details.get_text()


def test_reply_without_js_redirects_to_the_new_post(client, session):
    author = make_user(session)
    thread = make_thread(session, author)
    join_via_http(client)
    token = csrf_of(client, f"/t/{thread.id}")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "You are not alone.", "csrf_token": token})
    assert r.status_code == 303
    post = session.scalar(select(Post).where(Post.position == 1))
    assert r.headers["location"] == f"/t/{thread.id}#p{post.id}"
    assert "You are not alone." in client.get(f"/t/{thread.id}").text


def test_reply_with_htmx_answers_the_post_fragment_and_a_fresh_form(client, session):
    author = make_user(session)
    thread = make_thread(session, author)
    join_via_http(client)
    token = csrf_of(client, f"/t/{thread.id}")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "You are not alone."}, headers=htmx(token))
    assert r.status_code == 200 and r.headers["Vary"] == "HX-Request"
    post = session.scalar(select(Post).where(Post.position == 1))
    assert root(r.text) == f"article#p{post.id}"
    fresh_form = by_id(r.text, "reply-form")
    assert fresh_form["hx-swap-oob"] == "true" and form_values(fresh_form)["body"] == ""


def _locked_meanwhile(session) -> Thread:
    """A thread locked in the database after it was loaded: the object in hand still says unlocked."""
    thread = make_thread(session, make_user(session), title="Evenings are long")
    session.execute(update(Thread).where(Thread.id == thread.id).values(locked=True))
    session.commit()
    return thread


def test_reply_to_a_locked_thread_is_refused_by_the_service_with_409_and_writes_nothing(session):
    thread = _locked_meanwhile(session)
    with pytest.raises(Conflict) as refused:
        posting.reply(session, thread_id=thread.id, author=make_user(session), body="Kept words")
    assert refused.value.status_code == 409 and "locked by a moderator" in refused.value.message
    session.rollback()
    assert load(Thread, thread.id).reply_count == 0
    assert session.scalar(select(func.count()).select_from(Post).where(Post.thread_id == thread.id)) == 1


def test_reply_to_a_locked_thread_without_js_is_409_with_the_page_and_the_text_kept(client, session):
    join_via_http(client)
    thread = _locked_meanwhile(session)
    r = client.post(f"/t/{thread.id}/reply", data={"body": "Kept words", "csrf_token": csrf_of(client)})
    assert r.status_code == 409 and "locked by a moderator" in r.text
    page = parse(r.text)
    assert page.html and "Evenings are long" in page.title.get_text()
    assert form_values(by_id(page, "reply-form"))["body"] == "Kept words"
    assert load(Thread, thread.id).reply_count == 0


def test_reply_to_a_locked_thread_with_htmx_is_409_with_the_form_fragment_and_the_text_kept(client, session):
    join_via_http(client)
    thread = _locked_meanwhile(session)
    r = client.post(f"/t/{thread.id}/reply", data={"body": "Kept words"}, headers=htmx(csrf_of(client)))
    assert r.status_code == 409 and r.headers["HX-Retarget"] == "#reply-form"
    assert r.headers["Vary"] == "HX-Request" and root(r.text) == "form#reply-form"
    assert form_values(by_id(r.text, "reply-form"))["body"] == "Kept words"
    assert "locked by a moderator" in r.text and load(Thread, thread.id).reply_count == 0


def test_an_empty_reply_is_refused_with_a_clear_message(client, session):
    thread = make_thread(session, make_user(session))
    join_via_http(client)
    token = csrf_of(client, "/guidelines")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "   ", "csrf_token": token})
    assert r.status_code == 422 and "write something" in r.text


def test_replies_to_unknown_threads_answer_404(client):
    join_via_http(client)
    token = csrf_of(client, "/guidelines")
    assert client.post("/t/999/reply", data={"body": "hello", "csrf_token": token}).status_code == 404


def test_a_thread_only_the_moderators_read_answers_404_before_any_check_of_the_words(client, session):
    thread = make_thread(session, make_user(session), title="Sent to the team")
    session.execute(update(Thread).where(Thread.id == thread.id).values(status=PostStatus.moderators_only))
    session.commit()
    join_via_http(client)
    token = csrf_of(client)
    for body in ("Kept words", "  "):  # an empty reply too: 404 comes first
        r = client.post(f"/t/{thread.id}/reply", data={"body": body, "csrf_token": token})
        assert r.status_code == 404 and "That thread does not exist, or it was deleted." in r.text
        assert form_values(by_id(r.text, "reply-form"))["body"].strip() == body.strip()
    r = client.post(f"/t/{thread.id}/reply", data={"body": "Kept words"}, headers=htmx(token))
    assert r.status_code == 404 and root(r.text) == "form#reply-form"
    assert load(Thread, thread.id).reply_count == 0


def test_unknown_thread_category_and_page_show_calm_404_pages(client):
    for path in ("/t/999", "/c/nowhere", "/no/such/page", "/t/abc"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "could not find" in r.text and one(r.text, 'main a[href="/"]')


def test_reply_positions_stay_distinct_and_thread_counts_them(session):
    author = make_user(session)
    thread = make_thread(session, author)
    for i in range(3):
        posting.reply(session, thread_id=thread.id, author=author, body=f"reply {i}")
    session.refresh(thread)
    positions = list(
        session.scalars(select(Post.position).where(Post.thread_id == thread.id).order_by(Post.position))
    )
    assert positions == [0, 1, 2, 3] and thread.reply_count == 3


def test_the_author_can_edit_and_others_cannot(client, other_client, session):
    join_via_http(client)
    thread_path = _new_thread(client).headers["location"]
    post = session.scalar(select(Post))
    token = csrf_of(client, f"/p/{post.id}/edit")
    r = client.post(f"/p/{post.id}/edit", data={"body": "Better *words*", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"{thread_path}#p{post.id}"
    assert (
        "Better <em>words</em>" in client.get(thread_path).text and "edited" in client.get(thread_path).text
    )
    join_via_http(other_client)
    token = csrf_of(other_client, "/guidelines")
    r = other_client.post(f"/p/{post.id}/edit", data={"body": "Hijacked", "csrf_token": token})
    assert r.status_code == 403
    assert load(Post, post.id).body_source == "Better *words*"


def test_the_author_can_delete_their_post_and_the_words_are_gone(client, session):
    join_via_http(client)
    thread_path = _new_thread(client, body="Too much detail").headers["location"]
    post = session.scalar(select(Post))
    token = csrf_of(client, "/guidelines")
    r = client.post(
        f"/p/{post.id}/delete",
        data={"csrf_token": token},
        headers=htmx(token),
    )
    assert r.status_code == 200 and root(r.text) == f"article#p{post.id}"
    page = client.get(thread_path).text
    assert "Too much detail" not in page and "The author deleted this post." in page
    assert load(Post, post.id).body_source == ""


def test_opening_post_factory_finds_position_zero(session):
    thread = make_thread(session, make_user(session))
    assert opening_post(session, thread).position == 0


def test_editing_with_htmx_navigates_back_to_the_post(client, session):
    join_via_http(client)
    thread_path = _new_thread(client).headers["location"]
    post = session.scalar(select(Post))
    token = csrf_of(client, "/guidelines")
    r = client.post(
        f"/p/{post.id}/edit",
        data={"body": "Kinder words"},
        headers=htmx(token),
    )
    assert r.status_code == 204 and r.headers["HX-Location"] == f"{thread_path}#p{post.id}"
    r = client.post(f"/p/{post.id}/edit", data={"body": ""}, headers=htmx(token))
    assert r.status_code == 422 and root(r.text) == "form#edit-form"


def test_deleting_without_js_redirects_to_the_thread(client, session):
    join_via_http(client)
    thread_path = _new_thread(client).headers["location"]
    post = session.scalar(select(Post))
    token = csrf_of(client, "/guidelines")
    r = client.post(f"/p/{post.id}/delete", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"{thread_path}#p{post.id}"
    r = client.post(f"/p/{post.id}/delete", data={"csrf_token": token})
    assert r.status_code == 409, "a deleted post cannot be deleted or edited again"


def test_later_pages_link_back_to_the_right_page_after_a_reply(client, session):
    author = make_user(session)
    thread = make_thread(session, author)
    for i in range(25):
        posting.reply(session, thread_id=thread.id, author=author, body=f"reply {i}")
    join_via_http(client)
    token = csrf_of(client, "/guidelines")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "The newest one", "csrf_token": token})
    location = r.headers["location"]
    assert location.startswith(f"/t/{thread.id}?after=19#p")
    assert "The newest one" in client.get(location.split("#")[0]).text


def _set_status(session, post, status, reason=""):
    session.execute(update(Post).where(Post.id == post.id).values(status=status, moderation_reason=reason))
    session.commit()


def test_the_reading_service_hands_over_no_words_of_hidden_or_removed_posts(session):
    author, reader = make_user(session), make_user(session)
    thread = make_thread(session, author, body="Opening words")
    hidden = posting.reply(
        session, thread_id=thread.id, author=author, body="Hidden words", content_note="grief"
    )
    removed = posting.reply(session, thread_id=thread.id, author=author, body="Removed words")
    _set_status(session, hidden, PostStatus.hidden, "Off-topic")
    _set_status(session, removed, PostStatus.removed, "Unkind")
    session.expire_all()
    for who in (reader, None, make_user(session, role="moderator")):
        page = reading.thread_posts(session, thread=thread, reader=who)
        by_id = {p.id: p for p in page.posts}
        assert "Opening words" in by_id[page.posts[0].id].body_html
        for post in (by_id[hidden.id], by_id[removed.id]):
            assert (post.body_html, post.content_note, post.moderation_reason) == ("", "", "")
    own = {p.id: p for p in reading.thread_posts(session, thread=thread, reader=author).posts}
    assert (own[removed.id].body_html, own[removed.id].moderation_reason) == ("", "Unkind")
    assert (own[hidden.id].body_html, own[hidden.id].moderation_reason) == ("", "Off-topic")


def test_a_thread_page_shows_the_author_the_reason_and_nobody_the_words(client, other_client, session):
    author_name = join_via_http(client)
    join_via_http(other_client)
    author = session.scalar(select(User).where(User.pseudonym == author_name))
    thread = make_thread(session, author, body="Opening words")
    removed = posting.reply(session, thread_id=thread.id, author=author, body="Removed words")
    _set_status(session, removed, PostStatus.removed, "Unkind")
    for c in (client, other_client):
        for headers in ({}, {"HX-Request": "true"}):
            html = c.get(f"/t/{thread.id}", headers=headers).text
            assert "Removed words" not in html and "removed by a moderator" in html
    assert "reason: Unkind" in client.get(f"/t/{thread.id}").text
    assert "reason: Unkind" not in other_client.get(f"/t/{thread.id}").text


def test_a_reply_that_waited_for_the_lock_does_not_move_the_threads_last_activity_back(session, monkeypatch):
    """Its time is read before the thread row's lock is taken, so a later reply may commit first."""
    from datetime import timedelta

    thread = make_thread(session, make_user(session))
    later = posting.reply(session, thread_id=thread.id, author=make_user(session), body="Committed first.")
    waited = later.created_at - timedelta(seconds=2)
    monkeypatch.setattr(posting, "utcnow", lambda: waited)
    posting.reply(session, thread_id=thread.id, author=make_user(session), body="Waited.")
    stored = load(Thread, thread.id)
    assert stored.last_activity_at == later.created_at and stored.reply_count == 2
