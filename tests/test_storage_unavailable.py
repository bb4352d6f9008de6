"""A database that is away, read-only or full answers a calm 503 that keeps the typed words.

Each fault is a real one on the app's own connections: SQLite opened read-only (`mode=ro`, which
holds even for root, who ignores file permissions), SQLite full (`PRAGMA max_page_count` at the
file's size: SQLITE_FULL), PostgreSQL read-only (`default_transaction_read_only`, with the app's
pooled connections terminated under it), and a database that is not there at all. Each case: the
POST answers 503 with Retry-After and the words typed, no trace; the next request is answered;
once the fault is gone the same POST is saved, without a restart.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlean
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from app import db
from app.config import get_settings
from app.models import Post, Thread
from tests.engines import admin
from tests.factories import join_via_http, make_thread, make_user
from tests.http import csrf_of, htmx
from tests.live import free_port

CALM = "The forum cannot save or show posts for a moment"
INTERNALS = re.compile(r"Traceback|sqlalchemy|sqlean|psycopg|sqlite3|OperationalError", re.IGNORECASE)


def _assert_calm_503(response, *typed: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert CALM in response.text and "Nothing you wrote is lost" in response.text
    assert not INTERNALS.search(response.text)
    for words in typed:
        assert words in response.text


def _replies_saying(thread_id: int, words: str) -> int:
    with db.new_session() as s:
        found = select(func.count()).where(Post.thread_id == thread_id, Post.body_source == words)
        return s.scalar(found)


def _switch_database(monkeypatch, url: str) -> None:
    """The running app's next request opens `url` (the engine is made afresh from the settings)."""
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_engine()


@pytest.fixture
def member(client, session) -> TestClient:
    join_via_http(client, "Steady-Keel")
    return client


@pytest.fixture
def thread(session) -> Thread:
    return make_thread(session, make_user(session, "Kind-Harbour"))


@pytest.mark.sqlite_only
def test_a_read_only_sqlite_file_answers_503_keeps_the_reply_and_saves_it_once_writable(
    member, thread, database_url, monkeypatch
):
    path = make_url(database_url).database
    token = csrf_of(member)
    words = "Still here on day nine, read-only or not."
    _switch_database(monkeypatch, f"sqlite:///file:{path}?mode=ro&uri=true")

    refused = member.post(f"/t/{thread.id}/reply", data={"body": words, "csrf_token": token})
    _assert_calm_503(refused, words)
    with_htmx = member.post(f"/t/{thread.id}/reply", data={"body": words}, headers=htmx(token))
    _assert_calm_503(with_htmx)
    assert with_htmx.headers["HX-Retarget"] in ("#flash", "#reply-form")
    assert member.get("/").status_code == 200, "the next request is answered"

    _switch_database(monkeypatch, database_url)
    assert member.post(f"/t/{thread.id}/reply", data={"body": words, "csrf_token": token}).status_code == 303
    assert _replies_saying(thread.id, words) == 1


@contextmanager
def _sqlite_full(path: str) -> Iterator[None]:
    """Every new connection of the app may not grow the file: the next page it needs is SQLITE_FULL."""
    with sqlean.connect(path) as conn:
        conn.execute("VACUUM")  # no free pages left to reuse
    engine = db.get_engine()

    def no_growth(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA max_page_count = 1")  # clamped to the file's size, never below

    event.listen(engine, "connect", no_growth)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", no_growth)
        engine.dispose()


@pytest.mark.sqlite_only
def test_a_full_sqlite_disk_answers_503_keeps_the_new_thread_and_saves_it_once_there_is_room(
    member, database_url
):
    token = csrf_of(member, "/new")
    title, body = "Three months, and a full disk", "Words that need new pages. " * 300
    form = {"title": title, "body": body, "category": "stories", "csrf_token": token}
    with _sqlite_full(make_url(database_url).database):
        refused = member.post("/new", data=form)
        _assert_calm_503(refused, title, body.strip())
        assert member.get("/").status_code == 200, "the next request is answered"
    saved = member.post("/new", data=form)
    assert saved.status_code == 303, saved.text
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(Thread).where(Thread.title == title)) == 1


def _end_app_connections(name: str) -> None:
    with admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


@contextmanager
def _postgres_read_only(name: str) -> Iterator[None]:
    """The database refuses writes; its open connections are ended, so the pool's next ones are read-only."""
    with admin() as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    _end_app_connections(name)
    try:
        yield
    finally:
        with admin() as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        _end_app_connections(name)


@pytest.mark.postgres_only
def test_a_read_only_postgres_answers_503_keeps_the_new_thread_and_saves_it_once_writable(
    member, database_url
):
    token = csrf_of(member, "/new")
    title, body = "Read-only, and still writing", "One day at a time."
    form = {"title": title, "body": body, "category": "stories", "csrf_token": token}
    with _postgres_read_only(make_url(database_url).database):
        refused = member.post("/new", data=form)
        _assert_calm_503(refused, title, body)
        with_htmx = member.post("/new", data=form, headers=htmx(token))
        _assert_calm_503(with_htmx)
        assert member.get("/").status_code == 200, "the next request is answered"
    saved = member.post("/new", data=form)
    assert saved.status_code == 303, saved.text
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(Thread).where(Thread.title == title)) == 1


def _unreachable(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return "sqlite:////nonexistent-folder/forum.db"
    closed = make_url(database_url).set(host="127.0.0.1", port=free_port())  # nothing listens there
    return closed.render_as_string(hide_password=False)


def test_a_database_that_is_not_there_answers_503_and_the_app_recovers_when_it_is_back(
    member, thread, database_url, monkeypatch
):
    token = csrf_of(member)
    words = "Is anyone there tonight?"
    _switch_database(monkeypatch, _unreachable(database_url))
    page = member.get(f"/t/{thread.id}")
    assert page.status_code == 503 and CALM in page.text and not INTERNALS.search(page.text)
    _assert_calm_503(member.post(f"/t/{thread.id}/reply", data={"body": words, "csrf_token": token}), words)

    _switch_database(monkeypatch, database_url)
    assert member.get(f"/t/{thread.id}").status_code == 200
    assert member.post(f"/t/{thread.id}/reply", data={"body": words, "csrf_token": token}).status_code == 303
    assert _replies_saying(thread.id, words) == 1


def test_a_database_error_that_is_a_bug_stays_a_500(app, database_url):
    def broken_query():
        with db.new_session() as s:
            s.execute(text("SELECT * FROM no_such_table"))

    app.add_api_route("/broken-query", broken_query)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/broken-query")
    assert r.status_code == 500 and "Something went wrong on our side" in r.text
    assert "Retry-After" not in r.headers and not INTERNALS.search(r.text)
