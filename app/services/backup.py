"""Consistent copies of the database while the forum serves, and restoring one into an empty database.

SQLite: the online backup API (a snapshot that writers in WAL mode do not block).
PostgreSQL: pg_dump --format=custom (one repeatable-read snapshot) and pg_restore --no-owner.
The password never appears on a command line: libpq reads it from PGPASSWORD in the child's environment.
"""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from app.errors import Conflict

# URL query keys that libpq also reads from the environment.
_LIBPQ_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
}


class BackupError(Conflict):
    title = "The backup or restore did not happen"


@dataclass(frozen=True)
class Result:
    path: Path
    size: int


def libpq_env(url: str | URL) -> dict[str, str]:
    """PG* environment variables for libpq tools (pg_dump, pg_restore, psql) from a SQLAlchemy URL."""
    url = make_url(url)
    env = {
        name: str(value)
        for name, value in (
            ("PGHOST", url.host),
            ("PGPORT", url.port),
            ("PGUSER", url.username),
            ("PGPASSWORD", url.password),
            ("PGDATABASE", url.database),
        )
        if value
    }
    for key, value in url.query.items():
        if key in _LIBPQ_QUERY_ENV:
            env[_LIBPQ_QUERY_ENV[key]] = value if isinstance(value, str) else value[0]
    return env


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found; install the PostgreSQL client tools (version 15 or newer).")
    return found


def _run(args: list[str], url: URL) -> None:
    # Only the PG* variables of this database: a stray PGDATABASE or PGPASSWORD in our env must not win.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | libpq_env(url)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.returncode}")


def backup(database_url: str, path: str | Path) -> Result:
    """A consistent copy taken while the forum keeps serving; refuses to overwrite an existing file."""
    url, path = make_url(database_url), Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name for the backup.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(partial)
            try:
                with target:
                    source.backup(target)  # one read snapshot of the whole file
            finally:
                target.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)], url)
        else:
            raise BackupError(f"Backups are not supported for {url.get_backend_name()}.")
        partial.replace(path)  # a backup file that exists is a complete one
    finally:
        partial.unlink(missing_ok=True)
    return Result(path=path, size=path.stat().st_size)


def _tables(url: URL) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(database_url: str, path: str | Path) -> None:
    """Load a backup into an empty database; refuses one that already has tables."""
    url, path = make_url(database_url), Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    if url.get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0 and _tables(url):
            raise BackupError(f"{target} already holds a database; restore only into an empty one.")
        check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            intact = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        finally:
            check.close()
        if not intact:
            raise BackupError(f"{path} is not an intact SQLite database.")
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)
        partial.replace(target)
    elif url.get_backend_name() == "postgresql":
        if _tables(url):
            raise BackupError(
                f"The database {url.database} already has tables; restore only into an empty one."
            )
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                url.database or "",
                str(path),
            ],
            url,
        )
    else:
        raise BackupError(f"Restoring is not supported for {url.get_backend_name()}.")
