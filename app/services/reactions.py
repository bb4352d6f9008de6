"""Encouragement reactions: toggled idempotently, counted in SQL in the same transaction."""

from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
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
class Reacted:
    """The post as a toggle leaves it: its place (for the way back) and its stored counts as committed."""

    id: int
    thread_id: int
    position: int
    hug_count: int
    strength_count: int
    thanks_count: int
    metoo_count: int
    celebrate_count: int


@dataclass(frozen=True)
class Toggled:
    post: Reacted
    mine: set[str] | None  # the kinds this member has pressed on it now; None when not asked for


# Built once, run through the connection: plain rows, nothing for the ORM to track.
# The post row is locked first (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
POST_FOR_TOGGLE = (
    select(Post.status, Post.thread_id, Post.position)
    .where(Post.id == bindparam("post_id"))
    .with_for_update()
)
PRESSED = select(Reaction.kind).where(
    Reaction.post_id == bindparam("post_id"), Reaction.user_id == bindparam("user_id")
)
# ON CONFLICT is spelled in each engine's own dialect: the unique (post, user, kind) row decides races.
PRESS = {
    "postgresql": pg_insert(Reaction).on_conflict_do_nothing(index_elements=["post_id", "user_id", "kind"]),
    "sqlite": sqlite_insert(Reaction).on_conflict_do_nothing(index_elements=["post_id", "user_id", "kind"]),
}
TAKE_BACK = delete(Reaction).where(
    Reaction.post_id == bindparam("post_id"),
    Reaction.user_id == bindparam("user_id"),
    Reaction.kind == bindparam("kind"),
)


def _counted(kind: str):
    return (
        select(func.count())
        .select_from(Reaction)
        .where(Reaction.post_id == Post.id, Reaction.kind == kind)
        .scalar_subquery()
    )


COUNTS = tuple(getattr(Post, column) for column in COLUMN.values())
# One kind recounted on one post, answering all its counts (what the reactions bar shows).
RECOUNT_ONE = {
    kind: update(Post)
    .where(Post.id == bindparam("post_id"))
    .values({column: _counted(kind)})
    .returning(*COUNTS)
    for kind, column in COLUMN.items()
}


def toggle(
    session: Session, *, post_id: int, user: User, kind: str, want: str = "", with_mine: bool = True
) -> Toggled:
    """Press or take back one encouragement. `want` ("on"/"off") makes a repeated click harmless.

    A unique (post, user, kind) row decides races; the count is recomputed from the rows
    after the post row is locked, so two sessions at once never double-count. One transaction,
    which reads the post itself (404, 409); `with_mine` also answers the kinds the member pressed.
    """
    conn = session.connection()
    found = conn.execute(POST_FOR_TOGGLE, {"post_id": post_id}).first()
    if found is None:
        raise NotFound("That post does not exist, or it was deleted.")
    if kind not in COLUMN:
        raise InvalidInput("That is not one of the encouragements.")
    standing.ensure_can_write(user, utcnow())
    if found.status != PostStatus.visible:
        raise Conflict("This post is not open for encouragement right now.")
    key = {"post_id": post_id, "user_id": user.id, "kind": kind}
    turn_on = {"on": True, "off": False}.get(want)
    mine = None
    if turn_on is None or with_mine:
        mine = set(conn.scalars(PRESSED, key))
    if turn_on is None:
        turn_on = kind not in mine
    if turn_on:
        conn.execute(PRESS[conn.dialect.name], {**key, "created_at": utcnow()})
    else:
        conn.execute(TAKE_BACK, key)
    if mine is not None and turn_on:
        mine.add(kind)
    elif mine is not None:
        mine.discard(kind)
    counts = conn.execute(RECOUNT_ONE[kind], {"post_id": post_id}).one()
    session.commit()
    return Toggled(Reacted(post_id, found.thread_id, found.position, *counts), mine if with_mine else None)


def recount(session: Session, *, post_ids: list[int] | None = None, kinds: list[str] | None = None) -> None:
    """Set the stored counts from the reaction rows, for these posts (all when None) and kinds."""
    for kind in kinds or list(COLUMN):
        stmt = update(Post).values({COLUMN[kind]: _counted(kind)})
        if post_ids is not None:
            stmt = stmt.where(Post.id.in_(post_ids))
        session.execute(stmt)
