"""Members report posts: one open report per member per post, auto-hide at a threshold of members.

Only established accounts count toward the threshold (at least
`PEERBEARING_REPORT_HIDE_MIN_ACCOUNT_AGE_HOURS` old, the boundary included), so a few fresh accounts
cannot silence a story; their reports still reach the queue at once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import db
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotAllowed
from app.models import Post, PostStatus, Report, ReportStatus, User, utcnow
from app.services import moderation_log, notices, standing
from app.services.moderation_actions import AUTO_HIDE

NOTE_MAX = 1000
AT_RISK = "at_risk"
OTHER = "other"


@dataclass(frozen=True)
class Reason:
    value: str  # stored; never renumber or rename
    label: str


REASONS = [
    Reason("unkind", "Unkind or harassing"),
    Reason("spam", "Spam or selling"),
    Reason("doxxing", "Shares identifying details (doxxing)"),
    Reason("using_detail", "Describes using in detail, or sourcing, without a content note"),
    Reason("medical", "Dangerous medical advice"),
    Reason(AT_RISK, "Someone may be at risk"),
    Reason(OTHER, "Something else (please say what in the note)"),
]
LABELS = {r.value: r.label for r in REASONS}


@dataclass(frozen=True)
class Outcome:
    report: Report
    updated: bool  # the member's open report on this post was updated, not added
    hidden: bool  # this report hid the post


def _validate(reason: str, note: str) -> tuple[str, str]:
    note = note.replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if reason not in LABELS:
        errors["reason"] = "Please choose one of the reasons."
    elif reason == OTHER and not note:
        errors["note"] = "Please say in a few words what is wrong, so a moderator can help."
    if len(note) > NOTE_MAX:
        errors["note"] = f"A note can be up to {NOTE_MAX:,} characters; this one has {len(note):,}."
    if errors:
        raise InvalidInput("Your report was not sent yet. What you wrote is still here.", fields=errors)
    return reason, note


def _refuse_unreportable(post: Post, reporter: User) -> None:
    if post.author_id == reporter.id:
        raise NotAllowed("You cannot report your own post. You can edit or delete it instead.")
    if post.status == PostStatus.removed:
        raise Conflict("A moderator has already removed this post.")
    if post.status == PostStatus.deleted:
        raise Conflict("The author has already deleted this post.")
    # A post already waiting for a moderator still takes reports: a later "at risk" must get through.
    if post.status not in (PostStatus.visible, PostStatus.hidden_pending_review):
        raise Conflict("A moderator has already hidden this post. Thank you for looking out.")


def report(
    session: Session, *, post: Post, reporter: User, reason: str, note: str = "", now: datetime | None = None
) -> Outcome:
    """Add or update the member's one open report, then auto-hide if due. One transaction, race-safe."""
    now = now or utcnow()
    standing.ensure_can_write(reporter, now)
    reason, note = _validate(reason, note)
    # Lock the post row (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
    session.refresh(post, with_for_update={"of": Post})
    _refuse_unreportable(post, reporter)
    existing = session.scalar(
        select(Report.id).where(
            Report.post_id == post.id,
            Report.reporter_id == reporter.id,
            Report.status == db.constant(ReportStatus.open),
        )
    )
    # The partial unique index decides races: a second report updates the first, never counts twice.
    stmt = db.insert(session, Report).values(
        post_id=post.id,
        reporter_id=reporter.id,
        reason=reason,
        note=note,
        snapshot=post.body_source,
        created_at=now,
        status=ReportStatus.open,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["post_id", "reporter_id"],
        index_where=text("status = 'open'"),
        set_={"reason": stmt.excluded.reason, "note": stmt.excluded.note},
    ).returning(Report.id)
    report_id = session.scalar(stmt)
    hidden = _hide_if_due(session, post=post, reporter=reporter, reason=reason, now=now)
    saved = session.get(Report, report_id, populate_existing=True)
    session.commit()
    return Outcome(report=saved, updated=existing is not None, hidden=hidden)


SENT_BY_AUTHOR = "Sent only to the moderators by its author, after the check while writing."


def open_for_moderators(session: Session, *, post: Post, author: User, now) -> Report:
    """The urgent item for a post its author sent only to the moderators; the caller commits."""
    item = Report(
        post_id=post.id,
        reporter_id=author.id,
        reason=AT_RISK,
        note=SENT_BY_AUTHOR,
        snapshot=post.body_source,
        created_at=now,
        status=ReportStatus.open,
    )
    session.add(item)
    return item


def min_account_age() -> timedelta:
    """How old an account must be for its reports to count toward hiding a post."""
    return timedelta(hours=get_settings().report_hide_min_account_age_hours)


def _hide_if_due(session: Session, *, post: Post, reporter: User, reason: str, now: datetime) -> bool:
    """Hide for readers once enough distinct established members report; "at risk" never hides (it asks
    for care). A moderator's report hides at once, whatever the age of the moderator's account."""
    if reason == AT_RISK or post.status != PostStatus.visible:
        return False
    by_moderator = reporter.is_moderator
    if by_moderator:
        reporters = 0  # not counted: the moderator's word is enough
    else:
        # Counted in SQL in this transaction (the post row is locked): an account exactly the minimum
        # age counts, one a minute younger does not.
        reporters = session.scalar(
            select(func.count(func.distinct(Report.reporter_id)))
            .join(User, User.id == Report.reporter_id)
            .where(
                Report.post_id == post.id,
                Report.status == db.constant(ReportStatus.open),
                Report.reason != AT_RISK,
                User.created_at <= now - min_account_age(),
            )
        )
        if reporters < get_settings().report_hide_threshold:
            return False
    post.status = PostStatus.hidden_pending_review
    moderation_log.record(
        session,
        action=AUTO_HIDE,
        moderator=reporter if by_moderator else None,
        post=post,
        target=session.get(User, post.author_id) if post.author_id else None,
        reason="Reported by a moderator" if by_moderator else f"Reported by {reporters} members",
        now=now,
    )
    # The author is told it is hidden, never by whom or by how many.
    notices.to_author(
        session, post=post, kind="post_hidden", actor_id=reporter.id, outcome="reports", now=now
    )
    return True


# Posts with at least one open report: the moderators' header count, as a scalar subquery (it rides in
# the sign-in query, accounts.member_for_token; moderation_queue.open_report_count runs it alone).
OPEN_REPORTED_POSTS = (
    select(func.count(func.distinct(Report.post_id)))
    .where(Report.status == db.constant(ReportStatus.open))
    .scalar_subquery()
)
