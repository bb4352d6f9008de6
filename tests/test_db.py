"""The engine: pool bounds on PostgreSQL, pragmas on SQLite, timestamps that stay UTC on both."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app import db
from app.config import Settings
from app.models import Category, Thread
from tests.engines import reset_caches
from tests.factories import make_thread, make_user


@pytest.mark.postgres_only
def test_postgres_pool_honours_size_and_overflow_and_refuses_one_more(database_url, monkeypatch):
    monkeypatch.setenv("PEERBEARING_DB_POOL_SIZE", "2")
    monkeypatch.setenv("PEERBEARING_DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("PEERBEARING_DB_POOL_TIMEOUT", "0.2")
    reset_caches()
    engine = db.get_engine()
    assert engine.pool.size() == 2
    held = [engine.connect() for _ in range(3)]
    try:
        assert engine.pool.checkedout() == 3 and engine.pool.overflow() == 1
        with pytest.raises(PoolTimeout):
            engine.connect()
    finally:
        for conn in held:
            conn.close()


@pytest.mark.postgres_only
def test_default_pools_of_eight_workers_fit_the_servers_connection_limit(database_url):
    settings = Settings()
    with db.get_engine().connect() as conn:
        limit = int(conn.scalar(text("SHOW max_connections")))
        reserved = int(conn.scalar(text("SHOW superuser_reserved_connections")))
    assert 8 * (settings.db_pool_size + settings.db_max_overflow) <= limit - reserved


@pytest.mark.sqlite_only
def test_sqlite_connections_use_wal_full_sync_foreign_keys_and_secure_delete(database_url):
    with db.get_engine().connect() as conn:
        found = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")
        }
    assert found == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "secure_delete": 1}


def test_the_engine_opens_the_database_that_database_url_names_and_follows_a_change(
    database_url, blank_database_url, monkeypatch
):
    with db.get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(Category)).scalar() > 0  # the migrated forum
    monkeypatch.setenv("DATABASE_URL", blank_database_url)
    reset_caches()
    assert db.get_engine().url.render_as_string(hide_password=False) == blank_database_url
    assert inspect(db.get_engine()).get_table_names() == [], "the new URL's empty database, not the forum"


def test_timestamps_come_back_aware_utc_and_equal_to_what_was_stored(session):
    thread = make_thread(session, make_user(session))
    moment = datetime(2026, 3, 29, 1, 30, 0, 123457, tzinfo=UTC)
    thread.last_activity_at = moment
    session.add(thread)
    session.commit()
    session.expire_all()
    stored = session.scalar(select(Thread.last_activity_at).where(Thread.id == thread.id))
    assert stored == moment and stored.tzinfo == UTC


@pytest.mark.postgres_only
def test_postgres_timestamps_read_as_utc_whatever_the_session_time_zone(session):
    thread = make_thread(session, make_user(session))
    session.execute(text("SET TIME ZONE 'Asia/Kolkata'"))
    stored = session.scalar(select(Thread.created_at).where(Thread.id == thread.id))
    assert stored.utcoffset().total_seconds() == 0 and stored == thread.created_at


@pytest.mark.sqlite_only
def test_a_begin_that_sqlite_refuses_is_a_storage_failure_and_gives_the_writers_turn_back(database_url):
    import sqlean
    from sqlalchemy import event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    engine = db.get_engine()

    def short_wait(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    event.listen(engine, "connect", short_wait)
    engine.dispose()
    with engine.connect() as conn:  # connected first: the pragmas need no lock, BEGIN IMMEDIATE does
        conn.exec_driver_sql("SELECT 1")
    # Another program holds the write lock without the app's queue: BEGIN IMMEDIATE finds it taken.
    other = sqlean.connect(make_url(database_url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with db.new_session(write=True) as session, pytest.raises(OperationalError) as refused:
            session.connection()
        assert "locked" in str(refused.value.orig) and db.storage_unavailable(refused.value)
        with pytest.raises(OperationalError) as refused:  # a plain connection, without the ORM's wrapping
            engine.execution_options(begin_immediate=True).begin().__enter__()
        assert db.storage_unavailable(refused.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with db.new_session(write=True) as session:  # the turn was given back: the next writer writes
        session.add(Category(slug="after-the-lock", name="After", description="", position=99))
        session.commit()
    event.remove(engine, "connect", short_wait)
    engine.dispose()
