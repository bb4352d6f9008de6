"""'Your threads, with what is new': read markers set on a thread's last page, counted on /me."""

from contextlib import ExitStack

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import get_settings
from app.models import ReadMarker, User
from app.services import decisions, posting, read_markers
from tests import queries
from tests.factories import (
    PASSPHRASE,
    join_via_http,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
    sign_in_via_http,
)
from tests.html import by_id, parse
from tests.http import csrf_of, htmx


def _user(session, name) -> User:
    session.rollback()
    return session.scalar(select(User).where(User.pseudonym == name))


def _news(client) -> dict[str, str]:
    """Each listed thread's title -> its meta line, in the order /me lists them."""
    items = parse(client.get("/me").text).select("#your-threads li")
    return {
        li.select_one(".thread-title").get_text(): " ".join(li.select_one(".meta").get_text(" ").split())
        for li in items
    }


def _new(client) -> dict[str, int]:
    return {
        title: int(meta.split(" new repl")[0].rsplit(" ", 1)[1]) if "new repl" in meta else 0
        for title, meta in _news(client).items()
    }


def _marker(session, user, thread) -> int | None:
    session.rollback()
    return session.scalar(
        select(ReadMarker.position).where(ReadMarker.user_id == user.id, ReadMarker.thread_id == thread.id)
    )


def _reply(session, thread, author, body="A reply", **kw):
    return posting.reply(session, thread_id=thread.id, author=author, body=body, **kw)


def test_new_replies_are_counted_per_member_from_what_each_saw(client, other_client, session):
    join_via_http(client, "Author-A")
    join_via_http(other_client, "Reader-B")
    a, b = _user(session, "Author-A"), _user(session, "Reader-B")
    c = make_user(session, "Third-C")
    thread = make_thread(session, a, title="Week two")
    assert _new(client) == {"Week two": 0}
    assert _new(other_client) == {}  # B has not replied: not one of B's threads

    _reply(session, thread, b)  # B replies (as the service does when B posts with htmx)
    assert _new(client) == {"Week two": 1}
    assert _new(other_client) == {"Week two": 0}  # B's own reply is not new to B

    client.get(f"/t/{thread.id}")  # A reads the last page
    assert _marker(session, a, thread) == 1
    assert _new(client) == {"Week two": 0}

    _reply(session, thread, b)
    _reply(session, thread, c)
    _reply(session, thread, a)  # A's own reply: A saw what came before it
    _reply(session, thread, c)
    assert _new(client) == {"Week two": 1}
    assert _new(other_client) == {"Week two": 3}  # after B's second reply: C, A, C
    other_client.get(f"/t/{thread.id}")
    assert _new(other_client) == {"Week two": 0}
    assert _new(client) == {"Week two": 1}  # B's reading changes nothing for A
    meta = _news(client)["Week two"]
    assert meta.startswith("You started it") and "1 new reply since your last visit" in meta
    assert _news(other_client)["Week two"].startswith("You replied")


