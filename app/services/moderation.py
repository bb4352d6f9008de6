"""The moderators' queue, their decisions, thread tools and the append-only log.

Every change writes its ModAction row in the same transaction as the change itself.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import ModAction, Post, PostStatus, Report, ReportStatus, Role, Thread, User, utcnow
from app.services import reading, standing
from app.services.reporting import AT_RISK, LABELS

QUEUE_SIZE = 50
REASON_MAX = 500
DAYS_DEFAULT, DAYS_MAX = 7, 365
FLAGS = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}
STALE = "Another moderator already handled this."
HIDDEN = (PostStatus.hidden_pending_review, PostStatus.hidden)

# action -> (new post status or None to leave it, what the reports become)
ACTIONS: dict[str, tuple[str | None, str]] = {
    "dismiss": (None, ReportStatus.dismissed),
    "restore": (PostStatus.visible, ReportStatus.dismissed),
    "hide": (PostStatus.hidden, ReportStatus.actioned),
    "remove": (PostStatus.removed, ReportStatus.actioned),
    "suspend": (PostStatus.removed, ReportStatus.actioned),
}


@dataclass(frozen=True)
class ReportLine:
    id: int
    reason: str
    label: str
    note: str
    reporter_name: str
    created_at: datetime
    snapshot: str
    snapshot_erased: bool = False  # the author erased the post: no words are kept


@dataclass(frozen=True)
class ReportGroup:
    """Plain values only, so a group can be rendered after any rollback."""

    post_id: int
    post_status: str
    post_after: int | None  # the thread page that holds the post
    body_source: str
    body_html: str
    content_note: str
    thread_id: int
    thread_title: str
    author_name: str
    author_removed: int  # posts of this author removed before
    author_suspended_until: datetime | None  # only while the suspension lasts
    reports: tuple[ReportLine, ...]
    urgent: bool
    waiting_since: datetime | None
    waited: str

    @property
    def first_report_id(self) -> int | None:
        return self.reports[0].id if self.reports else None

    @property
    def snapshots(self) -> list[str]:
        """The distinct texts as reported, oldest first."""
        return list(dict.fromkeys(r.snapshot for r in self.reports if not r.snapshot_erased))

    @property
    def erased(self) -> bool:
        return any(r.snapshot_erased for r in self.reports)

    @property
    def changed(self) -> bool:
        return any(s != self.body_source for s in self.snapshots)


@dataclass(frozen=True)
class Decision:
    post_id: int
    thread_id: int
    action: str
    closed: int  # reports closed by this decision
    suspended_until: datetime | None = None


@dataclass(frozen=True)
class LogEntry:
    entry: ModAction
    post_after: int | None  # thread page of the post, while the post exists


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    older: int | None  # `before` value of the next, older page


def waited_words(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _ensure_moderator(user: User) -> None:
    if not user.is_moderator:
        raise NotAllowed("This is for moderators.")
    standing.ensure_can_write(user, utcnow())  # a paused moderator reads, but does not act


def open_report_count(session: Session) -> int:
    """Posts with at least one open report (one query, for the moderators' header)."""
    return session.scalar(
        select(func.count(func.distinct(Report.post_id))).where(Report.status == ReportStatus.open)
    )


@dataclass(frozen=True)
class QueuePage:
    groups: list[ReportGroup]
    page: int
    first: int  # the position in the whole queue of this page's first group
    has_next: bool


def queue(
    session: Session, *, now: datetime | None = None, size: int | None = None, page: int = 1
) -> QueuePage:
    """Open reports grouped by post: urgent first, then oldest first. A fixed number of queries.

    Pages are counted by offset: the queue is short-lived and small, and what it holds moves as
    moderators decide, so page 1 always shows what is most urgent now.
    """
    size = size or QUEUE_SIZE  # read at call time, so a test may shorten it
    urgent = func.max(case((Report.reason == AT_RISK, 1), else_=0))
    oldest = func.min(Report.created_at)
    skipped = (max(page, 1) - 1) * size
    post_ids = list(
        session.scalars(
            select(Report.post_id)
            .where(Report.status == ReportStatus.open)
            .group_by(Report.post_id)
            .order_by(urgent.desc(), oldest.asc(), Report.post_id)
            .limit(size + 1)  # one more tells whether a next page exists
            .offset(skipped)
        )
    )
    groups = _groups(session, post_ids[:size], now or utcnow())
    return QueuePage(groups, page, skipped + 1, has_next=len(post_ids) > size)


def group_for_report(session: Session, report_id: int) -> ReportGroup:
    """The group a report belongs to (its open reports; none if it was handled)."""
    post_id = session.scalar(select(Report.post_id).where(Report.id == report_id))
    if post_id is None:
        raise NotFound("That report does not exist.")
    return _groups(session, [post_id], utcnow())[0]


def _groups(session: Session, post_ids: list[int], now: datetime) -> list[ReportGroup]:
    if not post_ids:
        return []
    posts = {
        p.id: p
        for p in session.scalars(
            select(Post)
            .where(Post.id.in_(post_ids))
            .options(selectinload(Post.thread), selectinload(Post.author))
        )
    }
    reports: dict[int, list[Report]] = defaultdict(list)
    for r in session.scalars(
        select(Report)
        .where(Report.post_id.in_(post_ids), Report.status == ReportStatus.open)
        .options(selectinload(Report.reporter))
        .order_by(Report.created_at, Report.id)
    ):
        reports[r.post_id].append(r)
    author_ids = {p.author_id for p in posts.values() if p.author_id is not None}
    removed = dict(
        session.execute(
            select(Post.author_id, func.count())
            .where(Post.author_id.in_(author_ids), Post.status == PostStatus.removed)
            .group_by(Post.author_id)
        ).all()
    )
    groups = []
    for post_id in post_ids:
        post = posts[post_id]
        lines = tuple(
            ReportLine(
                id=r.id,
                reason=r.reason,
                label=LABELS.get(r.reason, r.reason),
                note=r.note,
                reporter_name=r.reporter.pseudonym if r.reporter else "a former member",
                created_at=r.created_at,
                snapshot=r.snapshot,
                snapshot_erased=r.snapshot_erased,
            )
            for r in reports[post_id]
        )
        author = post.author
        since = lines[0].created_at if lines else None
        groups.append(
            ReportGroup(
                post_id=post.id,
                post_status=post.status,
                post_after=reading.page_start_for(post.position),
                body_source=post.body_source,
                body_html=post.body_html,
                content_note=post.content_note,
                thread_id=post.thread_id,
                thread_title=post.thread.title,
                author_name=author.pseudonym if author else "",
                author_removed=removed.get(post.author_id, 0),
                author_suspended_until=author.suspended_until
                if author and author.is_suspended(now)
                else None,
                reports=lines,
                urgent=any(line.reason == AT_RISK for line in lines),
                waiting_since=since,
                waited=waited_words(since, now) if since else "",
            )
        )
    return groups


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


def _log(
    session: Session,
    *,
    moderator: User,
    action: str,
    post: Post | None = None,
    thread_id: int | None = None,
    target: User | None = None,
    reason: str = "",
    now: datetime,
) -> None:
    session.add(
        ModAction(
            moderator_id=moderator.id,
            moderator_name=moderator.pseudonym,
            action=action,
            post_id=post.id if post else None,
            thread_id=post.thread_id if post else thread_id,
            target_user_id=target.id if target else None,
            target_name=target.pseudonym if target else "",
            reason=reason,
            created_at=now,
        )
    )


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


def decide(
    session: Session, *, report_id: int, moderator: User, action: str, reason: str = "", days: str = ""
) -> Decision:
    """One decision closes every open report on the post, logged in the same transaction.

    Acting on a report that is no longer open is refused (409): nothing happens twice.
    """
    _ensure_moderator(moderator)
    if action not in ACTIONS:
        raise InvalidInput(
            "That is not one of the decisions.",
            fields={"action": "Choose dismiss, hide, remove, restore or suspend."},
        )
    reason = _clean_reason(reason)
    pause_days = _days(days) if action == "suspend" else 0
    post_id = session.scalar(select(Report.post_id).where(Report.id == report_id))
    if post_id is None:
        raise NotFound("That report does not exist.")
    now = utcnow()
    post = _locked_post(session, post_id)
    report_open = session.scalar(select(Report.status).where(Report.id == report_id)) == ReportStatus.open
    if not report_open:
        session.rollback()
        raise Conflict(STALE)
    if action == "restore" and post.status not in HIDDEN:
        session.rollback()
        raise Conflict(
            "This post is not hidden, so there is nothing to restore. Dismiss the reports instead."
        )
    author = post.author
    if action == "suspend":
        _check_can_suspend(moderator, author)
    reported_as = session.scalars(
        select(Report.reason).where(Report.post_id == post.id, Report.status == ReportStatus.open).distinct()
    ).all()
    new_status, report_status = ACTIONS[action]
    # The UPDATE decides: a second moderator finds nothing open and gets 409, nothing twice.
    resolved = {"status": report_status, "resolved_by_id": moderator.id, "resolved_at": now}
    if not session.execute(
        update(Report).where(Report.id == report_id, Report.status == ReportStatus.open).values(resolved)
    ).rowcount:
        session.rollback()
        raise Conflict(STALE)
    closed = (
        1
        + session.execute(
            update(Report)
            .where(Report.post_id == post.id, Report.status == ReportStatus.open)
            .values(resolved)
        ).rowcount
    )
    if action == "dismiss" and post.status == PostStatus.hidden_pending_review:
        new_status = PostStatus.visible  # the reports were not upheld: readers see it again
    if new_status in (PostStatus.hidden, PostStatus.removed) and not reason:
        reason = "Reported as: " + "; ".join(LABELS.get(r, r).lower() for r in sorted(reported_as))
    # The author's own deletion stands: a decision never brings erased words back.
    if new_status and post.status != PostStatus.deleted:
        post.status = new_status
        post.moderation_reason = reason if new_status != PostStatus.visible else ""
    until = None
    log_reason = reason
    if action == "suspend":
        until = now + timedelta(days=pause_days)
        if author.suspended_until and author.suspended_until > until:
            until = author.suspended_until  # never shortens a longer pause
        author.suspended_until = until
        log_reason = f"Paused for {pause_days} days, until {until:%d %b %Y}. {reason}".strip()
    _log(session, moderator=moderator, action=action, post=post, target=author, reason=log_reason, now=now)
    session.commit()
    return Decision(
        post_id=post.id, thread_id=post.thread_id, action=action, closed=closed, suspended_until=until
    )


def _check_can_suspend(moderator: User, author: User | None) -> None:
    if author is None:
        raise Conflict("The author's account no longer exists, so there is no one to pause.")
    if author.id == moderator.id:
        raise NotAllowed("You cannot pause your own account.")
    if author.is_moderator and moderator.role != Role.admin:
        raise NotAllowed("Only an admin can pause a moderator.")


def restore_post(session: Session, *, post: Post, moderator: User, reason: str = "") -> Post:
    """Make a hidden post visible again (from the thread page); closes its open reports. Logged."""
    _ensure_moderator(moderator)
    reason = _clean_reason(reason)
    now = utcnow()
    post = _locked_post(session, post.id)
    if post.status not in HIDDEN:
        session.rollback()
        raise Conflict("This post is not hidden (another moderator may have handled it).")
    session.execute(
        update(Report)
        .where(Report.post_id == post.id, Report.status == ReportStatus.open)
        .values(status=ReportStatus.dismissed, resolved_by_id=moderator.id, resolved_at=now)
    )
    post.status = PostStatus.visible
    post.moderation_reason = ""
    _log(
        session, moderator=moderator, action="restore", post=post, target=post.author, reason=reason, now=now
    )
    session.commit()
    return post


def _flag(on: str) -> bool:
    value = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}.get(
        on.strip().lower()
    )
    if value is None:
        raise InvalidInput("Please choose on or off.", fields={"on": "Use 1 (on) or 0 (off)."})
    return value


