"""The append-only moderation log: its one writer, and the pages moderators read."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.models import FORMER_MEMBER, ModAction, Post, User
from app.services import reading
from app.services.moderation_actions import AUTO_HIDE, LOGGED, TALK_LOGGED, TALK_MEMBER, THREAD_LOGGED


def record(
    session: Session,
    *,
    action: str,
    moderator: User | None,
    now: datetime,
    post: Post | None = None,
    thread_id: int | None = None,
    target: User | None = None,
    reason: str = "",
) -> None:
    """Add the entry to the caller's transaction: it commits with the change it tells of, or not at all."""
    session.add(
        ModAction(
            moderator_id=moderator.id if moderator else None,
            moderator_name=moderator.pseudonym if moderator else "",
            action=action,
            post_id=post.id if post else None,
            thread_id=post.thread_id if post else thread_id,
            target_user_id=target.id if target else None,
            target_name=target.pseudonym if target else "",
            reason=reason,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class LogEntry:
    entry: ModAction
    page_cursor: int | None  # the `after` of the post's thread page, while the post exists
    actor: str  # who did it, in words
    phrase: str  # what they did, in the past tense
    on_thread: bool  # the entry is about a thread (lock, pin), not a post
    on_talk: bool  # a private message or conversation: a post is named only when reached out about
    target: str  # "by whom" the post or thread was; empty when there is nothing to say


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_cursor: int | None  # the `before` of the next, older page


def _entry(entry: ModAction, position: int | None) -> LogEntry:
    on_thread = entry.action in THREAD_LOGGED
    gone = entry.target_user_id is None and not on_thread  # the author's account was erased
    target = entry.target_name or (FORMER_MEMBER if gone else "")
    if entry.action == TALK_MEMBER:  # the member wrote: they are who acted
        actor, target = target, ""
    elif entry.moderator_name:
        actor = entry.moderator_name
    else:
        actor = "The report threshold" if entry.action == AUTO_HIDE else "A former moderator"
    return LogEntry(
        entry=entry,
        page_cursor=reading.page_start_for(position) if position is not None else None,
        actor=actor,
        phrase=LOGGED.get(entry.action, entry.action),
        on_thread=on_thread,
        on_talk=entry.action in TALK_LOGGED,
        target=target,
    )


def log(session: Session, *, before: int | None = None, size: int | None = None) -> LogPage:
    """Newest first, keyset-paginated by id (the log is append-only, so ids follow time)."""
    query = select(ModAction, Post.position).outerjoin(Post, Post.id == ModAction.post_id)
    if before is not None:
        query = query.where(ModAction.id < before)
    size = size or reading.page_size()
    rows = session.execute(query.order_by(ModAction.id.desc()).limit(db.row_limit(size + 1))).all()
    entries = [_entry(entry, position) for entry, position in rows[:size]]
    next_cursor = entries[-1].entry.id if len(rows) > size else None
    return LogPage(entries=entries, next_cursor=next_cursor)
