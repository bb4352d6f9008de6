"""Every test runs on a freshly migrated database of the engine chosen for this run.

PEERBEARING_TEST_ENGINE=sqlite (default): each test gets a copy of one migrated template file.
PEERBEARING_TEST_ENGINE=postgres: the run clones one forum database from a migrated template and
empties it after each test (TRUNCATE ... RESTART IDENTITY, see PostgresForum); the whole run
lives in databases named pb_test_<pid>_<random>_*, dropped at the end. The server is
PEERBEARING_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
an unreachable server fails the run.

Engine-specific tests carry @pytest.mark.postgres_only or @pytest.mark.sqlite_only and are
deselected (not skipped) on the other engine.
"""

import itertools
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import db
from app.cli import migrate
from app.config import get_settings
from app.services import accounts
from app.services.backup import libpq_env
from tests.live import LiveServer

FAST_ARGON2 = {"PEERBEARING_ARGON2_TIME_COST": "1", "PEERBEARING_ARGON2_MEMORY_KIB": "1024"}
ENGINE = os.environ.get("PEERBEARING_TEST_ENGINE", "sqlite").strip().lower()
ENGINES = ("sqlite", "postgres")
POSTGRES_URL = os.environ.get(
    "PEERBEARING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RUN_PREFIX = f"pb_test_{os.getpid()}_{secrets.token_hex(3)}"
_numbers = itertools.count(1)


def pytest_configure(config) -> None:
    for name in ENGINES:
        config.addinivalue_line("markers", f"{name}_only: runs only when PEERBEARING_TEST_ENGINE={name}")
    if ENGINE not in ENGINES:
        raise pytest.UsageError(f"PEERBEARING_TEST_ENGINE must be one of {ENGINES}, not {ENGINE!r}")
    if ENGINE == "postgres":
        try:
            _admin().close()
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


def _reset_caches() -> None:
    get_settings.cache_clear()
    accounts._hasher.cache_clear()
    accounts._dummy_hash.cache_clear()
    db.reset_engine()


# --- PostgreSQL databases for tests -------------------------------------------------------------


def _admin() -> psycopg.Connection:
    env = libpq_env(POSTGRES_URL)
    return psycopg.connect(
        host=env.get("PGHOST", "127.0.0.1"),
        port=env.get("PGPORT", "5432"),
        user=env.get("PGUSER"),
        password=env.get("PGPASSWORD"),
        dbname=env.get("PGDATABASE", "postgres"),
        autocommit=True,
        connect_timeout=5,
    )


def pg_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def pg_create(name: str, *, template: str | None = None) -> str:
    with _admin() as conn:
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return pg_url(name)


def pg_drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _test_databases() -> list[str]:
    with _admin() as conn:
        return [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pb_test_%'")
        ]


def _drop_run_databases() -> None:
    for name in _test_databases():
        if name.startswith(RUN_PREFIX):
            pg_drop(name)


def _drop_databases_of_dead_runs() -> None:
    """An interrupted run leaves its databases behind; runs of live processes (other worktrees) stay."""
    for name in _test_databases():
        pid = name.split("_")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            pg_drop(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Iterator[str]:
    """The migrated database every test copies: a file path (SQLite) or a database URL (PostgreSQL)."""
    if ENGINE == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate(f"sqlite:///{path}")
        yield str(path)
        return
    if Path("/proc/self").exists():
        _drop_databases_of_dead_runs()
    name = f"{RUN_PREFIX}_template"
    url = pg_create(name)
    try:
        migrate(url)
        yield url
    finally:
        _drop_run_databases()


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


KEPT_TABLES = ("category", "alembic_version")  # seeded by migrations; no test should change them
_FINGERPRINT = (
    "SELECT md5(coalesce((SELECT string_agg(c::text, '|' ORDER BY c.id) FROM category c), '')"
    " || coalesce((SELECT string_agg(version_num, '|') FROM alembic_version), ''))"
)


class PostgresForum:
    """This run's forum database on PostgreSQL: cloned from the template once, emptied after each test.

    TRUNCATE ... RESTART IDENTITY of every table but the seeded ones costs about half of a
    `CREATE DATABASE ... TEMPLATE` per test (measured: 17 vs 38 ms idle, 90 vs 240-390 ms on a
    loaded machine). Connections left open by a test or its processes are ended first; if a test
    changed the seeded tables, the database is cloned afresh from the template instead.
    """

    def __init__(self, template_url: str):
        self.template = make_url(template_url).database
        self.name = f"{RUN_PREFIX}_forum"
        self.url = pg_create(self.name, template=self.template)
        with self._connect() as conn:
            self.fingerprint = conn.execute(_FINGERPRINT).fetchone()[0]
            tables = [
                row[0]
                for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                if row[0] not in KEPT_TABLES
            ]
        self.truncate = sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in sorted(tables))
        )

    def _connect(self) -> psycopg.Connection:
        env = libpq_env(self.url)
        return psycopg.connect(
            host=env.get("PGHOST"), port=env.get("PGPORT"), user=env.get("PGUSER"),
            password=env.get("PGPASSWORD"), dbname=self.name, autocommit=True,
        )  # fmt: skip

    def reset(self) -> None:
        with self._connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(self.truncate)
            intact = conn.execute(_FINGERPRINT).fetchone()[0] == self.fingerprint
        if not intact:
            pg_drop(self.name)
            pg_create(self.name, template=self.template)


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
    monkeypatch.setenv("PEERBEARING_SECURE_COOKIES", "false")
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "false")
    for name, value in FAST_ARGON2.items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    yield url
    _reset_caches()
    if forum:
        forum.reset()


@pytest.fixture
def session(database_url) -> Iterator[Session]:
    # Deferred transactions: a test's open read never blocks the app's writers (WAL).
    with db.new_session() as s:
        yield s


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
    from tests.factories import signed_in_client  # factories imports csrf_of from here

    with ExitStack() as stack:
        yield lambda name: signed_in_client(app, stack, name)


@pytest.fixture
def two_app_processes(database_url) -> Iterator[Callable[..., tuple[LiveServer, LiveServer]]]:
    """Start two separate `peerbearing serve` processes on this test's database: start(env) -> (a, b).

    `env` adds to or overrides the shared environment: rate limits are off unless it sets
    PEERBEARING_RATE_LIMITS_ENABLED=true (with PEERBEARING_RATE_LIMIT_STORAGE=redis://... to share them);
    `workers` gives the second process several uvicorn workers. Both stop when the test ends.
    """
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None, *, workers: int = 1) -> tuple[LiveServer, LiveServer]:
        shared = {
            "DATABASE_URL": database_url,
            "PEERBEARING_SECURE_COOKIES": "false",
            "PEERBEARING_RATE_LIMITS_ENABLED": "false",
            "PEERBEARING_SECRET_KEY": LIVE_SECRET,
            **FAST_ARGON2,
            **(env or {}),
        }
        for count in (1, workers):
            server = LiveServer(shared, workers=count)
            started.append(server)
            server.start()
        return started[-2], started[-1]

    yield start
    for server in started:
        server.stop()


LIVE_SECRET = secrets.token_hex(32)
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(client, path: str = "/guidelines") -> str:
    """The CSRF token a page gives this client (each page carries it in the logout or action forms)."""
    html = client.get(path).text
    match = CSRF_RE.search(html) or re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
