"""Settings: environment variables prefixed PEERBEARING_, plus DATABASE_URL as is."""

import importlib.util
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - refused in production by Settings.check
MIN_SECRET_LENGTH = 32  # CSRF tokens are HMACs under this key: a short one could be guessed
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Shipped inside the package as examples; the operator points PEERBEARING_CRISIS_RESOURCES at their own.
DEFAULT_CRISIS_RESOURCES = Path(__file__).resolve().parent / "operator" / "crisis_resources.toml"
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


class MissingExtra(RuntimeError):
    """The settings name a PostgreSQL database or Redis, but that driver (an extra) is not installed."""


class UnsafeSettings(RuntimeError):
    """Settings the app refuses to start with (in production: the development or a short secret)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PEERBEARING_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///peerbearing.db",
        validation_alias=AliasChoices("DATABASE_URL", "PEERBEARING_DATABASE_URL"),
    )
    environment: str = "development"
    secret_key: str = DEV_SECRET
    secure_cookies: bool = True
    session_days: int = 30
    # Per worker process, PostgreSQL only: 8 workers x (5 + 5) = 80 connections, inside the server's
    # default max_connections of 100 (less 3 reserved for superusers). Raise max_connections first.
    db_pool_size: int = 5
    db_max_overflow: int = 5
    db_pool_timeout: float = 30.0  # seconds a request waits for a free connection before failing
    report_hide_threshold: int = 3
    # Reports from accounts younger than this reach the queue but do not count toward hiding a post.
    report_hide_min_account_age_hours: int = 24
    rate_limit_storage: str = "memory://"
    rate_limits_enabled: bool = True
    # argon2id cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    page_size: int = 20  # threads, posts, search results and log entries per page
    # Off by default: members' words stay out of search engines unless the operator opts in.
    allow_indexing: bool = False
    # Days an erased member's name stays taken, so nobody can take it over and speak as them.
    pseudonym_hold_days: int = 90
    # The crisis lines shown on /help and the compose forms, and the moderators' guidance per level.
    crisis_resources: Path = DEFAULT_CRISIS_RESOURCES
    # Minutes after posting in which the author may edit (then only delete): 24 hours.
    edit_window_minutes: int = 1440
    # The phrases file of the check while writing; empty: the examples shipped in app/operator/.
    crisis_phrases: str = ""
    # On while editing templates: each is re-read when its file changes. Off, each is compiled once
    # per process and no page pays a file-system check per include.
    template_reload: bool = False

    def check(self) -> None:
        self.check_extras()
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise UnsafeSettings("Refusing to start in production with the development secret key.")
        if self.environment == "production" and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise UnsafeSettings(
                f"Refusing to start in production with a secret key shorter than {MIN_SECRET_LENGTH} "
                "characters; make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )

    def check_extras(self) -> None:
        """Refuse settings that need a driver this install lacks (the SQLite default needs none)."""
        problems, extras = [], []
        if self.database_url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
            problems.append(
                "DATABASE_URL names a PostgreSQL database, but its driver (psycopg) is not installed."
            )
            extras.append("postgres")
        if self.rate_limit_storage.startswith(REDIS_SCHEMES) and importlib.util.find_spec("redis") is None:
            problems.append(
                "PEERBEARING_RATE_LIMIT_STORAGE names Redis, but its driver (redis) is not installed."
            )
            extras.append("redis")
        if problems:
            raise MissingExtra(
                " ".join(problems) + f" Install peerbearing[{','.join(extras)}]: "
                "pip install --require-hashes -r requirements/deploy.txt (see docs/deploy.md)."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
