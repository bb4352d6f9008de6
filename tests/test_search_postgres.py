"""The search service on PostgreSQL: a fresh database on the test server, migrated, then dropped.

The service tests of tests/test_search.py are imported here, so pytest runs them again with
this module's `session` fixture (PostgreSQL). Nothing is skipped: without PostgreSQL this fails.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import db
from app.cli import migrate
from app.config import PROJECT_ROOT
from tests.engines import POSTGRES_URL, RUN_PREFIX, pg_create, pg_drop, reset_caches
from tests.factories import make_thread, make_user
from tests.live import FAST_ARGON2
from tests.test_search import (  # noqa: F401 - collected again, with the PostgreSQL session below
    test_a_changed_thread_title_is_found_and_the_old_one_is_not,
    test_a_long_post_shows_a_window_around_the_match,
    test_a_post_behind_a_content_note_shows_the_note_not_its_words,
    test_a_post_its_author_deleted_is_never_found,
    test_a_title_match_ranks_above_a_passing_mention_in_a_reply,
    test_a_too_long_query_is_refused_and_an_empty_one_gets_a_hint,
    test_an_edit_changes_what_is_found,
    test_erased_posts_and_threads_are_never_found,
    test_every_word_must_match_and_case_does_not_matter,
    test_posts_in_a_thread_that_is_not_visible_are_never_found,
    test_posts_that_are_not_visible_are_never_found,
    test_results_are_paged_without_repeats_and_the_pages_are_capped,
    test_search_syntax_in_a_query_is_plain_words_and_never_an_error,
    test_snippets_are_escaped_then_marked,
    test_the_index_itself_holds_only_visible_posts,
)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new empty database on this run's PostgreSQL server (tests.engines), dropped afterwards."""
    name = f"{RUN_PREFIX}_search_{uuid.uuid4().hex[:8]}"
    try:
        url = pg_create(name)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {make_url(POSTGRES_URL)!r}: {exc}")
    try:
        yield url
    finally:
        db.reset_engine()  # the app's pool lets go before the database is dropped
        pg_drop(name)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        migrate(url)
        yield url


@pytest.fixture
def session(pg_url, monkeypatch):
    """Overrides conftest's session: the tests above share this database, each with its own words."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    for name, value in FAST_ARGON2.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    with db.new_session(write=True) as s:
        assert s.get_bind().dialect.name == "postgresql"
        yield s
    reset_caches()


def _alembic(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["url"] = url
    return cfg


def test_the_search_query_can_use_the_gin_indexes(session):
    author = make_user(session)
    make_thread(session, author, title="Index check", body="planner words")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    body_plan = "\n".join(
        session.scalars(
            text(
                "EXPLAIN SELECT id FROM post WHERE status = 'visible' "
                "AND to_tsvector('simple', body_source) @@ plainto_tsquery('simple', 'planner')"
            )
        )
    )
    title_plan = "\n".join(
        session.scalars(
            text(
                "EXPLAIN SELECT id FROM thread "
                "WHERE to_tsvector('simple', title) @@ plainto_tsquery('simple', 'index')"
            )
        )
    )
    session.rollback()
    assert "ix_post_search" in body_plan
    assert "ix_thread_search" in title_plan


def test_the_migration_has_no_drift_and_goes_down_and_up_again():
    with fresh_database() as url:
        cfg = _alembic(url)
        command.upgrade(cfg, "head")
        command.check(cfg)
        command.downgrade(cfg, "0002")
        engine = create_engine(url)
        with engine.connect() as conn:
            names = conn.scalars(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%search%'"))
            assert list(names) == []
        engine.dispose()
        command.upgrade(cfg, "head")
        command.check(cfg)
