"""SQLite's writers take turns (app/writer_queue.py): across threads and processes, and never keep a turn.

Every check is on the real engine and a real migrated file. The turn is the flock on
`<database>-writers.lock`: a fresh descriptor that cannot flock it means some writer holds it. A
writer that kept its turn would make the next one wait busy_timeout (30 s); each next write here
has 10 s to finish, so a leak fails the test instead of hanging the run.
"""

import fcntl
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from app import db
from app.models import ReadMarker, User
from tests.factories import join_via_http, make_thread, make_user

pytestmark = pytest.mark.sqlite_only

THREADS = 4
WRITES = 5
# Far shorter than the queue's whole wait (8 writers x 5 writes x 10 ms): without the queue,
# SQLite's busy handler would give up on some of them ("database is locked").
SHORT_BUSY_TIMEOUT_MS = 20
HELD_S = 0.01
NEXT_WRITE_S = 10


def _lock_path(database_url: str) -> Path:
    return Path(f"{make_url(database_url).database}-writers.lock")


def _turn_is_free(lock_path: Path) -> bool:
    """No writer anywhere holds the file's turn (flock on a descriptor of our own, then let go)."""
    with open(lock_path, "rb") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True


def _short_busy_timeout() -> None:
    """This process's engine gives up on SQLite's own lock after 20 ms: only the queue may wait."""
    engine = db.get_engine()
    event.listen(
        engine, "connect", lambda conn, _record: conn.execute(f"PRAGMA busy_timeout={SHORT_BUSY_TIMEOUT_MS}")
    )
    engine.dispose()


def _write(tag: str, lock_path: Path, *, hold: float = 0.0) -> None:
    with db.new_session(write=True) as s:
        s.execute(text("INSERT INTO turn (tag, held) VALUES (:tag, :held)"), {"tag": tag, "held": 0})
        held = not _turn_is_free(lock_path)
        s.execute(text("UPDATE turn SET held = :held WHERE rowid = last_insert_rowid()"), {"held": held})
        threading.Event().wait(hold)  # the turn is held while the transaction is open
        s.commit()


def _writers(tag: str, lock_path: Path, go) -> None:
    """THREADS threads, each writing WRITES times, all released by `go`; raises what any raised."""

    def run(n: int) -> None:
        go.wait()
        for i in range(WRITES):
            _write(f"{tag}-{n}-{i}", lock_path, hold=HELD_S)

    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(run, n) for n in range(THREADS)]:
            done.result()


def _other_process(database_url: str, ready, go) -> None:
    os.environ["DATABASE_URL"] = database_url
    _short_busy_timeout()
    ready.set()
    _writers("other", _lock_path(database_url), go)


@pytest.fixture
def lock_path(database_url) -> Path:
    with db.new_session() as s:
        s.execute(text("CREATE TABLE turn (tag TEXT NOT NULL, held INTEGER NOT NULL)"))
        s.commit()
    return _lock_path(database_url)


def test_writers_of_two_processes_and_several_threads_each_take_a_turn_and_all_succeed(
    database_url, lock_path
):
    _short_busy_timeout()
    spawn = multiprocessing.get_context("spawn")  # the app's workers are spawned too
    ready, go = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_other_process, args=(database_url, ready, go))
    other.start()
    try:
        assert ready.wait(60), "the other process started"
        go.set()
        _writers("this", lock_path, go)
    finally:
        other.join(60)
    assert other.exitcode == 0, "every write of the other process succeeded"
    with db.new_session() as s:
        rows = s.execute(text("SELECT tag, held FROM turn")).all()
    assert len(rows) == 2 * THREADS * WRITES
    assert {tag.split("-")[0] for tag, _ in rows} == {"this", "other"}
    assert all(held for _, held in rows), "each writer held the file's turn while it wrote"
    assert _turn_is_free(lock_path)


class Refused(Exception):
    pass


