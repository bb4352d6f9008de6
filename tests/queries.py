"""Counting the SQL a piece of code sends: for the tests that hold a page to a fixed number of queries."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app import db


@contextmanager
def listening(engine, listeners: list[tuple[str, Callable]]) -> Iterator[None]:
    """The engine's events call these (name, function) pairs inside the block, and only there."""
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


@contextmanager
def statements() -> Iterator[list[tuple[str, object]]]:
    """Every statement sent through the app's engine inside the block, as (sql, parameters)."""
    seen: list[tuple[str, object]] = []

    def listener(_conn, _cursor, sql, params, _context, _many) -> None:
        seen.append((sql, params))

    def began(_conn) -> None:
        seen.append(("BEGIN", ()))

    engine = db.get_engine()
    # On SQLite the app sends each transaction's BEGIN to the driver itself (app/db.py), unseen by
    # before_cursor_execute: it is counted as it begins.
    listeners = [("before_cursor_execute", listener)]
    if db.is_sqlite(engine.url):
        listeners.append(("begin", began))
    with listening(engine, listeners):
        yield seen


def count(call) -> int:
    """How many statements `call()` sends."""
    with statements() as seen:
        call()
    return len(seen)