def _set_thread_flag(
    session: Session, *, thread: Thread, moderator: User, column: str, on: str, words: tuple[str, str]
) -> Thread:
    _ensure_moderator(moderator)
    value = _flag(on)
    now = utcnow()
    # Idempotent: a second click (or a second moderator) changes nothing and logs nothing.
    changed = session.execute(
        update(Thread).where(Thread.id == thread.id, getattr(Thread, column) != value).values({column: value})
    ).rowcount
    if changed:
        target = session.get(User, thread.author_id) if thread.author_id else None
        action = words[0] if value else words[1]
        _log(session, moderator=moderator, action=action, thread_id=thread.id, target=target, now=now)
    session.refresh(thread)
    session.commit()
    return thread


def set_locked(session: Session, *, thread: Thread, moderator: User, on: str) -> Thread:
    """Lock (no new replies) or unlock a thread. Idempotent, logged when it changes."""
    return _set_thread_flag(
        session, thread=thread, moderator=moderator, column="locked", on=on, words=("lock", "unlock")
    )


def set_pinned(session: Session, *, thread: Thread, moderator: User, on: str) -> Thread:
    """Pin (top of its category) or unpin a thread. Idempotent, logged when it changes."""
    return _set_thread_flag(
        session, thread=thread, moderator=moderator, column="pinned", on=on, words=("pin", "unpin")
    )


def log(session: Session, *, before: int | None = None, size: int = 20) -> LogPage:
    """Newest first, keyset-paginated by id (the log is append-only, so ids follow time)."""
    query = select(ModAction, Post.position).outerjoin(Post, Post.id == ModAction.post_id)
    if before is not None:
        query = query.where(ModAction.id < before)
    rows = session.execute(query.order_by(ModAction.id.desc()).limit(size + 1)).all()
    entries = [
        LogEntry(entry=entry, post_after=reading.page_start_for(position) if position is not None else None)
        for entry, position in rows[:size]
    ]
    older = entries[-1].entry.id if len(rows) > size else None
    return LogPage(entries=entries, older=older)
