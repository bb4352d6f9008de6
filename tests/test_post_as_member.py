"""Posting as "a member": nobody but the author and the moderators learns who wrote it."""

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.models import Post, Thread
from app.models.user import ANONYMOUS_NAME
from app.services import posting, reading, search
from tests import queries
from tests.factories import load, make_moderator, make_thread, make_user
from tests.http import csrf_of, htmx

AUTHOR = "Quietfern"
AUTHOR_ID = 37  # an id no other number on these small pages takes, so a leak of it is seen
WORD = "lighthouse"  # in every body, so search finds each post


@pytest.fixture
def author(session):
    for n in range(AUTHOR_ID - 1):
        make_user(session, f"Filler-{n}")
    user = make_user(session, AUTHOR)
    assert user.id == AUTHOR_ID
    return user


def _post_thread(client, *, anonymous: bool, title: str = "A quiet harbour", hx: bool = False):
    token = csrf_of(client, "/new")
    data = {"title": title, "body": f"The {WORD} keeps me going.", "category": "stories", "csrf_token": token}
    if anonymous:
        data["anonymous"] = "on"
    return client.post("/new", data=data, headers=htmx(token) if hx else {})


def _reply(client, thread_id: int, *, anonymous: bool, hx: bool = False):
    token = csrf_of(client, f"/t/{thread_id}")
    data = {"body": f"Another {WORD} night, and still here.", "csrf_token": token}
    if anonymous:
        data["anonymous"] = "on"
    return client.post(f"/t/{thread_id}/reply", data=data, headers=htmx(token) if hx else {})


def assert_reveals_nobody(html: str, author) -> None:
    """The author's pseudonym and id are nowhere: not in the text, not in any attribute."""
    soup = BeautifulSoup(html, "html.parser")
    assert AUTHOR.casefold() not in html.casefold()
    assert author.pseudonym_key not in html.casefold()
    own_id = re.compile(rf"\b{author.id}\b")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                assert not own_id.search(v), (tag.name, name, v)
    assert not own_id.search(soup.get_text()), "the author's id is in the text"


