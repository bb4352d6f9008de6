"""The `peerbearing` command on the engine of this run, through DATABASE_URL, as a separate process."""

import os
import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text, update

from app.config import PROJECT_ROOT
from app.models import Post, Reaction, Thread, User
from app.services.reactions import COLUMN
from tests.conftest import FAST_ARGON2
from tests.factories import make_user
from tests.live import LiveServer, free_port


def cli(database_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **FAST_ARGON2, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,  # a bound, not a measurement: a server that wrongly starts is stopped
        check=False,
    )


def test_migrate_brings_an_empty_database_to_the_newest_schema_and_again_changes_nothing(blank_database_url):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    head = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini"))).get_current_head()
    for _ in range(2):
        done = cli(blank_database_url, "migrate")
        assert done.returncode == 0, done.stderr
    engine = create_engine(blank_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
    engine.dispose()


def test_seed_demo_fills_the_forum_with_counters_equal_to_their_rows_once(database_url, session):
    done = cli(database_url, "seed-demo", "--threads", "6", "--replies", "3", "--reactions", "2")
    assert done.returncode == 0, done.stderr
    again = cli(database_url, "seed-demo", "--if-empty")
    assert again.returncode == 0 and "no demo content added" in again.stdout
    assert session.scalar(select(func.count()).select_from(Thread)) == 6
    replies = select(func.count()).where(Post.thread_id == Thread.id, Post.position > 0).scalar_subquery()
    assert list(session.scalars(select(Thread.reply_count != replies))) == [False] * 6
    for kind, column in COLUMN.items():
        rows = (
            select(func.count()).where(Reaction.post_id == Post.id, Reaction.kind == kind).scalar_subquery()
        )
        assert session.scalar(select(func.count()).where(getattr(Post, column) != rows)) == 0


def test_promote_gives_an_existing_member_the_moderator_role(database_url, session):
    make_user(session, "Gentle-Rain")
    done = cli(database_url, "promote", "gentle-rain", "--role", "moderator")
    assert done.returncode == 0 and "Gentle-Rain is now moderator" in done.stdout
    session.expire_all()
    assert session.scalar(select(User.role).where(User.pseudonym == "Gentle-Rain")) == "moderator"


def test_promote_of_an_unknown_pseudonym_fails_in_plain_words(database_url):
    done = cli(database_url, "promote", "Nobody-Here", "--role", "moderator")
    assert done.returncode == 1 and done.stderr.strip() and "Traceback" not in done.stderr


def test_serve_with_two_workers_behind_a_proxy_answers_health_checks(database_url):
    server = LiveServer(
        {"DATABASE_URL": database_url, "PEERBEARING_SECURE_COOKIES": "false", **FAST_ARGON2},
        workers=2,
        args=("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"),
    )
    try:
        server.start()
        with server.client() as client:
            health = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
            assert health.json() == {"status": "ok", "database": "ok"}
            assert "Coping tips" in client.get("/").text
    finally:
        server.stop()


def test_serve_in_production_refuses_the_development_secret(database_url):
    env = {"PEERBEARING_ENVIRONMENT": "production", "PEERBEARING_SECRET_KEY": "dev-secret-change-me"}
    done = cli(database_url, "serve", "--port", str(free_port()), env=env)
    assert done.returncode != 0 and "development secret" in done.stderr


def test_serve_in_production_refuses_an_empty_or_short_secret(database_url):
    for secret in ("", "short-secret"):
        env = {"PEERBEARING_ENVIRONMENT": "production", "PEERBEARING_SECRET_KEY": secret}
        done = cli(database_url, "serve", "--port", str(free_port()), env=env)
        assert done.returncode != 0 and "shorter than 32" in done.stderr


def test_resanitize_re_renders_every_post_with_the_current_policy(database_url, session):
    from app.services import text as text_service

    assert cli(database_url, "seed-demo", "--threads", "2", "--replies", "2").returncode == 0
    session.execute(update(Post).values(body_html="stale", sanitizer_version=0))
    session.commit()
    done = cli(database_url, "resanitize")
    assert done.returncode == 0 and "Re-rendered 6 posts" in done.stdout
    session.expire_all()
    rows = session.execute(select(Post.body_html, Post.sanitizer_version)).all()
    assert all(html != "stale" and version == text_service.SANITIZER_VERSION for html, version in rows)
