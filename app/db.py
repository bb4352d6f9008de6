"""Engine, sessions and the storage rules (SQLite pragmas, BEGIN IMMEDIATE for writes)."""

from collections.abc import Callable
from functools import lru_cache
from typing import ParamSpec, TypeVar

import sqlean
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, Integer, String, bindparam, create_engine, event, literal, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app import writer_queue
from app.config import get_settings

# SQLite comes from sqlean.py, a drop-in sqlite3 with its own, current SQLite (wheels for Linux,
# macOS and Windows, x86-64 and arm64): FTS5's 'secure-delete' (3.42+) is what lets an erased post
# leave the search index without rewriting it. Once on, older libraries cannot read post_search.
SQLITE_DRIVER = sqlean.dbapi2


def is_sqlite(url: str | URL) -> bool:
    return str(url).startswith("sqlite")


# SQLite's busy handler is not a queue (a newcomer can pass a writer that has waited long): with 32
# writers at once on a loaded machine 10 s was too short for the last. The writers' queue
# (app/writer_queue.py) now orders them; this bounds a wait for its turn, then for the lock itself.
BUSY_TIMEOUT_S = 30


def plain_engine(url: str | URL, **kwargs) -> Engine:
    """The forum's SQLite driver and secure_delete, without the serving pragmas (migrations, tools)."""
    if not is_sqlite(url):
        return create_engine(url, **kwargs)
    engine = create_engine(url, module=SQLITE_DRIVER, **kwargs)

    @event.listens_for(engine, "connect")
    def _secure_delete(dbapi_conn, _record):
        # Every writer zeroes what it frees: a migration's rewrite leaves no old words either.
        dbapi_conn.execute("PRAGMA secure_delete=ON")

    return engine


def make_engine(url: str) -> Engine:
    settings = get_settings()
    if is_sqlite(url):
        # The driver's own transaction handling is turned off so we can emit BEGIN ourselves; its
        # connections are in their file's writers' queue, which BEGIN IMMEDIATE waits on.
        engine = plain_engine(
            url, connect_args={"check_same_thread": False, "factory": writer_queue.QueuedConnection}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # secure_delete=ON is set by plain_engine: a deleted post's words do not linger in the file.
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",  # acknowledged means durable
                "foreign_keys=ON",
                f"busy_timeout={BUSY_TIMEOUT_S * 1000}",
            ):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Writers take the lock up front: a deferred read-then-write fails under several workers.
            immediate = conn.get_execution_options().get("begin_immediate", False)
            dbapi_conn = conn.connection.dbapi_connection
            if immediate:
                # They wait their turn first (woken as soon as the last writer commits), not in SQLite's
                # busy handler; the connection gives the turn back after its COMMIT or ROLLBACK.
                dbapi_conn.take_turn(timeout=BUSY_TIMEOUT_S)
            try:
                # Straight to the driver: through conn.exec_driver_sql a BEGIN cost 50-100k instructions
                # more (1-4% of a short page). A failure is wrapped as SQLAlchemy wraps any other.
                dbapi_conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except BaseException as exc:
                if immediate:
                    dbapi_conn.give_back_turn()
                if not isinstance(exc, SQLITE_DRIVER.Error):
                    raise
                driver_error = SQLITE_DRIVER.Error
                raise DBAPIError.instance("BEGIN", (), exc, driver_error, dialect=conn.dialect) from exc

        @event.listens_for(engine, "checkin")
        def _never_idle_with_the_turn(dbapi_conn, _record):
            # The pool's rollback on return gives it back already; this holds whatever the reset setting.
            if dbapi_conn is not None:
                dbapi_conn.give_back_turn()

        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def reset_engine() -> None:
    """Forget the cached engine (tests and the CLI switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def new_session(*, write: bool = False) -> Session:
    engine = get_engine()
    bind = engine.execution_options(begin_immediate=True) if write else engine
    return Session(bind, expire_on_commit=False)


def reads_only(session: Session) -> None:
    """The session's next transaction only reads: on SQLite a plain BEGIN even in a POST's session, so
    it does not queue behind writers for the write lock (WAL readers never wait). It must end before
    anything is written (end_reads); the session's later transactions begin as the session was made."""
    if _on_sqlite(session) and not session.in_transaction():
        session.connection(execution_options={"begin_immediate": False})


