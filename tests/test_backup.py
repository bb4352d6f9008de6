"""`peerbearing backup` while the forum takes writes, then `peerbearing restore` into an empty database."""

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import db
from app.config import PROJECT_ROOT
from app.models import Post, Reaction, Thread, User
from app.services import backup, posting, reactions
from app.services.reactions import COLUMN
from tests.factories import make_thread, make_user

WRITE_LIMIT = 3000  # the writer stops by itself after this many posts


def _cli(
    database_url: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class Writer(threading.Thread):
    """Replies (each with an encouragement) and now and then a new thread, through the services."""

    def __init__(self, thread_id: int, author_id: int, reactor_id: int):
        super().__init__(daemon=True)
        self.ids = (thread_id, author_id, reactor_id)
        self.committed: list[int] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        thread_id, author_id, reactor_id = self.ids
        try:
            for i in range(WRITE_LIMIT):
                if self.stop.is_set():
                    return
                with db.new_session(write=True) as s:
                    author, reactor = s.get(User, author_id), s.get(User, reactor_id)
                    if i % 10 == 9:
                        thread_id = posting.start_thread(
                            s,
                            author=author,
                            category_slug="general",
                            title=f"Load thread {i}",
                            body="Opening",
                        ).id
                    post = posting.reply(s, thread_id=thread_id, author=author, body=f"Reply {i}")
                    reactions.toggle(s, post_id=post.id, user=reactor, kind="hug", want="on")
                with self.lock:
                    self.committed.append(post.id)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def wait_for(self, count: int, limit_s: float = 60) -> None:
        deadline = time.monotonic() + limit_s
        while len(self.snapshot()) < count and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.01)

    def snapshot(self) -> set[int]:
        with self.lock:
            return set(self.committed)


def _read(url: str, query):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(query).all()
    finally:
        engine.dispose()


def _head() -> str:
    return ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini"))).get_current_head()


def test_backup_under_write_load_restores_every_post_committed_before_it_consistently(
    database_url, blank_database_url, session, tmp_path
):
    author, reactor = make_user(session), make_user(session)
    thread = make_thread(session, author)
    writer = Writer(thread.id, author.id, reactor.id)
    writer.start()
    writer.wait_for(20)
    before = writer.snapshot()
    made = _cli(database_url, "backup", str(tmp_path / "forum.backup"))
    writer.wait_for(len(before) + 20)  # writes go on after the backup was taken, too
    writer.stop.set()
    writer.join()
    assert writer.error is None and made.returncode == 0, made.stderr
    assert len(before) >= 20

    restored = _cli(blank_database_url, "restore", str(tmp_path / "forum.backup"))
    assert restored.returncode == 0, restored.stderr

    restored_ids = {row[0] for row in _read(blank_database_url, select(Post.id))}
    assert before <= restored_ids
    assert restored_ids <= {row[0] for row in session.execute(select(Post.id))}
    replies = select(func.count()).where(Post.thread_id == Thread.id, Post.position > 0).scalar_subquery()
    uncounted = _read(blank_database_url, select(Thread.id).where(Thread.reply_count != replies))
    assert uncounted == []
    for kind, column in COLUMN.items():
        rows = (
            select(func.count())
            .where(Reaction.post_id == Post.id, Reaction.kind == kind)
            .correlate(Post)
            .scalar_subquery()
        )
        assert _read(blank_database_url, select(Post.id).where(getattr(Post, column) != rows)) == []
    version = _read(blank_database_url, text("SELECT version_num FROM alembic_version"))
    assert version == [(_head(),)]


def test_restore_into_a_database_with_tables_is_refused_and_changes_nothing(database_url, session, tmp_path):
    make_thread(session, make_user(session), title="Still here after the refusal")
    assert _cli(database_url, "backup", str(tmp_path / "forum.backup")).returncode == 0
    refused = _cli(database_url, "restore", str(tmp_path / "forum.backup"))
    assert refused.returncode == 1 and "empty" in refused.stderr
    assert session.scalar(select(func.count()).select_from(Thread)) == 1


def test_backup_refuses_to_overwrite_an_existing_file(database_url, tmp_path):
    target = tmp_path / "forum.backup"
    target.write_bytes(b"an older backup")
    refused = _cli(database_url, "backup", str(target))
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert target.read_bytes() == b"an older backup"


def test_libpq_environment_carries_every_part_of_the_database_url():
    url = "postgresql+psycopg://forum:s3cret%40x@db.internal:6543/peerbearing?sslmode=require"
    assert backup.libpq_env(url) == {
        "PGHOST": "db.internal",
        "PGPORT": "6543",
        "PGUSER": "forum",
        "PGPASSWORD": "s3cret@x",
        "PGDATABASE": "peerbearing",
        "PGSSLMODE": "require",
    }


@pytest.mark.postgres_only
def test_pg_dump_gets_the_password_in_its_environment_never_on_its_command_line(database_url, tmp_path):
    # A stand-in pg_dump first on PATH writes down its arguments and PGPASSWORD, then runs the real one.
    spy_dir = tmp_path / "bin"
    spy_dir.mkdir()
    spy = spy_dir / "pg_dump"
    real = subprocess.run(["which", "pg_dump"], capture_output=True, text=True, check=True).stdout.strip()
    spy.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/argv"\nprintf "%s" "$PGPASSWORD" > "{tmp_path}/pw"\n'
        f'exec {real} "$@"\n'
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    with_password = make_url(database_url).set(password="pw-kept-off-the-command-line")
    made = _cli(
        with_password.render_as_string(hide_password=False),
        "backup",
        str(tmp_path / "forum.backup"),
        extra_env={"PATH": f"{spy_dir}:{os.environ['PATH']}"},
    )
    assert made.returncode == 0, made.stderr
    assert "pw-kept-off-the-command-line" not in Path(tmp_path / "argv").read_text()
    assert Path(tmp_path / "pw").read_text() == "pw-kept-off-the-command-line"
