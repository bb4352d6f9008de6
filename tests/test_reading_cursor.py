"""Keyset pages of threads: every thread once, in order, even when activity times tie to the microsecond."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.models import Thread
from app.services import reading
from tests.factories import make_thread, make_user


def test_paging_by_cursor_shows_every_thread_once_through_tied_and_odd_microsecond_times(session):
    author = make_user(session)
    tied = datetime(2026, 11, 25, 12, 0, 0, 999999, tzinfo=UTC)
    times = [
        tied,
        tied,
        tied,
        tied - timedelta(microseconds=1),
        datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC),
    ]
    ids = []
    for moment in times:
        thread = make_thread(session, author)
        session.execute(update(Thread).where(Thread.id == thread.id).values(last_activity_at=moment))
        ids.append(thread.id)
    session.commit()
    expected = [t for _, t in sorted(zip(times, ids, strict=True), reverse=True)]
    seen, cursor = [], None
    for _ in range(len(ids) + 1):
        page = reading.latest_threads(session, before=cursor, size=2)
        seen += [t.id for t in page.threads]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_a_cursor_names_the_exact_microsecond_and_thread_it_came_from():
    thread = Thread(
        id=7, category_id=1, title="x", last_activity_at=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    )
    assert reading.decode_cursor(reading.encode_cursor(thread)) == (thread.last_activity_at, 7)
    assert reading.decode_cursor("not-a-cursor") is None
