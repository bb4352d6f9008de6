"""Every test runs on a freshly migrated database (a copy of one migrated template file)."""

import re
import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import db
from app.cli import migrate
from app.config import get_settings
from app.services import accounts

FAST_ARGON2 = {"PEERBEARING_ARGON2_TIME_COST": "1", "PEERBEARING_ARGON2_MEMORY_KIB": "1024"}


def _reset_caches() -> None:
    get_settings.cache_clear()
    accounts._hasher.cache_clear()
    accounts._dummy_hash.cache_clear()
    db.reset_engine()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(tmp_path, migrated_template, monkeypatch) -> Iterator[str]:
    path = tmp_path / "forum.db"
    shutil.copy(migrated_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PEERBEARING_SECURE_COOKIES", "false")
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "false")
    for name, value in FAST_ARGON2.items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    yield url
    _reset_caches()


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


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(client: TestClient, path: str = "/guidelines") -> str:
    """The CSRF token a page gives this client (each page carries it in the logout or action forms)."""
    html = client.get(path).text
    match = CSRF_RE.search(html) or re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
