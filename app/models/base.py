"""What every table shares: constraint names, UTC timestamps, stored string enums."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


# Search objects made by raw SQL in migration 0020 (an FTS5 table and its shadow tables on
# SQLite, expression GIN indexes on PostgreSQL): not in the models, so autogenerate skips them.
SEARCH_TABLES = ("post_search",)
SEARCH_INDEXES = ("ix_post_search", "ix_thread_search")


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's filter: compare everything but the search objects."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLES):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back timezone-aware UTC datetimes.

    SQLite forgets the zone; PostgreSQL answers in the session's TimeZone, which need not be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
