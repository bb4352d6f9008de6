"""Edits inside a window, and the private history of what each edit replaced (moderators only)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.errors import Conflict
from app.models import Post, PostVersion
from app.services import history, posting, reading
from tests import html
from tests.factories import PASSPHRASE, load, make_moderator, make_thread, make_user, opening_post
from tests.http import csrf_of, htmx, submit

WINDOW = timedelta(minutes=1440)


@pytest.fixture
def writer(session):
    return make_user(session, "Quietfern")


@pytest.fixture
def post(session, writer):
    thread = make_thread(session, writer, title="Evenings", body="First words.", content_note="first note")
    return opening_post(session, thread)


@pytest.fixture
def window_closed(database_url, monkeypatch):
    """No edit window at all: every post is already past it (no waiting, no clock in the test)."""
    monkeypatch.setenv("PEERBEARING_EDIT_WINDOW_MINUTES", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _versions(session, post_id: int) -> list[tuple[str, str]]:
    session.rollback()
    rows = session.execute(
        select(PostVersion.body_source, PostVersion.content_note)
        .where(PostVersion.post_id == post_id)
        .order_by(PostVersion.id)
    )
    return [tuple(r) for r in rows]


# --- the window, with an injected clock ------------------------------------------------------------


def test_an_edit_inside_the_window_keeps_the_words_it_replaced(session, writer, post):
    last_minute = post.created_at + WINDOW - timedelta(seconds=1)
    posting.edit(session, post=post, author=writer, body="Second words.", content_note="", now=last_minute)
    posting.edit(session, post=post, author=writer, body="Third words.", now=last_minute)
    assert _versions(session, post.id) == [("First words.", "first note"), ("Second words.", "")]
    assert load(Post, post.id).body_source == "Third words."


def test_an_edit_that_changes_nothing_keeps_no_version(session, writer, post):
    posting.edit(session, post=post, author=writer, body="First words.", content_note="first note")
    assert _versions(session, post.id) == []


def test_an_edit_once_the_window_has_closed_is_refused_with_409_and_the_offer_to_delete(
    session, writer, post
):
    closed = post.created_at + WINDOW
    with pytest.raises(Conflict, match="You can still delete it"):
        posting.edit(session, post=post, author=writer, body="Too late.", now=closed)
    session.rollback()
    assert load(Post, post.id).body_source == "First words." and _versions(session, post.id) == []


def test_the_edit_link_is_offered_by_the_service_only_inside_the_window(session, writer, post):
    full = session.scalar(select(Post).where(Post.id == post.id))
    full.author = writer
    inside = reading.as_seen_by(full, reader=writer, now=post.created_at + WINDOW - timedelta(minutes=1))
    after = reading.as_seen_by(full, reader=writer, now=post.created_at + WINDOW)
    other = reading.as_seen_by(full, reader=make_user(session), now=post.created_at)
    assert (inside.can_edit, after.can_edit, other.can_edit) == (True, False, False)


# --- the window over HTTP --------------------------------------------------------------------------


def test_inside_the_window_the_author_edits_without_js_and_sees_the_edit_link(session, post, browsers):
    author = browsers("Quietfern")
    page = author.get(f"/t/{post.thread_id}").text
    assert html.one(page, f"#p{post.id} .post-actions a")["href"] == f"/p/{post.id}/edit"
    r = submit(author, f"/p/{post.id}/edit", {"body": "Better words.", "content_note": ""})
    assert r.status_code == 303 and r.headers["location"].endswith(f"#p{post.id}")
    assert _versions(session, post.id) == [("First words.", "first note")]


def test_after_the_window_the_edit_page_answers_409_with_the_reason_and_the_delete_form(
    session, post, browsers, window_closed
):
    author = browsers("Quietfern")
    assert f"/p/{post.id}/edit" not in author.get(f"/t/{post.thread_id}").text, "no Edit link after it"
    r = author.get(f"/p/{post.id}/edit")
    assert r.status_code == 409
    section = html.by_id(r.text, "edit-form")
    assert "You can still delete it" in section.get_text()
    assert html.one(section, "form")["action"] == f"/p/{post.id}/delete"


def test_after_the_window_saving_answers_409_and_keeps_what_was_typed(session, post, browsers, window_closed):
    author = browsers("Quietfern")
    r = submit(
        author, f"/p/{post.id}/edit", {"body": "Typed too late.", "content_note": ""}, page="/guidelines"
    )
    assert r.status_code == 409
    assert html.by_id(r.text, "edit-form-body").get_text() == "Typed too late."
    assert html.one(r.text, "#edit-form form")["action"] == f"/p/{post.id}/delete"
    assert load(Post, post.id).body_source == "First words." and _versions(session, post.id) == []


def test_after_the_window_saving_with_htmx_answers_the_closed_fragment(
    session, post, browsers, window_closed
):
    author = browsers("Quietfern")
    token = csrf_of(author)
    r = author.post(f"/p/{post.id}/edit", data={"body": "Typed too late."}, headers=htmx(token))
    assert r.status_code == 409 and r.headers["HX-Retarget"] == "#edit-form"
    assert html.root(r.text) == "section#edit-form" and r.headers["Vary"] == "HX-Request"
    assert "Typed too late." in r.text and "You can still delete it" in r.text


def test_after_the_window_the_author_can_still_delete(session, post, browsers, window_closed):
    author = browsers("Quietfern")
    r = submit(author, f"/p/{post.id}/delete", {}, page="/guidelines")
    assert r.status_code == 303 and load(Post, post.id).status == "deleted"


# --- the history: moderators only ------------------------------------------------------------------


def _edited(session, writer, post) -> None:
    posting.edit(session, post=post, author=writer, body="Second words.", content_note="")


def test_moderators_read_the_earlier_versions(session, writer, post, browsers):
    _edited(session, writer, post)
    make_moderator(session, "Steady-Mod")
    mod = browsers("Steady-Mod")
    assert f'href="/p/{post.id}/history"' in mod.get(f"/t/{post.thread_id}").text
    r = mod.get(f"/p/{post.id}/history")
    assert r.status_code == 200
    shown = html.text_of(r.text, "post-history")
    assert "Second words." in shown and "First words." in shown and "first note" in shown
    assert shown.index("Second words.") < shown.index("First words."), "now first, then older versions"


@pytest.mark.parametrize("who", ["author", "member", "visitor"])
def test_nobody_but_a_moderator_learns_the_history_exists(session, writer, post, browsers, client, who):
    _edited(session, writer, post)
    if who == "author":
        reader = browsers("Quietfern")
    elif who == "member":
        make_user(session, "Brightpath")
        reader = browsers("Brightpath")
    else:
        reader = client
    r = reader.get(f"/p/{post.id}/history")
    unknown = reader.get("/p/999999/history")
    assert r.status_code == unknown.status_code == 404
    assert "First words." not in r.text
    assert html.one(r.text, "main h1").get_text() == html.one(unknown.text, "main h1").get_text()
    assert f"/p/{post.id}/history" not in reader.get(f"/t/{post.thread_id}").text


def test_the_history_service_refuses_members_as_an_unknown_post(session, writer, post):
    _edited(session, writer, post)
    with pytest.raises(Exception, match="does not exist") as refused:
        history.history_of(session, post=post, reader=writer)
    assert refused.value.status_code == 404
    found = history.history_of(session, post=post, reader=make_moderator(session))
    assert [v.body_source for v in found.versions] == ["First words."]


def test_the_history_goes_with_the_account_even_when_its_posts_stay(session, writer, post, browsers):
    _edited(session, writer, post)
    author = browsers("Quietfern")
    assert author.get("/me/export").json()["earlier_versions_of_posts"][0]["body"] == "First words."
    r = submit(author, "/me/delete", {"passphrase": PASSPHRASE})
    assert r.status_code == 303
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PostVersion)) == 0
    assert load(Post, post.id).body_source == "Second words.", "the kept post itself stays"
