"""The baseline's database access: one connection per process, hand-written SQL, no ORM.

SQL is written once with `?` placeholders; on PostgreSQL they become psycopg's `%s`. SQLite keeps
timestamps as text in SQLAlchemy's format ("2026-12-01 11:50:00.123456", UTC); PostgreSQL as
timestamptz. `when()` and `stamp()` turn each into an aware UTC datetime and back.
"""

import fcntl
from datetime import UTC, date, datetime

# sqlean's sqlite3 (the app's driver): the forum's FTS5 index uses 'secure-delete' (SQLite 3.42+),
# which the stdlib build on this machine (3.40) cannot open; reads alone would work with either.
import sqlean


class Database:
    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            path = url.split(":///", 1)[1]
            # Autocommit at the driver: transactions are begun by hand, BEGIN IMMEDIATE for writes.
            self.conn = sqlean.connect(path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.conn.execute("PRAGMA secure_delete=ON")
            # Writers queue on a lock file before BEGIN IMMEDIATE: a blocked flock wakes as soon as
            # the lock frees, where SQLite's busy handler polls with sleeps of up to 100 ms, and a
            # worker that writes again and again can starve the other past busy_timeout.
            self._writers = open(f"{path}-writers.lock", "ab")  # noqa: SIM115 - held for the process
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("+psycopg", "", 1), autocommit=True)
        self._sql: dict[str, str] = {}
        self._holding = False

    def _q(self, sql: str) -> str:
        if self.sqlite:
            return sql
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = sql.replace("?", "%s")
        return found

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.conn.execute(self._q(sql), params).fetchall()

    def row(self, sql: str, params=()) -> tuple | None:
        return self.conn.execute(self._q(sql), params).fetchone()

    def run(self, sql: str, params=()) -> None:
        self.conn.execute(self._q(sql), params)

    def begin(self, *, write: bool = False) -> None:
        if not (write and self.sqlite):
            self.conn.execute("BEGIN")
            return
        fcntl.flock(self._writers, fcntl.LOCK_EX)
        self._holding = True
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        finally:
            self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            fcntl.flock(self._writers, fcntl.LOCK_UN)

    def when(self, value) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def day(self, value) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(value)

    def stamp(self, value: datetime):
        """A datetime as the column holds it, for comparisons and writes."""
        if not self.sqlite:
            return value
        v = value.astimezone(UTC)
        return f"{v:%Y-%m-%d %H:%M:%S}.{v.microsecond:06d}"
