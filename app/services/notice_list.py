"""The member's notices as they read them: the words of each kind and where it leads (a read model).

The words are made at display time from the live thread title, so a notice never keeps a copy of
a member's words (an erased title is gone from notices too). Writing notices is services/notices.py.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.models import Notice, Post, Thread, User
from app.services import reading

# report_outcome's stored outcomes -> the end of "A moderator reviewed the post you reported ... and"
REPORT_OUTCOMES = {"removed": "removed it.", "hidden": "hid it from readers.", "kept": "kept it up."}
# appeal_decided's stored outcomes (the `appeals` part passes one of these).
APPEAL_OUTCOMES = {
    "restored": "and showed it again.",
    "upheld": "and kept the decision.",
}
# An appeal of a pause is about the account, not one post.
PAUSE_APPEAL_WORDS = {
    "pause_lifted": "A moderator looked again at the pause on your account and lifted it.",
    "pause_kept": "A moderator looked again at the pause on your account and kept it.",
}


@dataclass(frozen=True)
class NoticeView:
    """One notice as its member reads it: the words, and where it leads."""

    id: int
    kind: str
    words: str
    reason: str  # the moderator's reason, shown after the words ("" when none)
    created_at: datetime
    unread: bool  # unread until this page showed it
    to_talk: bool  # leads to /talk rather than a thread
    thread_id: int | None
    post_id: int | None
    page_after: int | None  # the `after` of the thread page that holds the post


@dataclass
class NoticePage:
    notices: list[NoticeView]
    next_cursor: int | None  # the `before` of the next, older page
    unread: int  # what is still unread once this page was seen


def words(kind: str, count: int, title: str | None, outcome: str) -> str:
    where = f"in ‘{title}’" if title else "in a thread that is no longer there"
    if kind == "reply":
        return f"A new reply {where}" if count == 1 else f"{count} new replies {where}"
    if kind == "post_hidden":
        if outcome == "reports":
            return (
                f"Your post {where} was reported, so it is hidden from readers until a moderator looks at it."
            )
        return f"A moderator hid your post {where}."
    if kind == "post_removed":
        return f"A moderator removed your post {where}."
    if kind == "post_restored":
        return f"A moderator looked at your post {where} and it is shown again."
    if kind == "team_answer":
        return "The moderators wrote to you." if count == 1 else f"The moderators wrote to you {count} times."
    if kind == "report_outcome":
        return f"A moderator reviewed the post you reported {where} and {REPORT_OUTCOMES.get(outcome, '')}"
    if kind == "appeal_decided" and outcome in PAUSE_APPEAL_WORDS:
        return PAUSE_APPEAL_WORDS[outcome]
    if kind == "appeal_decided":
        return f"A moderator looked again at your post {where} {APPEAL_OUTCOMES.get(outcome, '')}".strip()
    return "Something happened that concerns you."


def _rows(session: Session, *, user: User, before: int | None, size: int | None):
    query = (
        select(Notice, Thread.title, Post.position)
        .outerjoin(Thread, Thread.id == Notice.thread_id)
        .outerjoin(Post, Post.id == Notice.post_id)
        .where(Notice.user_id == user.id)
        .order_by(Notice.id.desc())
    )
    if before is not None:
        query = query.where(Notice.id < before)
    if size is not None:
        query = query.limit(db.row_limit(size + 1))
    return list(session.execute(query))


def view(notice: Notice, title: str | None, position: int | None) -> NoticeView:
    return NoticeView(
        id=notice.id,
        kind=notice.kind,
        words=words(notice.kind, notice.count, title, notice.outcome),
        reason=notice.reason,
        created_at=notice.created_at,
        unread=notice.unread,
        to_talk=notice.kind == "team_answer",
        thread_id=notice.thread_id if title is not None else None,
        post_id=notice.post_id if position is not None and position >= 0 else None,
        page_after=reading.page_start_for(position) if position is not None and position >= 0 else None,
    )


def page(session: Session, *, user: User, before: int | None) -> tuple[NoticePage, list[tuple[int, int]]]:
    """One page, newest first (one query), with the (id, count) of the unread ones it shows."""
    size = reading.page_size()
    found = _rows(session, user=user, before=before, size=size)
    shown = found[:size]
    listed = NoticePage(
        notices=[view(n, title, pos) for n, title, pos in shown],
        next_cursor=shown[-1][0].id if len(found) > size else None,
        unread=user.notices_unread,
    )
    return listed, [(n.id, n.count) for n, _t, _p in shown if n.unread]


def export(session: Session, *, user: User) -> list[dict]:
    """Every notice held for the member, newest first, in the words they read."""
    seen = [view(n, t, p) for n, t, p in _rows(session, user=user, before=None, size=None)]
    return [
        {
            "kind": v.kind,
            "words": v.words,
            "reason": v.reason,
            "unread": v.unread,
            "created": v.created_at.isoformat(),
        }
        for v in seen
    ]
