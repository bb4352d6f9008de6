import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app import db
from app.errors import InvalidInput
from app.models import Post, PostStatus, Reaction
from app.services import reactions
from tests.factories import at_once, join_via_http, load, make_thread, make_user, opening_post
from tests.html import by_id, one, parse, root
from tests.http import csrf_of, htmx


@pytest.fixture
def post(session):
    thread = make_thread(session, make_user(session, "Thread-Author"))
    return opening_post(session, thread)


def _rows(session, post, kind="hug") -> int:
    """Reaction rows as the database holds them now (the test's session may hold an older read)."""
    session.rollback()
    return session.scalar(
        select(func.count()).select_from(Reaction).where(Reaction.post_id == post.id, Reaction.kind == kind)
    )


def test_pressing_twice_takes_the_encouragement_back(session, post):
    member = make_user(session)
    assert reactions.toggle(session, post_id=post.id, user=member, kind="hug").post.hug_count == 1
    assert reactions.toggle(session, post_id=post.id, user=member, kind="hug").post.hug_count == 0
    assert _rows(session, post) == 0


def test_one_of_each_kind_per_member(session, post):
    member = make_user(session)
    for kind in ("hug", "strength", "celebrate"):
        reactions.toggle(session, post_id=post.id, user=member, kind=kind, want="on")
        reactions.toggle(session, post_id=post.id, user=member, kind=kind, want="on")  # a double click
    fresh = load(Post, post.id)
    assert (fresh.hug_count, fresh.strength_count, fresh.celebrate_count, fresh.thanks_count) == (1, 1, 1, 0)


def test_unknown_kinds_are_refused(session, post):
    with pytest.raises(InvalidInput):
        reactions.toggle(session, post_id=post.id, user=make_user(session), kind="downvote")


def test_reaction_without_js_redirects_back_to_the_post(client, session, post):
    join_via_http(client)
    token = csrf_of(client, f"/t/{post.thread_id}")
    r = client.post(f"/p/{post.id}/react/hug", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"/t/{post.thread_id}#p{post.id}"
    assert load(Post, post.id).hug_count == 1


def test_reaction_with_htmx_rerenders_the_bar_with_aria_pressed(client, session, post):
    join_via_http(client)
    token = csrf_of(client, f"/t/{post.thread_id}")
    r = client.post(f"/p/{post.id}/react/strength", data={"want": "on"}, headers=htmx(token))
    assert r.status_code == 200 and r.headers["Vary"] == "HX-Request"
    assert root(r.text) == f"div#reactions-p{post.id}"
    pressed = parse(r.text).select('button[aria-pressed="true"]')
    assert [b["id"] for b in pressed] == [f"react-p{post.id}-strength"]
    assert one(pressed[0], ".reaction-count").get_text() == "1"


def test_unknown_kind_over_http_is_422(client, post):
    join_via_http(client)
    token = csrf_of(client, "/guidelines")
    assert client.post(f"/p/{post.id}/react/boo", data={"csrf_token": token}).status_code == 422


def test_readers_who_are_not_signed_in_see_counts_and_are_sent_to_sign_in(client, session, post):
    reactions.toggle(session, post_id=post.id, user=make_user(session), kind="thanks")
    page = client.get(f"/t/{post.thread_id}").text
    bar = by_id(page, f"reactions-p{post.id}")
    assert bar.select(f'a[href="/login?next=%2Ft%2F{post.thread_id}"]')
    assert [c.get_text() for c in bar.select(".reaction-count") if c.get_text() != "0"] == ["1"]
    token = csrf_of(client, "/guidelines")
    r = client.post(f"/p/{post.id}/react/hug", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    r = client.post(f"/p/{post.id}/react/hug", headers=htmx(token))
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/login?next=")


def test_two_sessions_pressing_at_once_never_double_count(app, session, post):
    """Many members press the same kind at the same moment, each twice (a double click)."""
    clients = []
    for _ in range(6):
        c = TestClient(app, follow_redirects=False)
        join_via_http(c)
        clients.append((c, csrf_of(c, "/guidelines")))

    def press(c, token):
        return lambda: c.post(f"/p/{post.id}/react/hug", data={"want": "on", "csrf_token": token}).status_code

    statuses = at_once(*(press(c, token) for c, token in clients for _ in range(2)))
    assert statuses == [303] * 12, "no 500s and no lock errors"
    assert load(Post, post.id).hug_count == 6 == _rows(session, post)


def test_concurrent_toggles_through_the_service_keep_the_count_equal_to_the_rows(session, post):
    members = [make_user(session) for _ in range(5)]

    def toggle(member):
        def run():
            with db.new_session(write=True) as s:
                reactions.toggle(s, post_id=post.id, user=member, kind="metoo")

        return run

    outcomes = at_once(*(toggle(m) for m in members for _ in range(3)))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    # Three toggles each: on, off, on.
    assert load(Post, post.id).metoo_count == 5 == _rows(session, post, "metoo")


def test_a_post_that_is_not_there_is_404_and_one_not_open_is_409_with_nothing_written(client, session, post):
    with db.new_session(write=True) as s:
        s.execute(update(Post).where(Post.id == post.id).values(status=PostStatus.hidden))
        s.commit()
    join_via_http(client)
    token = csrf_of(client, f"/t/{post.thread_id}")
    missing = client.post("/p/987654/react/hug", data={"csrf_token": token})
    assert missing.status_code == 404 and "That post does not exist, or it was deleted." in missing.text
    closed = client.post(f"/p/{post.id}/react/hug", data={"want": "on"}, headers=htmx(token))
    assert closed.status_code == 409 and "This post is not open for encouragement right now." in closed.text
    assert _rows(session, post) == 0 and load(Post, post.id).hug_count == 0