@pytest.mark.parametrize("failure", ["an exception of the app", "an SQL error"])
def test_a_write_transaction_that_fails_gives_its_turn_back(lock_path, failure):
    with pytest.raises(Exception) as raised, db.new_session(write=True) as s:
        s.execute(text("INSERT INTO turn (tag, held) VALUES ('failed', 1)"))
        assert not _turn_is_free(lock_path)
        if failure == "an SQL error":
            s.execute(text("INSERT INTO turn (tag, held) VALUES (NULL, 1)"))  # NOT NULL
        raise Refused
    assert (raised.type is Refused) == (failure == "an exception of the app")
    assert _turn_is_free(lock_path)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_write, "next", lock_path).result(timeout=NEXT_WRITE_S)
    with db.new_session() as s:
        assert s.execute(text("SELECT tag FROM turn")).scalars().all() == ["next"]


@pytest.mark.parametrize("end", ["invalidated", "returned to the pool"])
def test_a_connection_that_goes_while_holding_the_turn_gives_it_back(lock_path, end):
    engine = db.get_engine()
    conn = engine.connect().execution_options(begin_immediate=True)
    conn.begin()
    conn.exec_driver_sql("INSERT INTO turn (tag, held) VALUES ('lost', 1)")
    assert not _turn_is_free(lock_path)
    if end == "invalidated":
        conn.invalidate()  # closed by the pool: how a connection that failed under a writer ends
    else:
        conn.close()  # back to the pool with its transaction open: the pool rolls it back
    assert _turn_is_free(lock_path)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_write, "next", lock_path).result(timeout=NEXT_WRITE_S)
    conn.close()
    with db.new_session() as s:
        assert s.execute(text("SELECT tag FROM turn")).scalars().all() == ["next"]


def test_a_lock_file_that_cannot_be_made_leaves_no_queue_logged_once_and_the_forum_working(
    database_url, tmp_path, caplog
):
    lock_path = _lock_path(database_url)
    lock_path.symlink_to(tmp_path / "no-such-folder" / "writers.lock")  # creating it fails (even as root)
    db.reset_engine()
    engine = db.get_engine()
    with caplog.at_level(logging.WARNING, logger="peerbearing"):
        with engine.connect() as one, engine.connect() as two:
            assert one.connection.dbapi_connection.writers is None
            assert two.connection.dbapi_connection.writers is None
        with db.new_session(write=True) as s:
            s.execute(text("CREATE TABLE turn (tag TEXT NOT NULL, held INTEGER NOT NULL)"))
            s.execute(text("INSERT INTO turn (tag, held) VALUES ('unqueued', 0)"))
            s.commit()
    with db.new_session() as s:
        assert s.execute(text("SELECT tag FROM turn")).scalars().all() == ["unqueued"]
    queue_off = [r for r in caplog.records if "writers' queue off" in r.getMessage()]
    assert len(queue_off) == 1 and "No such file or directory" in queue_off[0].getMessage()


def test_an_in_memory_database_has_no_queue_and_no_lock_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = db.make_engine("sqlite://")
    try:
        with engine.connect().execution_options(begin_immediate=True) as conn:
            conn.begin()
            assert conn.connection.dbapi_connection.writers is None
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.commit()
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []


def test_a_thread_page_that_marks_what_was_read_writes_in_the_writers_turn(lock_path, client, session):
    """A GET's write (the read marker) queues with the posts and reactions, not in SQLite's busy handler."""
    join_via_http(client, "Reader-Fern")
    reader = session.scalar(select(User).where(User.pseudonym == "Reader-Fern"))
    thread = make_thread(session, make_user(session))
    session.commit()
    with open(lock_path, "rb") as turn, ThreadPoolExecutor(1) as pool:
        fcntl.flock(turn, fcntl.LOCK_EX)  # another writer's turn
        page = pool.submit(client.get, f"/t/{thread.id}")
        waited = not _done_within(page, 0.5)
        fcntl.flock(turn, fcntl.LOCK_UN)
        assert page.result(timeout=NEXT_WRITE_S).status_code == 200
    assert waited, "the marker's write waited for the turn"
    marker = select(ReadMarker.position).where(
        ReadMarker.user_id == reader.id, ReadMarker.thread_id == thread.id
    )
    assert session.scalar(marker) == 0


def _done_within(future, seconds: float) -> bool:
    try:
        future.result(timeout=seconds)
    except TimeoutError:
        return False
    return True
