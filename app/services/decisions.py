"""Moderators' decisions on reported posts: one guarded UPDATE decides, then one small step per action.

Every decision writes its log entry in the same transaction as the change itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased, selectinload

from app import db
from app.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from app.models import Post, PostStatus, Report, ReportStatus, Role, User, utcnow
from app.services import claims, moderation_log, notices, standing, timewords
from app.services.moderation_actions import ACTIONS, Action
from app.services.reporting import LABELS

REASON_MAX = 500
DAYS_DEFAULT, DAYS_MAX = 7, 365
STALE = "Another moderator already handled this."
HIDDEN = (PostStatus.hidden_pending_review, PostStatus.hidden)


@dataclass(frozen=True)
class Decision:
    post_id: int
    thread_id: int
    action: str
    closed: int  # reports closed by this decision
    suspended_until: datetime | None = None
    private: bool = False  # the post is still one its author sent only to the moderators


@dataclass(frozen=True)
class _Case:
    """What a step needs: the locked post, who decides, and what the moderator wrote."""

    post: Post
    moderator: User
    action: Action
    reason: str
    reported_as: list[str]  # the reasons of the reports this decision closed
    days: int
    now: datetime


def decide(
    session: Session, *, report_id: int, moderator: User, action: str, reason: str = "", days: str = ""
) -> Decision:
    """One decision closes every open report on the post, logged in the same transaction.

    Acting on a report that is no longer open is refused (409): nothing happens twice.
    """
    post_id = session.scalar(select(Report.post_id).where(Report.id == report_id))
    if post_id is None:
        raise NotFound("That report does not exist.")
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    step = _step(action)
    reason = _clean_reason(reason)
    pause_days = _days(days) if action == "suspend" else 0
    post = _locked_post(session, post_id)
    was = post.status
    try:
        closed = _close_reports(
            session, report_id=report_id, post=post, moderator=moderator, action=action, now=now
        )
        reported_as = [r for r, _ in closed]
        case = _Case(post, moderator, ACTIONS[action], reason, reported_as, pause_days, now)
        log_reason, until = step(case)
        claims.end(session, post_id=post.id)  # decided: nobody holds the item any more
    except DomainError:
        session.rollback()  # nothing of a refused decision is kept
        raise
    moderation_log.record(
        session, moderator=moderator, action=action, post=post, target=post.author, reason=log_reason, now=now
    )
    _tell(
        session, post=post, was=was, action=action, reporter_ids=[r for _, r in closed], moderator=moderator
    )
    session.commit()
    return Decision(
        post.id,
        post.thread_id,
        action,
        closed=len(reported_as),
        suspended_until=until,
        private=post.status == PostStatus.moderators_only,
    )


# What the author is told of each decision, and the reporters' outcome (notice_list.REPORT_OUTCOMES).
AUTHOR_NOTICE = {
    "hide": "post_hidden",
    "remove": "post_removed",
    "suspend": "post_removed",
    "restore": "post_restored",
}
REPORT_OUTCOME = {
    "hide": "hidden",
    "remove": "removed",
    "suspend": "removed",
    "restore": "kept",
    "dismiss": "kept",
}


def _tell(session: Session, *, post: Post, was: str, action: str, reporter_ids, moderator: User) -> None:
    """Notices of a decision, in its transaction: the author (dismissing reports on a post nobody hid
    tells them nothing), and each reporter. Never the moderator's name, never a reporter's."""
    now = utcnow()
    kind = AUTHOR_NOTICE.get(action)
    if action == "dismiss" and was == PostStatus.hidden_pending_review and post.status == PostStatus.visible:
        kind = "post_restored"
    if kind and was != PostStatus.moderators_only:
        notices.to_author(session, post=post, kind=kind, actor_id=moderator.id, now=now)
    notices.report_outcome(
        session,
        post=post,
        reporter_ids=reporter_ids,
        moderator=moderator,
        outcome=REPORT_OUTCOME[action],
        now=now,
    )


def _close_reports(
    session: Session, *, report_id: int, post: Post, moderator: User, action: str, now: datetime
) -> list[tuple[str, int | None]]:
    """The one guarded UPDATE: it closes the post's open reports only while this one is still open.

    A second moderator (or a second click) finds nothing open and gets 409. Answers the closed
    reports' (reason, reporter id).
    """
    this = aliased(Report)
    still_open = (
        select(this.id).where(this.id == report_id, this.status == db.constant(ReportStatus.open)).exists()
    )
    reasons = [
        (reason, reporter)
        for reason, reporter in session.execute(
            update(Report)
            .where(Report.post_id == post.id, Report.status == db.constant(ReportStatus.open), still_open)
            .values(status=ACTIONS[action].report_status, resolved_by_id=moderator.id, resolved_at=now)
            .returning(Report.reason, Report.reporter_id)
            .execution_options(synchronize_session="fetch")  # reports already loaded see their new status
        )
    ]
    if not reasons:
        raise Conflict(STALE)
    return reasons


# --- one step per action: it changes the post (and author) and answers (log reason, paused until) ---

Outcome = tuple[str, datetime | None]


def _dismiss(case: _Case) -> Outcome:
    if case.post.status == PostStatus.hidden_pending_review:
        _set_status(case.post, PostStatus.visible)  # the reports were not upheld: readers see it again
    return case.reason, None


def _restore(case: _Case) -> Outcome:
    if case.post.status not in HIDDEN:
        raise Conflict(
            "This post is not hidden, so there is nothing to restore. Dismiss the reports instead."
        )
    _set_status(case.post, case.action.post_status)
    return case.reason, None


def _take_down(case: _Case) -> Outcome:
    """Hide or remove; without a reason, the log and the author are told what it was reported as."""
    reason = case.reason or "Reported as: " + "; ".join(
        LABELS.get(r, r).lower() for r in sorted(set(case.reported_as))
    )
    _set_status(case.post, case.action.post_status, reason)
    return reason, None


def _suspend(case: _Case) -> Outcome:
    author = case.post.author
    _check_can_suspend(case.moderator, author)
    reason, _ = _take_down(case)
    # Never shortens a longer pause.
    until = max(case.now + timedelta(days=case.days), author.suspended_until or case.now)
    author.suspended_until = until
    return f"Paused for {case.days} days, until {timewords.day(until)}. {reason}".strip(), until


STEPS: dict[str, Callable[[_Case], Outcome]] = {
    "dismiss": _dismiss,
    "restore": _restore,
    "hide": _take_down,
    "remove": _take_down,
    "suspend": _suspend,
}


def _set_status(post: Post, status: str, reason: str = "") -> None:
    # The author's own deletion stands: a decision never brings erased words back.
    if post.status != PostStatus.deleted:
        post.status = status
        post.moderation_reason = reason if status != PostStatus.visible else ""


def _step(action: str) -> Callable[[_Case], Outcome]:
    if action not in STEPS:
        raise InvalidInput(
            "That is not one of the decisions.",
            fields={"action": "Choose dismiss, hide, remove, restore or suspend."},
        )
    return STEPS[action]


def _check_can_suspend(moderator: User, author: User | None) -> None:
    if author is None:
        raise Conflict("The author's account no longer exists, so there is no one to pause.")
    if author.id == moderator.id:
        raise NotAllowed("You cannot pause your own account.")
    if author.is_moderator and moderator.role != Role.admin:
        raise NotAllowed("Only an admin can pause a moderator.")


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            "Nothing was changed yet.",
            fields={"reason": f"A reason can be up to {REASON_MAX} characters; this one has {len(reason)}."},
        )
    return reason


def _days(days: str) -> int:
    text = days.strip() or str(DAYS_DEFAULT)
    if not text.isdigit() or not 1 <= int(text) <= DAYS_MAX:
        raise InvalidInput(
            "Nothing was changed yet.",
            fields={"days": f"A pause is a whole number of days, from 1 to {DAYS_MAX}."},
        )
    return int(text)


def _locked_post(session: Session, post_id: int) -> Post:
    # FOR UPDATE serialises moderators on PostgreSQL; SQLite's BEGIN IMMEDIATE already does.
    post = session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .options(selectinload(Post.author))
        .with_for_update(of=Post)
        .execution_options(populate_existing=True)
    )
    if post is None:
        raise NotFound("That post does not exist any more.")
    return post


def restore_post(session: Session, *, post: Post, moderator: User, reason: str = "") -> Post:
    """Make a hidden post visible again (from the thread page); closes its open reports. Logged."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    reason = _clean_reason(reason)
    post = _locked_post(session, post.id)
    if post.status not in HIDDEN:
        session.rollback()
        raise Conflict("This post is not hidden (another moderator may have handled it).")
    reporters = session.scalars(
        update(Report)
        .where(Report.post_id == post.id, Report.status == db.constant(ReportStatus.open))
        .values(status=ReportStatus.dismissed, resolved_by_id=moderator.id, resolved_at=now)
        .returning(Report.reporter_id)
    ).all()
    claims.end(session, post_id=post.id)
    was = post.status
    _set_status(post, PostStatus.visible)
    moderation_log.record(
        session, moderator=moderator, action="restore", post=post, target=post.author, reason=reason, now=now
    )
    _tell(session, post=post, was=was, action="restore", reporter_ids=reporters, moderator=moderator)
    session.commit()
    return post
