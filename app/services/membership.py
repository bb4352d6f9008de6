"""What a member owns: an export of everything held about them, and erasure."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Post, Reaction, Report, Thread, User, utcnow
from app.services import accounts, erasure, posting, pseudonyms, reactions, reading

# What /me says after an action that lands there (`?done=`); unknown words say nothing.
DONE = {
    "passphrase": "Your passphrase is changed. You are still signed in here; everywhere else is signed out.",
    "others": "You are signed out everywhere else. You are still signed in here.",
}


@dataclass
class OwnPage:
    """What /me shows the member about themselves."""

    user: User
    paused_until: datetime | None  # set only while the account is suspended
    threads: list[Thread]
    sessions: list[accounts.OpenSession]  # oldest first, by day only
    sent_to_moderators: list[Post]  # what only the moderators can read, with its thread
    done: str  # a confirmation of what was just done, or ""


def own_page(session: Session, *, user: User, token: str | None, done: str = "") -> OwnPage:
    """Read-only; three queries (threads, sessions, posts sent only to the moderators)."""
    paused = user.suspended_until if user.is_suspended(utcnow()) else None
    return OwnPage(
        user=user,
        paused_until=paused,
        threads=reading.threads_by(session, author=user),
        sessions=accounts.open_sessions(session, user=user, token=token),
        sent_to_moderators=posting.sent_to_moderators(session, author=user),
        done=DONE.get(done, ""),
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _account(session: Session, user: User) -> dict[str, Any]:
    return {
        "pseudonym": user.pseudonym,
        "role": user.role,
        "joined": _iso(user.created_at),
        "suspended_until": _iso(user.suspended_until),
        "recovery_start": _iso(user.recovery_start),
    }


def _threads(session: Session, user: User) -> list[dict[str, Any]]:
    threads = session.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))
    return [{"id": t.id, "title": t.title, "created": _iso(t.created_at)} for t in threads]


def _posts(session: Session, user: User) -> list[dict[str, Any]]:
    posts = session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    return [
        {
            "id": p.id,
            "thread_id": p.thread_id,
            "body": p.body_source,
            "content_note": p.content_note,
            "status": p.status,
            "anonymous": p.anonymous,
            "created": _iso(p.created_at),
            "edited": _iso(p.edited_at),
        }
        for p in posts
    ]


def _encouragements(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Reaction.post_id, Reaction.kind, Reaction.created_at)
        .where(Reaction.user_id == user.id)
        .order_by(Reaction.id)
    )
    return [{"post_id": pid, "kind": kind, "created": _iso(at)} for pid, kind, at in rows]


def _sessions(session: Session, user: User) -> list[dict[str, Any]]:
    # When each open session began, by day: nothing about devices or addresses is kept.
    return [{"began": s.began.isoformat()} for s in accounts.open_sessions(session, user=user)]


def _reports(session: Session, user: User) -> list[dict[str, Any]]:
    reports = session.scalars(select(Report).where(Report.reporter_id == user.id).order_by(Report.id))
    fields = ("post_id", "reason", "note", "status")
    return [{**{f: getattr(r, f) for f in fields}, "created": _iso(r.created_at)} for r in reports]


# Each part of the export, in the order it is written; a new table adds its reader here.
SECTIONS = {
    "account": _account,
    "threads": _threads,
    "posts": _posts,
    "encouragements_given": _encouragements,
    "sessions": _sessions,
    "reports_made": _reports,
}


def export(session: Session, *, user: User) -> dict[str, Any]:
    """Everything stored about the member, in plain data (no hashes: they identify nobody)."""
    return {name: read(session, user) for name, read in SECTIONS.items()}


def erase(session: Session, *, user: User, passphrase: str, erase_posts: bool) -> None:
    """Delete the account in one transaction; posts are erased or kept as FORMER_MEMBER's."""
    if not accounts.verify_passphrase(user, passphrase):
        raise InvalidInput("Your account was not deleted.", fields={"passphrase": accounts.WRONG_PASSPHRASE})
    if erase_posts:
        erasure.erase_words(session, post_ids=select(Post.id).where(Post.author_id == user.id))
    # The encouragement they gave goes with them; the stored counts follow in the same transaction.
    touched = list(session.scalars(select(Reaction.post_id).where(Reaction.user_id == user.id).distinct()))
    session.execute(delete(Reaction).where(Reaction.user_id == user.id))
    reactions.recount(session, post_ids=touched)
    pseudonyms.hold(session, pseudonym=user.pseudonym)  # nobody can take the name and speak as them
    session.execute(delete(User).where(User.id == user.id))
    session.commit()
