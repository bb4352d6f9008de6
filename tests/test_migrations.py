from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.config import PROJECT_ROOT
from app.models import metadata
from app.models.base import include_name


def _config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["url"] = url
    return cfg


def _diff(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    return diff


def test_upgrade_downgrade_upgrade_and_models_agree(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = _config(url)
    command.upgrade(cfg, "head")
    assert _diff(url) == []
    command.downgrade(cfg, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")
    assert _diff(url) == []


def test_categories_are_seeded_by_a_migration(session):
    from sqlalchemy import select

    from app.models import Category

    names = list(session.scalars(select(Category.name).order_by(Category.position)))
    assert names == ["Stories", "Coping tips", "Milestones", "Need support now", "General"]


def test_sqlite_storage_rules_are_on(session):
    from sqlalchemy import text

    pragmas = {
        p: session.execute(text(f"PRAGMA {p}")).scalar()
        for p in ("journal_mode", "synchronous", "foreign_keys", "secure_delete", "busy_timeout")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "secure_delete": 1,
        "busy_timeout": 10000,
    }
