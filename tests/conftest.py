"""Every test runs on a freshly migrated database of the engine chosen for this run.

PEERBEARING_TEST_ENGINE=sqlite (default): each test gets a copy of one migrated template file.
PEERBEARING_TEST_ENGINE=postgres: the run clones one forum database from a migrated template and
empties it after each test (TRUNCATE ... RESTART IDENTITY, see tests/engines.py); the whole run
lives in databases named pb_test_<pid>_<random>_*, dropped at the end. The server is
PEERBEARING_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
an unreachable server fails the run.

Engine-specific tests carry @pytest.mark.postgres_only or @pytest.mark.sqlite_only and are
deselected (not skipped) on the other engine.
"""

import itertools
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import db
from app.cli import migrate
from app.config import get_settings
from app.models import User
from tests.engines import (
    ENGINE,
    ENGINES,
    POSTGRES_URL,
    RUN_PREFIX,
    PostgresForum,
    admin,
    drop_databases_of_dead_runs,
    drop_run_databases,
    pg_create,
    pg_drop,
    reset_caches,
)
from tests.factories import make_moderator, make_user, signed_in_client
from tests.live import APP_ENV, LiveServer

_numbers = itertools.count(1)
LIVE_SECRET = secrets.token_hex(32)


def pytest_configure(config) -> None:
    for name in ENGINES:
        config.addinivalue_line("markers", f"{name}_only: runs only when PEERBEARING_TEST_ENGINE={name}")
    if ENGINE not in ENGINES:
        raise pytest.UsageError(f"PEERBEARING_TEST_ENGINE must be one of {ENGINES}, not {ENGINE!r}")
    if ENGINE == "postgres":
        try:
            admin().close()
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(
                f"PEERBEARING_TEST_ENGINE=postgres but PostgreSQL at {make_url(POSTGRES_URL)!r} "
                f"does not answer: {exc}"
            ) from exc


def pytest_collection_modifyitems(config, items) -> None:
    """Tests for the other engine are deselected, so no skipped test is left in the report."""
    other = {f"{name}_only" for name in ENGINES if name != ENGINE}
    keep, drop = [], []
    for item in items:
        (drop if other & {m.name for m in item.iter_markers()} else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config) -> str:
    return f"peerbearing test engine: {ENGINE}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Iterator[str]:
    """The migrated database every test copies: a file path (SQLite) or a database URL (PostgreSQL)."""
    if ENGINE == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate(f"sqlite:///{path}")
        yield str(path)
        return
    if Path("/proc/self").exists():
        drop_databases_of_dead_runs()
    name = f"{RUN_PREFIX}_template"
    url = pg_create(name)
    try:
        migrate(url)
        yield url
    finally:
        drop_run_databases()


@pytest.fixture
def blank_database_url(tmp_path) -> Iterator[str]:
    """An empty database (no tables) on this run's engine, gone after the test."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / f'blank-{next(_numbers)}.db'}"
        return
    name = f"{RUN_PREFIX}_blank_{next(_numbers)}"
    url = pg_create(name)
    try:
        yield url
    finally:
        pg_drop(name)


@pytest.fixture(scope="session")
def _postgres_forum(migrated_template) -> PostgresForum:
    return PostgresForum(migrated_template)


@pytest.fixture
def database_url(request, tmp_path, migrated_template, monkeypatch) -> Iterator[str]:
    """This test's migrated database, empty but for the seeded categories; DATABASE_URL points at it."""
    forum: PostgresForum | None = None
    if ENGINE == "sqlite":
        path = tmp_path / "forum.db"
        shutil.copy(migrated_template, path)
        url = f"sqlite:///{path}"
    else:
        forum = request.getfixturevalue("_postgres_forum")
        url = forum.url
    monkeypatch.setenv("DATABASE_URL", url)
    for name, value in APP_ENV.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    yield url
    reset_caches()
    if forum:
        forum.reset()


@pytest.fixture
def session(database_url) -> Iterator[Session]:
    # Deferred transactions: a test's open read never blocks the app's writers (WAL).
    with db.new_session() as s:
        yield s


@pytest.fixture
def mod(session) -> User:
    """The moderator of the moderation tests."""
    return make_moderator(session, "Mod-Willow")


@pytest.fixture
def author(session) -> User:
    """A member whose posts the moderation tests report (files may name their own author)."""
    return make_user(session, "Author-Two")


@pytest.fixture
def limits_on(database_url, monkeypatch):
    """Rate limits switched on, with a fresh in-memory store for this test."""
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def app(database_url):
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def other_client(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def browsers(app) -> Iterator[Callable[[str], TestClient]]:
    """browsers(name) -> a new TestClient (its own cookies) signed in as that existing member."""
    with ExitStack() as stack:
        yield lambda name: signed_in_client(app, stack, name)


@pytest.fixture
def two_app_processes(database_url, tmp_path) -> Iterator[Callable[..., tuple[LiveServer, LiveServer]]]:
    """Start two separate `peerbearing serve` processes on this test's database: start(env) -> (a, b).

    `env` adds to or overrides the shared environment: rate limits are off unless it sets
    PEERBEARING_RATE_LIMITS_ENABLED=true (with PEERBEARING_RATE_LIMIT_STORAGE=redis://... to share them);
    `workers` gives the second process several uvicorn workers. Both stop when the test ends.
    """
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None, *, workers: int = 1) -> tuple[LiveServer, LiveServer]:
        shared = {
            **APP_ENV,
            "DATABASE_URL": database_url,
            "PEERBEARING_SECRET_KEY": LIVE_SECRET,
            **(env or {}),
        }
        for count in (1, workers):
            server = LiveServer(shared, workers=count, log_path=tmp_path / f"serve-{len(started)}.log")
            started.append(server)
            server.start()
        return started[-2], started[-1]

    yield start
    for server in started:
        server.stop()
