"""Counting the SQL a piece of code sends: for the tests that hold a page to a fixed number of queries."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app import db


@contextmanager
def statements() -> Iterator[list[tuple[str, object]]]:
    """Every statement sent through the app's engine inside the block, as (sql, parameters)."""
    seen: list[tuple[str, object]] = []

    def listener(_conn, _cursor, sql, params, _context, _many) -> None:
        seen.append((sql, params))

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def count(call) -> int:
    """How many statements `call()` sends."""
    with statements() as seen:
        call()
    return len(seen)