def writes_next(session: Session) -> None:
    """The session's next transaction writes: on SQLite BEGIN IMMEDIATE, in the writers' turn, even in
    a GET's session (a page that marks what was read), not a deferred BEGIN in SQLite's busy handler."""
    if _on_sqlite(session) and not session.in_transaction():
        session.connection(execution_options={"begin_immediate": True})


def end_reads(session: Session) -> None:
    """On SQLite, end the read transaction reads_only() began: the write that follows takes the lock
    only when it starts, after the words are rendered. PostgreSQL's reads hold no such lock."""
    if _on_sqlite(session):
        session.commit()


def _on_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


P = ParamSpec("P")
R = TypeVar("R")


async def run_reads(session: Session, reads: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """reads(*args, **kwargs), which only reads through `session`, where it costs least.

    On SQLite, on the event loop: a read is a call into the library on a local file (WAL readers
    never wait for a writer), shorter than the hand-off to a thread and back (0.25-0.35 ms a
    request, a quarter of a short page). On PostgreSQL, in the thread pool: a round trip on the
    network must not hold the loop. Never for a write: on SQLite a write may wait its turn for the
    lock, and that wait must not hold every other request of the worker."""
    if _on_sqlite(session):
        return reads(*args, **kwargs)
    return await run_in_threadpool(reads, *args, **kwargs)


async def close_session(session: Session) -> None:
    """Close the request's session after its answer has gone.

    On the event loop when that waits on nothing (no connection held, or SQLite's local file: the pool's
    rollback is a call into the library); in the thread pool when it is a round trip to PostgreSQL."""
    if session.in_transaction() and not _on_sqlite(session):
        await run_in_threadpool(_close, session)
    else:
        _close(session)


def _close(session: Session) -> None:
    try:
        session.close()
    except DBAPIError as exc:
        # A connection that died under the request (the database stopped) must not cut its answer
        # off. It is dropped, never reused.
        if not storage_unavailable(exc):
            raise
        session.invalidate()


def insert(session: Session, table):
    """INSERT in the session's own dialect, so ON CONFLICT (the race-deciding clause) can follow."""
    dialect = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return dialect(table)


# SQLite (3.50) plans some statements with the values bound to them, and then plans them again at
# every run, since the next run binds anew: a bound LIMIT, and a bound value compared with a partial
# index's WHERE (`status = ?` on a table with an index WHERE status = 'open'). Planning again cost
# more than running: 0.26M of the thread page's 0.95M instructions a query, 0.34M of the sign-in
# query's 0.46M. These two write such values into the SQL text instead.


def row_limit(rows: int | str):
    """A LIMIT of `rows` (a count, or the name it is bound under), written into the SQL when it runs."""
    if isinstance(rows, str):
        return bindparam(rows, type_=Integer, literal_execute=True)
    return literal(rows, Integer, literal_execute=True)


def constant(word: str):
    """One of the app's own fixed words (a status), written into the SQL once, when it is compiled."""
    if not word.isidentifier():  # never a value from a request: only the app's enum members
        raise ValueError(f"not a constant: {word!r}")
    return literal_column(f"'{word}'", String)


def read(query, *args):
    """query(session, *args) in a short read session of its own, closed before it answers.

    For what an error answer shows: by then the request's own session has been closed.
    """
    with new_session() as session:
        return query(session, *args)


# SQLite primary result codes of a store that cannot serve now (busy, locked, out of memory, read-only,
# I/O, corrupt, full, cannot open, lock protocol); others (SQLITE_ERROR: no such table, bad SQL) are bugs.
SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 15})
# PostgreSQL SQLSTATEs outside psycopg's OperationalError that mean the same: a read-only transaction
# (a standby, default_transaction_read_only), and the classes of connection and resource failures.
POSTGRES_UNAVAILABLE = frozenset({"25006"})
POSTGRES_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")


# The exceptions storage_unavailable() sorts: the app's handler for them answers 503 or, if not, 500.
STORAGE_FAILURES = (DBAPIError, PoolTimeout)


def storage_unavailable(exc: BaseException) -> bool:
    """The database is away, read-only, full or overloaded: nothing was saved, and a retry may work."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_UNAVAILABLE
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate:
        return sqlstate in POSTGRES_UNAVAILABLE or sqlstate.startswith(POSTGRES_UNAVAILABLE_CLASSES)
    # No code at all: the driver could not reach the database (refused, closed, terminated).
    return isinstance(exc, OperationalError | InterfaceError)
