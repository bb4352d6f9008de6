"""Where a read page's work runs: on the event loop on SQLite, in the thread pool on PostgreSQL.

A hand-off to a thread and back cost 0.25-0.35 ms a request here, a quarter of a short page; on
SQLite a read is a call into the library on a local file, so the hot read pages make none
(db.run_reads). A write still goes to the pool (it may wait for the lock), and on PostgreSQL every
query does (a round trip on the network must not hold the loop).
"""

import anyio.to_thread
import pytest

from app.services import posting
from tests.engines import ENGINE
from tests.factories import make_moderator, make_thread, make_user, opening_post, report

ON_SQLITE = ENGINE == "sqlite"


@pytest.fixture
def hops(monkeypatch) -> list[str]:
    """The names of the functions the app hands to the thread pool, in order."""
    handed: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        named = getattr(func, "func", func)  # run_in_threadpool hands over a partial
        handed.append(getattr(named, "__name__", repr(named)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return handed


def _pages(session) -> dict[str, str]:
    author = make_user(session)
    thread = make_thread(session, author)
    posting.reply(session, thread_id=thread.id, author=author, body="Still here.")
    return {"front": "/", "category": "/c/stories", "thread": f"/t/{thread.id}"}


def test_a_visitors_read_pages_make_no_trip_to_the_thread_pool_on_sqlite(client, session, hops):
    for name, path in _pages(session).items():
        hops.clear()
        answer = client.get(path)
        assert answer.status_code == 200, name
        if ON_SQLITE:
            assert hops == [], name
        else:  # the page's reads, in one trip (and the session's close, a round trip too)
            assert hops[:1] == [f"_{name}_page"], (name, hops)


def test_a_members_thread_page_goes_to_the_pool_only_to_move_their_read_marker(session, browsers, hops):
    make_user(session, "Hop-Reader")
    thread = make_thread(session, make_user(session))
    reader = browsers("Hop-Reader")
    hops.clear()
    assert reader.get(f"/t/{thread.id}").status_code == 200  # the end of the thread, first time: a write
    assert "move_forward" in hops
    hops.clear()
    assert reader.get(f"/t/{thread.id}").status_code == 200  # read again: nothing to move
    assert "move_forward" not in hops
    if ON_SQLITE:
        assert hops == []  # who they are, the page, the marker: all read on the loop
    posting.reply(session, thread_id=thread.id, author=make_user(session), body="A new reply.")
    hops.clear()
    assert reader.get(f"/t/{thread.id}").status_code == 200
    assert "move_forward" in hops, "a new reply puts the marker behind again"


def test_the_moderators_queue_is_read_on_the_loop_on_sqlite(session, browsers, hops):
    make_moderator(session, "Hop-Mod")
    report(session, opening_post(session, make_thread(session, make_user(session))), make_user(session))
    moderator = browsers("Hop-Mod")
    hops.clear()
    assert moderator.get("/mod").status_code == 200
    if ON_SQLITE:
        assert hops == []
    else:
        assert "queue" in hops and "_identify_member" in hops
