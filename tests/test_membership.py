from sqlalchemy import func, select

from app.models import LoginSession, Post, Reaction, Thread, User
from app.services import reactions
from tests.factories import PASSPHRASE, join_via_http, load, make_thread, make_user, opening_post
from tests.http import csrf_of, htmx


def _me(session, name):
    session.rollback()
    return session.scalar(select(User).where(User.pseudonym == name))


def test_export_holds_everything_about_the_member_and_no_secrets(client, session):
    join_via_http(client, "Calm-River-12")
    token = csrf_of(client, "/new")
    client.post(
        "/new", data={"title": "My week", "body": "It was long", "category": "stories", "csrf_token": token}
    )
    other = opening_post(session, make_thread(session, make_user(session)))
    reactions.toggle(session, post_id=other.id, user=_me(session, "Calm-River-12"), kind="hug")
    r = client.get("/me/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["account"]["pseudonym"] == "Calm-River-12"
    assert [t["title"] for t in data["threads"]] == ["My week"]
    assert [p["body"] for p in data["posts"]] == ["It was long"]
    assert data["encouragements_given"][0]["kind"] == "hug"
    assert "argon2" not in r.text and "hash" not in r.text


def test_erasing_the_account_keeps_posts_as_a_former_members_and_fixes_counts(client, session):
    join_via_http(client, "Calm-River-12")
    me = _me(session, "Calm-River-12")
    mine = make_thread(session, me, title="Keep this thread")
    other = opening_post(session, make_thread(session, make_user(session)))
    reactions.toggle(session, post_id=other.id, user=me, kind="hug")
    token = csrf_of(client, "/me/delete")
    r = client.post("/me/delete", data={"passphrase": "not it at all", "csrf_token": token})
    assert r.status_code == 422 and "not your current passphrase" in r.text
    r = client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert _me(session, "Calm-River-12") is None
    # The other member's first session (made when they joined) is theirs; none of the erased one's stays.
    assert session.scalar(select(func.count()).where(LoginSession.user_id == me.id)) == 0
    assert session.scalar(select(func.count()).select_from(Reaction)) == 0
    assert load(Post, other.id).hug_count == 0
    page = client.get(f"/t/{mine.id}").text
    assert "Keep this thread" in page and "a former member" in page


def test_erasing_with_posts_removes_their_words(client, session):
    join_via_http(client, "Calm-River-12")
    thread = make_thread(session, _me(session, "Calm-River-12"), title="Private title", body="Private words")
    token = csrf_of(client, "/me/delete")
    r = client.post(
        "/me/delete",
        data={"passphrase": PASSPHRASE, "erase_posts": "yes"},
        headers=htmx(token),
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/"
    session.rollback()
    assert session.scalar(select(Post.body_source)) == ""
    assert session.scalar(select(Thread.title)) != "Private title"
    page = client.get(f"/t/{thread.id}").text
    assert "Private words" not in page and "Private title" not in page
