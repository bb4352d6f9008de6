"""Encouragement reactions: toggled idempotently, counted in SQL in the same transaction."""

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app import db
from app.errors import Conflict, InvalidInput
from app.models import Post, PostStatus, Reaction, ReactionKind, User, utcnow
from app.services import standing


@dataclass(frozen=True)
class Kind:
    value: str
    label: str  # the words on the button (its accessible name, with the count)
    meaning: str  # a longer phrase, shown as a tooltip
    symbol: str  # decorative, hidden from screen readers


KINDS = [
    Kind(ReactionKind.hug, "Hug", "Sending you a hug", "\u2665"),
    Kind(ReactionKind.strength, "Strength", "You've got this", "\u2605"),
    Kind(ReactionKind.thanks, "Thank you", "Thank you for sharing", "\u2740"),
    Kind(ReactionKind.metoo, "Me too", "I've been there too", "\u2248"),
    Kind(ReactionKind.celebrate, "Celebrate", "Celebrating with you", "\u2600"),
]
COLUMN = {k.value: f"{k.value}_count" for k in KINDS}


@dataclass(frozen=True)
class Toggled:
    post: Post  # with its stored counts as committed
    mine: set[str]  # the kinds this member has pressed on it now


def toggle(session: Session, *, post: Post, user: User, kind: str, want: str = "") -> Toggled:
    """Press or take back one encouragement. `want` ("on"/"off") makes a repeated click harmless.

    A unique (post, user, kind) row decides races; the count is recomputed from the rows
    after the post row is locked, so two sessions at once never double-count.
    """
    if kind not in COLUMN:
        raise InvalidInput("That is not one of the encouragements.")
    standing.ensure_can_write(user, utcnow())
    # Lock the post row first (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
    status = session.scalar(select(Post.status).where(Post.id == post.id).with_for_update())
    if status != PostStatus.visible:
        raise Conflict("This post is not open for encouragement right now.")
    mine = pressed(session, post=post, user=user)
    turn_on = {"on": True, "off": False}.get(want, kind not in mine)
    if turn_on:
        stmt = db.insert(session, Reaction).values(
            post_id=post.id, user_id=user.id, kind=kind, created_at=utcnow()
        )
        session.execute(stmt.on_conflict_do_nothing(index_elements=["post_id", "user_id", "kind"]))
        mine.add(kind)
    else:
        session.execute(
            delete(Reaction).where(
                Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
            )
        )
        mine.discard(kind)
    recount(session, post_ids=[post.id], kinds=[kind])
    session.refresh(post)
    session.commit()
    return Toggled(post, mine)


def recount(session: Session, *, post_ids: list[int] | None = None, kinds: list[str] | None = None) -> None:
    """Set the stored counts from the reaction rows, for these posts (all when None) and kinds."""
    for kind in kinds or list(COLUMN):
        counted = (
            select(func.count())
            .select_from(Reaction)
            .where(Reaction.post_id == Post.id, Reaction.kind == kind)
            .scalar_subquery()
        )
        stmt = update(Post).values({COLUMN[kind]: counted})
        if post_ids is not None:
            stmt = stmt.where(Post.id.in_(post_ids))
        session.execute(stmt)


def pressed(session: Session, *, post: Post, user: User | None) -> set[str]:
    if user is None:
        return set()
    return set(
        session.scalars(select(Reaction.kind).where(Reaction.post_id == post.id, Reaction.user_id == user.id))
    )
