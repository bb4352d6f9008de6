"""SQLite plans each statement a page sends once per connection, not again at every run (app/db.py).

A statement it plans with a bound value in view (a bound LIMIT; `status = ?` on a table with a partial
index WHERE status = 'open') is planned again whenever that value is bound anew: at every run. SQLite
calls the authorizer while it plans, and only then, so a statement that calls it on its second run,
from the connection's statement cache, is one that is planned at every run.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app import db
from app.services import posting, reading
from tests import queries
from tests.factories import make_moderator, make_thread, make_user, opening_post, report
from tests.http import csrf_of

pytestmark = pytest.mark.sqlite_only

SQLITE_OK = 0


@contextmanager
def planned() -> Iterator[list[str]]:
    """The statements SQLite planned inside the block, on any of the engine's connections."""
    engine = db.get_engine()
    calls: list[int] = [0]
    found: list[str] = []
    watched = []

    def authorize(*_args) -> int:
        calls[0] += 1
        return SQLITE_OK

    def checkout(dbapi_conn, record, _proxy) -> None:
        if "authorizer" not in record.info:  # set once: setting it drops that connection's plans
            dbapi_conn.set_authorizer(authorize)
            record.info["authorizer"] = True
            watched.append((dbapi_conn, record))

    def before(_conn, _cursor, _sql, _params, context, _many) -> None:
        context._calls_before = calls[0]

    def after(_conn, _cursor, sql, _params, context, _many) -> None:
        if calls[0] != context._calls_before:
            found.append(" ".join(sql.split()))

    listeners = [("checkout", checkout), ("before_cursor_execute", before), ("after_cursor_execute", after)]
    try:
        with queries.listening(engine, listeners):
            yield found
    finally:
        for dbapi_conn, record in watched:
            dbapi_conn.set_authorizer(None)
            record.info.pop("authorizer", None)


def _planned_again(run) -> list[str]:
    """What `run()` has SQLite plan on its third run (the first two fill the statement caches)."""
    with planned() as found:
        run()
        run()
        found.clear()
        run()
    return found


def _page(client, path: str):
    def run():
        assert client.get(path).status_code == 200

    return run


def test_the_pages_statements_are_planned_once(client, session, browsers):
    make_moderator(session, "Mod-Planner")
    member = make_user(session, "Planning-Member")
    thread = make_thread(session, member)
    for i in range(25):
        make_thread(session, make_user(session), title=f"Thread number {i}")
    for i in range(25):
        posting.reply(session, thread_id=thread.id, author=member, body=f"Reply {i}")
    report(session, opening_post(session, thread), make_user(session))
    reader, moderator = browsers("Planning-Member"), browsers("Mod-Planner")
    last = f"/t/{thread.id}?after={reading.page_start_for(25)}"
    pages = [(client, "/"), (client, "/c/stories"), (client, f"/t/{thread.id}"), (client, last)]
    pages += [(reader, f"/t/{thread.id}"), (reader, "/"), (moderator, "/mod")]
    for who, path in pages:
        assert _planned_again(_page(who, path)) == [], path


def test_a_reaction_and_a_reply_are_planned_once(session, browsers):
    member = make_user(session, "Writing-Member")
    thread = make_thread(session, make_user(session))
    post = opening_post(session, thread)
    writer = browsers("Writing-Member")
    token = csrf_of(writer, f"/t/{thread.id}")

    def react():
        answer = writer.post(f"/p/{post.id}/react/hug", data={"csrf_token": token, "want": "on"})
        assert answer.status_code == 303

    def reply():
        answer = writer.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": "Thinking of you."})
        assert answer.status_code == 303

    assert member.id and _planned_again(react) == []
    assert _planned_again(reply) == []


def test_a_statement_planned_at_every_run_is_seen(client, session):
    # A bound LIMIT, as SQLAlchemy writes .limit(n): SQLite plans it again each time it is bound.
    from sqlalchemy import select

    from app.models import Thread

    make_thread(session, make_user(session))

    def run():
        with db.new_session() as s:
            s.execute(select(Thread.id).order_by(Thread.id).limit(3)).all()

    assert _planned_again(run) != []
