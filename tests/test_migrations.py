"""The same Alembic migrations build, tear down and rebuild the schema on each engine, without drift."""

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import column, create_engine, inspect, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import app.models  # noqa: F401  (registers every table)
from app.config import PROJECT_ROOT
from app.errors import InvalidInput
from app.models import Category
from app.models.base import include_name, metadata
from app.services import accounts, pseudonyms


def _config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["url"] = url
    return cfg


def _drift(url: str) -> list:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True, "include_name": include_name}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_leaves_the_models_schema_with_no_drift(blank_database_url):
    cfg = _config(blank_database_url)
    command.upgrade(cfg, "head")
    assert set(metadata.tables) <= _tables(blank_database_url)
    command.downgrade(cfg, "base")
    assert _tables(blank_database_url) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert _drift(blank_database_url) == []
    engine = create_engine(blank_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        slugs = set(conn.scalars(select(Category.slug)))
    engine.dispose()
    assert slugs == {"stories", "coping-tips", "milestones", "need-support-now", "general"}


def test_0021_keeps_two_existing_look_alike_names_and_refuses_a_third(blank_database_url):
    cfg = _config(blank_database_url)
    command.upgrade(cfg, "0020")
    engine = create_engine(blank_database_url, poolclass=NullPool)
    users = table(
        "user", column("id"), column("pseudonym"), column("pseudonym_key"), column("passphrase_hash"),
        column("recovery_hash"), column("role"), column("created_at"),
    )  # fmt: skip
    twin = "Quiet-\u0410uthor"  # Cyrillic А: joined before the skeleton rule
    with engine.begin() as conn:
        for name in ("Quiet-Author", twin, "Calm-River-12"):
            conn.execute(
                users.insert().values(
                    pseudonym=name, pseudonym_key=pseudonyms.key(name), passphrase_hash="x",
                    recovery_hash="x", role="member", created_at=datetime.now(UTC),
                )
            )  # fmt: skip
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT id, pseudonym, pseudonym_skeleton, skeleton_twin FROM "user" ORDER BY id')
        ).all()
    assert [(r.pseudonym, r.skeleton_twin) for r in rows] == [
        ("Quiet-Author", 0),
        (twin, 2),
        ("Calm-River-12", 0),
    ]
    assert rows[0].pseudonym_skeleton == rows[1].pseudonym_skeleton == "quietauthor"
    with Session(engine) as session:
        for name in ("quiet author", "Quiet-Author"):
            with pytest.raises(InvalidInput) as err:
                accounts.join(session, pseudonym=name, passphrase="x" * 12, accepted_guidelines=True)
            assert err.value.fields["pseudonym"] == pseudonyms.TAKEN
        # The earlier one leaves: the twin still keeps its look-alike from newcomers.
        session.execute(text('DELETE FROM "user" WHERE id = 1'))
        assert pseudonyms.taken(session, name="Quiet-Author", now=datetime.now(UTC))
        session.rollback()
    with engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(
            text(
                'INSERT INTO "user" (pseudonym, pseudonym_key, pseudonym_skeleton, passphrase_hash,'
                " recovery_hash, role, created_at) VALUES ('quiet.author', 'quiet.author', 'quietauthor',"
                " 'x', 'x', 'member', :now)"
            ),
            {"now": datetime.now(UTC)},
        )
    engine.dispose()


def test_dropping_last_seen_keeps_every_sign_in_session_and_the_way_back_restores_the_column(
    blank_database_url,
):
    cfg = _config(blank_database_url)
    command.upgrade(cfg, "0020")
    engine = create_engine(blank_database_url, poolclass=NullPool)
    created = "2026-11-30 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (id, pseudonym, pseudonym_key, passphrase_hash, recovery_hash, role, '
                "created_at) VALUES (1, 'Willow', 'willow', 'h', 'r', 'member', :at)"
            ),
            {"at": created},
        )
        conn.execute(
            text(
                "INSERT INTO login_session (token_hash, user_id, created_at, last_seen_at, expires_at) "
                "VALUES ('t', 1, :at, :at, :at)"
            ),
            {"at": created},
        )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert "last_seen_at" not in {c["name"] for c in inspect(conn).get_columns("login_session")}
        assert conn.scalar(text("SELECT count(*) FROM login_session")) == 1
    command.downgrade(cfg, "0020")
    with engine.connect() as conn:
        same = conn.scalar(text("SELECT count(*) FROM login_session WHERE last_seen_at = created_at"))
    engine.dispose()
    assert same == 1
