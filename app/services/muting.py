"""Muting a member: for the muter only, that member's posts fold and their threads leave the lists.

A mute is made from a post and never says whose it is: the answer is the same whether the
member was muted already or not. A mute made from a post shown as "a member" folds only that
member's posts shown as "a member" (and one made from a named post only the named ones), so
muting never ties an anonymous post to a name. What readers see of mutes is decided in
`reading` (one query a thread page, none on the lists: a NOT EXISTS in their own query).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app import db
from app.errors import Conflict, NotFound
from app.models import Mute, Post, Thread, User, utcnow
from app.services import reading

# From this many members muting the same author on, moderators see a quiet note in the queue.
SEVERAL = 5
MUTED_WORDS = "You muted this member"


@dataclass(frozen=True)
class MutedPost:
    """The post as the muter now sees it (folded), with the encouragements they gave it."""

    post: reading.PostView
    mine: set[str]


@dataclass(frozen=True)
class MuteLine:
    """One mute as the member's own settings list shows it: the label names nobody anonymous."""

    id: int  # the unmute form's target: muting:unmute with this mute_id
    label: str
    created_at: datetime


def mute_author(session: Session, *, post: Post, muter: User, now: datetime | None = None) -> MutedPost:
    """Idempotent (a unique constraint decides); answers the post as the muter now sees it."""
    now = now or utcnow()
    if post.author_id is None:
        raise Conflict("The person who wrote this post has left, so there is nobody to mute.")
    if post.author_id == muter.id:
        raise Conflict("This is your own post: you cannot mute yourself.")
    # Refused only where a moderator speaks by name: refusing a post shown as "a member" would tell
    # the reader who wrote it. Such a mute folds only their "a member" posts, never their notices.
    if not post.anonymous and post.author is not None and post.author.is_moderator:
        raise Conflict(
            "Moderators cannot be muted: they need to be able to reach everyone here. "
            "If something they wrote troubles you, you can report the post."
        )
    stmt = db.insert(session, Mute).values(
        muter_id=muter.id,
        muted_id=post.author_id,
        as_member=post.anonymous,
        from_post_id=post.id,
        created_at=now,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["muter_id", "muted_id", "as_member"]))
    session.commit()
    seen = reading.as_seen_by(post, reader=muter, muted={(post.author_id, post.anonymous)}, now=now)
    return MutedPost(post=seen, mine=reading.pressed_by(session, reader=muter, posts=[post])[post.id])


def unmute(session: Session, *, mute_id: int, user: User) -> list[MuteLine]:
    """Only the muter's own mute (404 otherwise, as for one that does not exist). One commit.

    Answers the mutes that remain, for the settings list.
    """
    gone = session.execute(delete(Mute).where(Mute.id == mute_id, Mute.muter_id == user.id)).rowcount
    if not gone:
        raise NotFound("That mute does not exist, or it was already lifted.")
    session.commit()
    return mutes_of(session, user=user)


def label(*, as_member: bool, pseudonym: str, thread_title: str | None) -> str:
    if not as_member:
        return pseudonym
    if thread_title is None:
        return "the author of a post shown as a member"
    return f"the author of a post in ‘{thread_title}’"


def mutes_of(session: Session, *, user: User) -> list[MuteLine]:
    """The member's own mutes, oldest first, labelled for the settings list (one query)."""
    rows = session.execute(
        select(Mute.id, Mute.as_member, Mute.created_at, User.pseudonym, Thread.title)
        .join(User, User.id == Mute.muted_id)
        .outerjoin(Post, Post.id == Mute.from_post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .where(Mute.muter_id == user.id)
        .order_by(Mute.created_at, Mute.id)
    )
    return [
        MuteLine(id=i, label=label(as_member=anon, pseudonym=name, thread_title=title), created_at=at)
        for i, anon, at, name, title in rows
    ]


def muted_by_several(author_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether SEVERAL or more members muted this author (never who, never how many).

    A column for the moderators' queue to read in its own query: one subquery per row it lists.
    """
    muters = select(func.count(func.distinct(Mute.muter_id))).where(Mute.muted_id == author_id)
    return muters.scalar_subquery() >= SEVERAL