def test_posts_made_as_a_member_count_but_hidden_or_deleted_ones_do_not(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    moderator = make_moderator(session)
    thread = make_thread(session, a, title="Quiet one")
    _reply(session, thread, b, anonymous=True)
    gone = _reply(session, thread, b)
    posting.delete(session, post=gone, author=b)
    hidden = _reply(session, thread, b)
    filed = report(session, hidden, make_user(session))
    decisions.decide(
        session, report_id=filed.report.id, moderator=moderator, action="hide", reason="Off topic"
    )
    assert _new(client) == {"Quiet one": 1}


def test_threads_are_listed_newest_activity_first(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    first = make_thread(session, a, title="First thread")
    elsewhere = make_thread(session, b, title="Their thread")
    make_thread(session, a, title="Second thread")
    _reply(session, elsewhere, a)
    _reply(session, first, b)
    assert list(_news(client)) == ["First thread", "Their thread", "Second thread"]


def test_an_earlier_page_sets_no_marker_and_a_marker_never_moves_back(client, session, monkeypatch):
    monkeypatch.setenv("PEERBEARING_PAGE_SIZE", "2")
    get_settings.cache_clear()
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    thread = make_thread(session, a)
    for _ in range(3):
        _reply(session, thread, b)  # positions 1-3: pages [0, 1] and [2, 3]
    client.get(f"/t/{thread.id}")
    assert _marker(session, a, thread) is None
    client.get(f"/t/{thread.id}?after=1")
    assert _marker(session, a, thread) == 3
    read_markers.seen(session, reader=a, thread_id=thread.id, last_position=2)  # an older tab
    assert _marker(session, a, thread) == 3


def test_htmx_page_loads_mark_too(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    thread = make_thread(session, a)
    _reply(session, thread, make_user(session))
    token = csrf_of(client)
    assert client.get(f"/t/{thread.id}", headers=htmx(token)).status_code == 200
    assert _marker(session, a, thread) == 1


# --- what it costs: queries --------------------------------------------------------------------------


def _statements(client, path):
    with queries.statements() as seen:
        assert client.get(path).status_code == 200
    return [sql for sql, _ in seen]


def _marker_sql(statements):
    return [sql.split()[0].upper() for sql in statements if "read_marker" in sql]


def test_a_thread_view_reads_the_marker_once_on_the_last_page_and_writes_only_when_behind(
    client, other_client, session, monkeypatch
):
    monkeypatch.setenv("PEERBEARING_PAGE_SIZE", "2")
    get_settings.cache_clear()
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    thread = make_thread(session, a)
    for _ in range(3):
        _reply(session, thread, b)
    last = f"/t/{thread.id}?after=1"
    assert _marker_sql(_statements(other_client, last)) == []  # a visitor: nothing
    assert _marker_sql(_statements(client, f"/t/{thread.id}")) == []  # not the last page: nothing
    behind = _statements(client, last)
    assert _marker_sql(behind) == ["SELECT", "INSERT"]  # first visit: one read, one UPSERT
    assert "ON CONFLICT" in [s for s in behind if s.startswith("INSERT")][0]
    up_to_date = _statements(client, last)
    assert _marker_sql(up_to_date) == ["SELECT"]  # reading again: one read, no write
    _reply(session, thread, b)  # position 4 starts a third page; page two is no longer the last
    assert _marker_sql(_statements(client, last)) == []
    assert _marker_sql(_statements(client, f"/t/{thread.id}?after=3")) == ["SELECT", "INSERT"]
    assert len(_statements(client, f"/t/{thread.id}?after=3")) == len(up_to_date)


def test_the_thread_page_makes_the_same_queries_whatever_the_number_of_markers(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    thread = make_thread(session, a)
    others = [make_user(session) for _ in range(4)]
    client.get(f"/t/{thread.id}")
    one_marker = len(_statements(client, f"/t/{thread.id}"))
    with ExitStack() as stack:
        from app.main import create_app

        app = create_app()
        for member in others:
            browser = stack.enter_context(TestClient(app, follow_redirects=False))
            sign_in_via_http(browser, member.pseudonym)
            browser.get(f"/t/{thread.id}")
            for t in [make_thread(session, member) for _ in range(2)]:
                browser.get(f"/t/{t.id}")
    assert session.scalar(select(func.count()).select_from(ReadMarker)) == 1 + 4 * 3
    assert len(_statements(client, f"/t/{thread.id}")) == one_marker


def test_me_lists_any_number_of_threads_in_the_same_number_of_queries(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    make_thread(session, a, title="Only one")
    one_thread = len(_statements(client, "/me"))
    for n in range(6):
        t = make_thread(session, b, title=f"Theirs {n}")
        _reply(session, t, a)
        _reply(session, t, b)
        make_thread(session, a, title=f"Mine {n}")
    client.get(f"/t/{t.id}")
    assert len(_news(client)) == 13
    assert len(_statements(client, "/me")) == one_thread


# --- export and erasure ----------------------------------------------------------------------------


def test_export_lists_the_read_markers_and_erasure_takes_them_with_the_account(client, session):
    join_via_http(client, "Author-A")
    a = _user(session, "Author-A")
    b = make_user(session)
    thread = make_thread(session, b)
    _reply(session, thread, b)
    client.get(f"/t/{thread.id}")
    read_markers.seen(session, reader=b, thread_id=thread.id, last_position=1)
    assert client.get("/me/export").json()["read_markers"] == [
        {"thread_id": thread.id, "read_up_to_position": 1}
    ]
    token = csrf_of(client, "/me/delete")
    assert client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token}).status_code == 303
    session.rollback()
    left = session.scalars(select(ReadMarker.user_id)).all()
    assert left == [b.id] and load(User, a.id) is None
    assert by_id(client.get(f"/t/{thread.id}").text, f"p{opening_post(session, thread).id}")
