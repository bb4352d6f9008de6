"""Test isolation on PostgreSQL: after each test the forum database is empty again, whatever was left open."""

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.pool import NullPool

from app.models import Category, User
from tests.engines import reset_caches
from tests.factories import make_user

pytestmark = pytest.mark.postgres_only


def _count_and_next_user_id(url: str) -> tuple[int, int, int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        users = conn.scalar(select(func.count()).select_from(User))
        categories = conn.scalar(select(func.count()).select_from(Category))
        next_id = conn.scalar(text("SELECT nextval(pg_get_serial_sequence('\"user\"', 'id'))"))
    engine.dispose()
    return users, categories, next_id


def test_reset_empties_the_tables_restarts_ids_and_ends_a_transaction_left_open(
    database_url, session, _postgres_forum
):
    make_user(session)
    leaked = create_engine(database_url, poolclass=NullPool).connect()
    leaked.execute(update(User).values(role="admin"))  # holds row locks, never committed
    reset_caches()
    _postgres_forum.reset()
    assert _count_and_next_user_id(database_url) == (0, 5, 1)


def test_reset_reclones_the_database_when_a_test_changed_the_seeded_categories(
    database_url, session, _postgres_forum
):
    session.execute(update(Category).where(Category.slug == "general").values(name="Changed"))
    session.commit()
    session.close()
    reset_caches()
    _postgres_forum.reset()
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.scalar(select(Category.name).where(Category.slug == "general")) == "General"
    engine.dispose()
