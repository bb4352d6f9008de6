"""How far each member has read their threads: set on a thread's last page, read on /me.

Cost on a thread page (GET /t/{id}): nothing for anonymous readers or pages before the last; on
the last page, one SELECT of the marker by its key; only when it is behind (new replies since),
one conditional UPSERT in a short write transaction of its own. /me's list is two queries
whatever the number of threads (the list with its counts, and the categories).
"""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app import db
from app.models import Post, PostStatus, ReadMarker, Thread, User

LIST_SIZE = 50


@dataclass(frozen=True)
class ThreadNews:
    """One of the member's threads on /me: started (`own`) or replied to, and what is new in it."""

    thread: Thread
    own: bool
    new_replies: int


def seen(session: Session, *, reader: User | None, thread_id: int, last_position: int | None) -> None:
    """The reader reached the thread's last page, up to `last_position`: move the marker forward.

    Never moves it back (two tabs, an older page); idempotent; commits only when it wrote.
    """
    if behind(session, reader=reader, thread_id=thread_id, last_position=last_position):
        move_forward(session, reader=reader, thread_id=thread_id, last_position=last_position)


def behind(session: Session, *, reader: User | None, thread_id: int, last_position: int | None) -> bool:
    """Whether the reader's marker is behind `last_position` (a read; False for a visitor or no last page)."""
    if reader is None or last_position is None:
        return False
    stored = session.scalar(
        select(ReadMarker.position).where(ReadMarker.user_id == reader.id, ReadMarker.thread_id == thread_id)
    )
    return stored is None or stored < last_position


def move_forward(session: Session, *, reader: User, thread_id: int, last_position: int) -> None:
    """Set the marker to `last_position` unless it is already further on (a write, committed)."""
    # End the page's read transaction first: a write in a fresh transaction waits its turn for the
    # lock instead of failing the way a deferred read-then-write does on SQLite.
    session.commit()
    db.writes_next(session)
    upsert = db.insert(session, ReadMarker).values(
        user_id=reader.id, thread_id=thread_id, position=last_position
    )
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id", "thread_id"],
            set_={"position": upsert.excluded.position},
            where=ReadMarker.position < upsert.excluded.position,
        )
    )
    session.commit()


def news(session: Session, *, user: User, size: int = LIST_SIZE) -> list[ThreadNews]:
    """The member's threads and those they replied to, newest activity first, each with its count.

    New replies are visible posts by others after what the member saw: the marker, or their own
    latest post in the thread if that is further (a reply sent with HTMX never reloads the page).
    """
    own_last = (
        select(Post.thread_id, func.max(Post.position).label("own_last"))
        # What was sent only to the moderators is on /me by itself, not a thread the member is in.
        .where(Post.author_id == user.id, Post.status != PostStatus.moderators_only)
        .group_by(Post.thread_id)
        .subquery()
    )
    marker = select(ReadMarker).where(ReadMarker.user_id == user.id).subquery()
    # A missing marker compares as NULL, so the member's own latest post decides.
    seen_upto = case((marker.c.position > own_last.c.own_last, marker.c.position), else_=own_last.c.own_last)
    count = (
        select(func.count())
        .where(
            Post.thread_id == Thread.id,
            Post.position > seen_upto,
            Post.status == db.constant(PostStatus.visible),
            or_(Post.author_id != user.id, Post.author_id.is_(None)),
        )
        .correlate(Thread, own_last, marker)
        .scalar_subquery()
    )
    query = (
        select(Thread, count)
        .join(own_last, own_last.c.thread_id == Thread.id)
        .outerjoin(marker, marker.c.thread_id == Thread.id)
        .where(Thread.status == PostStatus.visible)
        .options(selectinload(Thread.category))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(db.row_limit(size))
    )
    return [
        ThreadNews(thread=t, own=t.author_id == user.id, new_replies=n) for t, n in session.execute(query)
    ]
