"""The PostgreSQL and Redis drivers are extras: the SQLite default never imports them, and settings
that need a missing one are refused in plain words that name the extra to install."""

import sys

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import MissingExtra, get_settings

POSTGRES_URL = "postgresql+psycopg://forum@127.0.0.1:5432/forum"


@pytest.fixture
def without_drivers(monkeypatch):
    # A None entry in sys.modules makes `import psycopg` fail as if the package were not installed.
    for name in ("psycopg", "redis"):
        monkeypatch.setitem(sys.modules, name, None)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.sqlite_only
def test_the_sqlite_forum_migrates_serves_and_limits_rates_without_either_driver(
    database_url, monkeypatch, without_drivers
):
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    from app.main import create_app

    assert main(["migrate"]) == 0
    with TestClient(create_app()) as client:
        assert client.get("/").status_code == 200
        assert client.get("/search", params={"q": "hope"}).status_code == 200


def test_migrate_on_postgresql_without_its_driver_names_the_postgres_extra(
    monkeypatch, capsys, without_drivers
):
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "DATABASE_URL names a PostgreSQL database, but its driver (psycopg) is not installed." in err
    assert "Install peerbearing[postgres]: pip install --require-hashes -r requirements/deploy.txt" in err


def test_the_app_refuses_to_start_with_redis_rate_limits_but_no_redis_driver(monkeypatch, without_drivers):
    monkeypatch.setenv("PEERBEARING_RATE_LIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    from app.main import create_app

    with pytest.raises(MissingExtra, match=r"names Redis, but its driver \(redis\) is not installed"):
        create_app()


def test_serve_needing_both_drivers_names_both_extras_and_starts_nothing(
    monkeypatch, capsys, without_drivers
):
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("PEERBEARING_RATE_LIMIT_STORAGE", "rediss://cache.internal:6380/0")
    assert main(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert "(psycopg) is not installed" in err and "(redis) is not installed" in err
    assert "Install peerbearing[postgres,redis]" in err
