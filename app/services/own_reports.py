"""What a member sees of the reports they made: state and outcome, never who decided (a read model)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import db
from app.models import Post, PostStatus, Report, ReportStatus, Thread, User
from app.services.reporting import LABELS

SHOWN = 50  # the newest; the export holds them all
EXCERPT = 200  # characters of the words as reported, enough to recognise the post

# The outcome in plain words, with no moderator named; decided by the report's and the post's state.
WAITING = "waiting for a moderator"
HIDDEN_WAITING = "the post was hidden while it waits for a moderator"
KEPT = "a moderator reviewed it and kept it up"
REMOVED = "a moderator reviewed it and removed the post"
HID = "a moderator reviewed it and hid the post"
ACTED = "a moderator reviewed it and acted on it"  # taken down, and since restored or deleted


def outcome(report_status: str, post_status: str) -> str:
    if report_status == ReportStatus.open:
        return HIDDEN_WAITING if post_status == PostStatus.hidden_pending_review else WAITING
    if report_status == ReportStatus.dismissed:
        return KEPT
    if post_status == PostStatus.removed:
        return REMOVED
    return HID if post_status == PostStatus.hidden else ACTED


@dataclass(frozen=True)
class OwnReport:
    id: int
    reason: str  # the reason's label, as the member chose it
    created_at: datetime
    open: bool
    outcome: str
    thread_id: int
    thread_title: str
    post_id: int
    readable: bool  # readers can see the post now, so a link to it leads somewhere
    excerpt: str  # "" once the words were erased, or the post removed (the words stay unseen)
    erased: bool


@dataclass(frozen=True)
class OwnReports:
    items: list[OwnReport]  # newest first
    more: bool  # older ones exist beyond SHOWN (they are in the export)


def _excerpt(snapshot: str) -> str:
    text = " ".join(snapshot.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def of(session: Session, *, reporter: User) -> OwnReports:
    """Newest first; one query. Items a member sent only to the moderators are theirs, not reports."""
    rows = session.execute(
        select(Report, Post.status, Post.thread_id, Thread.title)
        .join(Post, Post.id == Report.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Report.reporter_id == reporter.id,
            or_(Post.author_id.is_(None), Post.author_id != reporter.id),
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(db.row_limit(SHOWN + 1))
    ).all()
    items = [
        OwnReport(
            id=r.id,
            reason=LABELS.get(r.reason, r.reason),
            created_at=r.created_at,
            open=r.status == ReportStatus.open,
            outcome=outcome(r.status, status),
            thread_id=thread_id,
            thread_title=title,
            post_id=r.post_id,
            readable=status == PostStatus.visible,
            excerpt="" if r.snapshot_erased or status == PostStatus.removed else _excerpt(r.snapshot),
            erased=r.snapshot_erased,
        )
        for r, status, thread_id, title in rows[:SHOWN]
    ]
    return OwnReports(items, more=len(rows) > SHOWN)