def _authors_shown(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [" ".join(span.get_text().split()) for span in soup.select(".post-meta .author")]


@pytest.fixture
def anonymous_thread(session, author, browsers):
    """An anonymous thread (without JS) with an anonymous reply (with HTMX) by AUTHOR."""
    writer = browsers(AUTHOR)
    r = _post_thread(writer, anonymous=True)
    assert r.status_code == 303
    thread_id = session.scalar(select(Thread.id).where(Thread.author_id == author.id))
    session.rollback()  # end this read: the test session may write after the app's writes
    assert r.headers["location"] == f"/t/{thread_id}"
    reply = _reply(writer, thread_id, anonymous=True, hx=True)
    assert reply.status_code == 200 and reply.headers["Vary"] == "HX-Request"
    fragment = BeautifulSoup(reply.text, "html.parser")
    post_id = int(fragment.find("article")["id"][1:])
    # The author's own fragment names them, with the quiet note that others see "a member".
    assert _authors_shown(reply.text) == [f"{AUTHOR} (posted as a member)"]
    return thread_id, post_id, writer


def test_the_forms_offer_posting_as_a_member(session, author, browsers, anonymous_thread):
    writer = browsers(AUTHOR)
    thread_id, _post_id, _ = anonymous_thread
    for path in ("/new", f"/t/{thread_id}"):
        box = BeautifulSoup(writer.get(path).text, "html.parser").find("input", attrs={"name": "anonymous"})
        assert box["type"] == "checkbox" and box["value"] == "on" and not box.has_attr("checked")


def test_both_posts_are_stored_as_anonymous_and_the_thread_lists_them_so(session, anonymous_thread):
    thread_id, post_id, _ = anonymous_thread
    assert load(Thread, thread_id).anonymous is True
    session.rollback()  # a fresh read, after the requests' writes
    posts = session.scalars(select(Post).where(Post.thread_id == thread_id).order_by(Post.position)).all()
    assert [p.anonymous for p in posts] == [True, True]
    assert posts[1].id == post_id


@pytest.mark.parametrize("reader", ["member", "visitor"])
def test_other_readers_learn_nothing_of_the_author_anywhere(
    session, author, browsers, client, anonymous_thread, reader
):
    thread_id, post_id, _ = anonymous_thread
    if reader == "member":
        make_user(session, "Brightpath")
        viewer = browsers("Brightpath")
    else:
        viewer = client
    pages = {
        "thread": viewer.get(f"/t/{thread_id}"),
        "thread fragment": viewer.get(f"/t/{thread_id}", headers={"HX-Request": "true"}),
        "front": viewer.get("/"),
        "front fragment": viewer.get("/", headers={"HX-Request": "true"}),
        "category": viewer.get("/c/stories"),
        "search": viewer.get("/search", params={"q": WORD}),
        "search fragment": viewer.get("/search", params={"q": WORD}, headers={"HX-Request": "true"}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_reveals_nobody(response.text, author)
    assert _authors_shown(pages["thread"].text) == [ANONYMOUS_NAME, ANONYMOUS_NAME]
    for name in ("front", "category"):
        meta = BeautifulSoup(pages[name].text, "html.parser").select_one(".thread-item .meta").get_text()
        assert f"by {ANONYMOUS_NAME}" in " ".join(meta.split()), name
    hits = BeautifulSoup(pages["search"].text, "html.parser").select(".search-hit .meta")
    assert len(hits) == 2
    assert all(f"by {ANONYMOUS_NAME} in" in " ".join(h.get_text().split()) for h in hits)
    # Nothing changes what the author can do: no edit link for anyone else.
    assert f"/p/{post_id}/edit" not in pages["thread"].text


def test_the_author_still_sees_their_name_and_edits_and_deletes(session, author, anonymous_thread):
    thread_id, post_id, writer = anonymous_thread
    page = writer.get(f"/t/{thread_id}").text
    assert _authors_shown(page) == [f"{AUTHOR} (posted as a member)"] * 2
    assert f"/p/{post_id}/edit" in page
    assert writer.get(f"/p/{post_id}/edit").status_code == 200
    token = csrf_of(writer, f"/p/{post_id}/edit")
    edited = writer.post(f"/p/{post_id}/edit", data={"body": f"Edited {WORD}.", "csrf_token": token})
    assert edited.status_code == 303
    deleted = writer.post(f"/p/{post_id}/delete", headers=htmx(token))
    assert deleted.status_code == 200 and f'id="p{post_id}"' in deleted.text
    assert _authors_shown(deleted.text) == [f"{AUTHOR} (posted as a member)"]
    assert load(Post, post_id).status == "deleted"


def test_reactions_and_reports_work_and_the_moderator_sees_the_pseudonym(
    session, author, browsers, anonymous_thread
):
    thread_id, post_id, _ = anonymous_thread
    make_user(session, "Brightpath")
    make_moderator(session, "Steady-Mod")
    reader = browsers("Brightpath")
    token = csrf_of(reader, f"/t/{thread_id}")
    hug = reader.post(f"/p/{post_id}/react/hug", data={"want": "on"}, headers=htmx(token))
    assert hug.status_code == 200 and f'id="reactions-p{post_id}"' in hug.text
    assert load(Post, post_id).hug_count == 1
    assert_reveals_nobody(hug.text, author)
    sent = reader.post(f"/p/{post_id}/report", data={"reason": "unkind", "csrf_token": token})
    assert sent.status_code == 303
    moderator = browsers("Steady-Mod")
    queue = BeautifulSoup(moderator.get("/mod").text, "html.parser")
    heading = " ".join(queue.select_one(".report-group h2").get_text().split())
    assert heading.startswith(f"Post by {AUTHOR}") and "(posted as a member)" in heading
    # Moderators see who wrote it on the thread page too, with the quiet note.
    assert _authors_shown(moderator.get(f"/t/{thread_id}").text) == [f"{AUTHOR} (posted as a member)"] * 2


def test_posts_not_made_as_a_member_still_show_the_pseudonym(session, author, browsers, client):
    writer = browsers(AUTHOR)
    r = _post_thread(writer, anonymous=False)
    assert r.status_code == 303
    assert _authors_shown(client.get(r.headers["location"]).text) == [AUTHOR]
    assert f"by {AUTHOR}" in " ".join(BeautifulSoup(client.get("/").text, "html.parser").get_text().split())


@pytest.mark.parametrize("hx", [False, True])
def test_a_refused_post_comes_back_with_the_box_still_ticked(session, author, browsers, hx):
    writer = browsers(AUTHOR)
    token = csrf_of(writer, "/new")
    data = {
        "title": "Hi",
        "body": "Short title.",
        "category": "stories",
        "anonymous": "on",
        "csrf_token": token,
    }
    r = writer.post("/new", data=data, headers=htmx(token) if hx else {})
    assert r.status_code == 422
    box = BeautifulSoup(r.text, "html.parser").find("input", attrs={"name": "anonymous"})
    assert box.has_attr("checked")


def test_the_export_marks_anonymous_posts(session, author, browsers, anonymous_thread):
    _thread, _post_id, writer = anonymous_thread
    _post_thread(writer, anonymous=False, title="Signed with my name")
    posts = writer.get("/me/export").json()["posts"]
    assert [p["anonymous"] for p in posts] == [True, True, False]


def test_the_byline_rule_in_the_service(session, author):
    other = make_user(session, "Brightpath")
    mod = make_moderator(session, "Steady-Mod")
    thread = make_thread(session, author, body=WORD)
    post = session.scalar(select(Post).where(Post.thread_id == thread.id))
    post.author = author
    post.anonymous = True
    assert reading.post_byline(post, reader=None) == reading.Byline(ANONYMOUS_NAME)
    assert reading.post_byline(post, reader=other) == reading.Byline(ANONYMOUS_NAME)
    assert reading.post_byline(post, reader=author) == reading.Byline(AUTHOR, as_member=True)
    assert reading.post_byline(post, reader=mod) == reading.Byline(AUTHOR, as_member=True)
    # An anonymous post whose author erased their account stays "a member", even to moderators.
    assert reading.byline(None, anonymous=True, reader=mod) == reading.Byline(ANONYMOUS_NAME)
    assert reading.byline(None, anonymous=False) == reading.Byline("a former member")
    assert reading.listed_byline(AUTHOR, anonymous=True) == reading.Byline(ANONYMOUS_NAME)


def test_thread_lists_and_search_name_anonymous_authors_without_a_query_per_row(session, author):
    def statements(read) -> int:
        sent = queries.count(read)
        session.commit()
        return sent

    def reads():
        return (
            lambda: reading.latest_threads(session),
            lambda: reading.category_threads(session, category=reading.category(session, "stories")),
            lambda: search.search(session, q=WORD),
        )

    posting.start_thread(
        session, author=author, category_slug="stories", title="One", body=WORD, anonymous=True
    )
    one = [statements(read) for read in reads()]
    for n in range(4):
        writer = make_user(session)
        posting.start_thread(
            session,
            author=writer,
            category_slug="stories",
            title=f"More {n}",
            body=WORD,
            anonymous=n % 2 == 0,
        )
    assert [statements(read) for read in reads()] == one
    page = reading.latest_threads(session)
    names = [page.bylines[t.id].name for t in page.threads]
    assert names.count(ANONYMOUS_NAME) == 3 and AUTHOR not in names
