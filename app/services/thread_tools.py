"""Moderators' thread tools: lock (no new replies) and pin (top of its category). Idempotent, logged."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Thread, User, utcnow
from app.services import moderation_log, standing
from app.services.moderation_actions import THREAD_FLAGS

ON_OFF = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def _flag(on: str) -> bool:
    value = ON_OFF.get(on.strip().lower())
    if value is None:
        raise InvalidInput("Please choose on or off.", fields={"on": "Use 1 (on) or 0 (off)."})
    return value


def _set_flag(session: Session, *, thread: Thread, moderator: User, column: str, on: str) -> Thread:
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    value = _flag(on)
    # Idempotent: a second click (or a second moderator) changes nothing and logs nothing.
    changed = session.execute(
        update(Thread).where(Thread.id == thread.id, getattr(Thread, column) != value).values({column: value})
    ).rowcount
    if changed:
        target = session.get(User, thread.author_id) if thread.author_id else None
        turned_on, turned_off = THREAD_FLAGS[column]
        moderation_log.record(
            session,
            moderator=moderator,
            action=turned_on if value else turned_off,
            thread_id=thread.id,
            target=target,
            now=now,
        )
    session.refresh(thread)
    session.commit()
    return thread


def set_locked(session: Session, *, thread: Thread, moderator: User, on: str) -> Thread:
    """Lock (no new replies) or unlock a thread. Idempotent, logged when it changes."""
    return _set_flag(session, thread=thread, moderator=moderator, column="locked", on=on)


def set_pinned(session: Session, *, thread: Thread, moderator: User, on: str) -> Thread:
    """Pin (top of its category) or unpin a thread. Idempotent, logged when it changes."""
    return _set_flag(session, thread=thread, moderator=moderator, column="pinned", on=on)
