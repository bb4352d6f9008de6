"""What an author reads of their appeals: on their post's placeholder and on /me (a read model)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.models import Appeal, ModAction, Post, Thread, User
from app.services.moderation_actions import APPEALABLE


@dataclass(frozen=True)
class PostAppeal:
    """The decision now standing on one of the reader's own posts, and their appeal of it."""

    decision_id: int
    status: str | None  # None: not appealed yet (the form is offered)
    outcome_reason: str


def on_posts(session: Session, *, author: User, post_ids: list[int]) -> dict[int, PostAppeal]:
    """The latest decision on each of these posts (the author's own, hidden or removed) and its appeal.

    One query, none without posts."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(ModAction.post_id, ModAction.id, Appeal.status, Appeal.outcome_reason)
        .outerjoin(Appeal, Appeal.mod_action_id == ModAction.id)
        .where(ModAction.post_id.in_(post_ids), ModAction.action.in_(APPEALABLE))
        .order_by(ModAction.id)
    )
    return {pid: PostAppeal(mid, status, reason or "") for pid, mid, status, reason in rows}


@dataclass(frozen=True)
class OwnAppeal:
    id: int
    kind: str
    post_id: int | None
    thread_id: int | None
    thread_title: str
    status: str
    outcome_reason: str
    created_at: datetime
    decided_at: datetime | None
    note: str


def own(session: Session, *, user: User) -> list[OwnAppeal]:
    """The member's appeals, newest first, with their outcome (one query)."""
    rows = session.execute(
        select(Appeal, Post.thread_id, Thread.title)
        .outerjoin(Post, Post.id == Appeal.post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .where(Appeal.author_id == user.id)
        .order_by(Appeal.id.desc())
    )
    return [
        OwnAppeal(
            a.id,
            a.kind,
            a.post_id,
            tid,
            title or "",
            a.status,
            a.outcome_reason,
            a.created_at,
            a.decided_at,
            a.note,
        )
        for a, tid, title in rows
    ]


def pause_appealable(session: Session, *, user: User, now: datetime) -> bool:
    """A paused member whose pause has not been appealed yet (one query, only while paused)."""
    if not user.is_suspended(now):
        return False
    row = session.execute(
        select(ModAction.id, Appeal.id)
        .outerjoin(Appeal, Appeal.mod_action_id == ModAction.id)
        .where(ModAction.action == "suspend", ModAction.target_user_id == user.id)
        .order_by(ModAction.id.desc())
        .limit(db.row_limit(1))
    ).first()
    return row is not None and row[1] is None
