"""The database engine of this test run and the PostgreSQL databases it makes and drops.

PEERBEARING_TEST_ENGINE=sqlite (default) or postgres; the PostgreSQL server is
PEERBEARING_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
The whole run lives in databases named pb_test_<pid>_<random>_*, dropped at the end.
"""

import os
import secrets
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app import db
from app.config import get_settings
from app.services import accounts, crisis_resources
from app.services.backup import libpq_env

ENGINE = os.environ.get("PEERBEARING_TEST_ENGINE", "sqlite").strip().lower()
ENGINES = ("sqlite", "postgres")
POSTGRES_URL = os.environ.get(
    "PEERBEARING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RUN_PREFIX = f"pb_test_{os.getpid()}_{secrets.token_hex(3)}"


def reset_caches() -> None:
    """Forget cached settings, hashers, crisis resources and the engine: the next use reads the env."""
    get_settings.cache_clear()
    crisis_resources.current.cache_clear()
    accounts._hasher.cache_clear()
    accounts._dummy_hash.cache_clear()
    db.reset_engine()


def admin() -> psycopg.Connection:
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
    with admin() as conn:
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
    with admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _test_databases() -> list[str]:
    with admin() as conn:
        return [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pb_test_%'")
        ]


def drop_run_databases() -> None:
    for name in _test_databases():
        if name.startswith(RUN_PREFIX):
            pg_drop(name)


def drop_databases_of_dead_runs() -> None:
    """An interrupted run leaves its databases behind; runs of live processes (other worktrees) stay."""
    for name in _test_databases():
        pid = name.split("_")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
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
