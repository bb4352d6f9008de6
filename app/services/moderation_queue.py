"""What moderators read: open reports grouped by post, urgent first, then oldest (a read model)."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from app import db
from app.errors import NotFound
from app.models import (
    FORMER_MEMBER,
    Appeal,
    AppealStatus,
    Claim,
    ModAction,
    Post,
    PostStatus,
    Report,
    ReportStatus,
    Thread,
    User,
    utcnow,
)
from app.services import appeals as appeals_service
from app.services import claims, content_notes, moderation_actions, muting, reading, reporting, timewords
from app.services.reporting import AT_RISK, LABELS

QUEUE_SIZE = 50


@dataclass(frozen=True)
class ReportLine:
    id: int
    reason: str
    label: str
    note: str
    reporter_name: str
    created_at: datetime
    reporter_age: str  # "new account", "member for 3 months"; "" once the account is erased
    snapshot: str
    snapshot_erased: bool = False  # the author erased the post: no words are kept


@dataclass(frozen=True)
class ReportGroup:
    """Plain values only, so a group can be rendered after any rollback.

    What it works out is cached: the template asks for some of it several times per group.
    """

    post_id: int
    post_status: str
    page_cursor: int | None  # the `after` of the thread page that holds the post
    body_source: str
    body_html: str
    content_note: str
    thread_id: int
    thread_title: str
    author_name: str  # FORMER_MEMBER once the account is erased
    posted_as_member: bool  # shown to readers as "a member"; moderators see who
    author_removed: int  # posts of this author removed before
    author_suspended_until: datetime | None  # only while the suspension lasts
    author_muted_by_several: bool  # muting.SEVERAL or more members muted the author (never who)
    reports: tuple[ReportLine, ...]
    urgent: bool
    waiting_since: datetime | None
    waited: str
    claim: claims.ClaimView | None = None  # who is reaching out, on an urgent group

    @cached_property
    def at_risk_report_id(self) -> int | None:
        """The report a claim is made on: the group's first at-risk one."""
        return next((r.id for r in self.reports if r.reason == AT_RISK), None)

    @cached_property
    def claim_levels(self) -> list[claims.LevelChoice]:
        return claims.levels()

    @cached_property
    def first_report_id(self) -> int | None:
        return self.reports[0].id if self.reports else None

    @cached_property
    def snapshots(self) -> list[str]:
        """The distinct texts as reported, oldest first."""
        return list(dict.fromkeys(r.snapshot for r in self.reports if not r.snapshot_erased))

    @cached_property
    def erased(self) -> bool:
        return any(r.snapshot_erased for r in self.reports)

    @cached_property
    def changed(self) -> bool:
        return any(s != self.body_source for s in self.snapshots)

    @cached_property
    def choices(self) -> list[tuple[str, str, bool]]:
        """The decisions offered for the post as it stands: (action, button words, the main one)."""
        return moderation_actions.choices(self.post_status)


@dataclass(frozen=True)
class QueuePage:
    groups: list[ReportGroup]
    page: int
    first: int  # the position in the whole queue of this page's first group
    next_cursor: int | None  # the `page` of the next page, if there is one
    appeals: list["AppealItem"] = field(default_factory=list)  # open appeals, on the first page


def open_report_count(session: Session) -> int:
    """Posts with at least one open report (one query, for the moderators' header)."""
    return session.scalar(select(reporting.OPEN_REPORTED_POSTS))


# The page of posts with open reports: urgent first, then oldest (size and offset bound per page).
_URGENT = func.max(case((Report.reason == AT_RISK, 1), else_=0)).label("urgent")
_OLDEST = func.min(Report.created_at).label("oldest")
_PAGE = (
    select(Report.post_id, _URGENT, _OLDEST)
    .where(Report.status == db.constant(ReportStatus.open))
    .group_by(Report.post_id)
    .order_by(_URGENT.desc(), _OLDEST.asc(), Report.post_id)
    .limit(db.row_limit("size"))
    .offset(bindparam("skipped"))
    .subquery("page")
)
_AUTHOR, _HOLDER, _REPORTER = (aliased(User, name=n) for n in ("author", "holder", "reporter"))
_REMOVED = aliased(Post, name="removed")
# The author's removed posts. 'removed' is written into the SQL, not bound: SQLite uses the partial
# index only when its WHERE is matched.
_REMOVED_BEFORE = (
    select(func.count())
    .where(
        _REMOVED.author_id == Post.author_id,
        _REMOVED.status == db.constant(PostStatus.removed),
    )
    .scalar_subquery()
)
# What a group shows of its post, thread, author and claim, in one row (see _group).
_GROUP_COLUMNS = (
    *(Post.id, Post.status, Post.position, Post.body_source, Post.body_html, Post.content_note),
    *(Post.content_note_kinds, Post.thread_id, Post.anonymous, Thread.title),
    *(_AUTHOR.pseudonym, _AUTHOR.suspended_until, _REMOVED_BEFORE, muting.muted_by_several(Post.author_id)),
    *(Claim.moderator_id, Claim.level, Claim.created_at, _HOLDER.pseudonym),
)


def _with_details(query):
    return (
        query.join(Thread, Thread.id == Post.thread_id)
        .outerjoin(_AUTHOR, _AUTHOR.id == Post.author_id)
        .outerjoin(Claim, Claim.post_id == Post.id)
        .outerjoin(_HOLDER, _HOLDER.id == Claim.moderator_id)
    )


# Statements built once: each call only binds its values.
QUEUE_GROUPS = _with_details(
    select(*_GROUP_COLUMNS).select_from(_PAGE).join(Post, Post.id == _PAGE.c.post_id)
).order_by(_PAGE.c.urgent.desc(), _PAGE.c.oldest.asc(), _PAGE.c.post_id)
REPORT_GROUP = _with_details(select(*_GROUP_COLUMNS)).where(
    Post.id == select(Report.post_id).where(Report.id == bindparam("report_id")).scalar_subquery()
)
OPEN_LINES = (
    select(
        *(Report.id, Report.post_id, Report.reason, Report.note, Report.snapshot, Report.snapshot_erased),
        *(Report.created_at, _REPORTER.pseudonym, _REPORTER.created_at),
    )
    .outerjoin(_REPORTER, _REPORTER.id == Report.reporter_id)
    .where(
        Report.post_id.in_(bindparam("post_ids", expanding=True)),
        Report.status == db.constant(ReportStatus.open),
    )
    .order_by(Report.created_at, Report.id)
)


def queue(
    session: Session,
    *,
    now: datetime | None = None,
    size: int | None = None,
    page: int = 1,
    moderator_id: int | None = None,
) -> QueuePage:
    """Open reports grouped by post: urgent first, then oldest first. Three queries whatever the page.

    Pages are counted by offset: the queue is short-lived and small, and what it holds moves as
    moderators decide, so page 1 always shows what is most urgent now.
    """
    size = size or QUEUE_SIZE  # read at call time, so a test may shorten it
    skipped = (max(page, 1) - 1) * size
    # One more row tells whether a next page exists.
    rows = session.connection().execute(QUEUE_GROUPS, {"size": size + 1, "skipped": skipped}).all()
    now = now or utcnow()
    groups = _groups(session, rows[:size], now)
    next_cursor = page + 1 if len(rows) > size else None
    # Appeals sit on the first page, after the urgent groups; `moderator_id` decides who may answer.
    waiting = appeals(session, moderator_id=moderator_id or 0, now=now) if page <= 1 else []
    return QueuePage(groups, page, skipped + 1, next_cursor=next_cursor, appeals=waiting)


def group_for_report(session: Session, report_id: int) -> ReportGroup:
    """The group a report belongs to (its open reports; none if it was handled). Two queries."""
    rows = session.connection().execute(REPORT_GROUP, {"report_id": report_id}).all()
    if not rows:
        raise NotFound("That report does not exist.")
    return _groups(session, rows, utcnow())[0]


def _groups(session: Session, rows, now: datetime) -> list[ReportGroup]:
    """The groups of these rows (see _GROUP_COLUMNS), with their open reports read in one query."""
    if not rows:
        return []
    lines: dict[int, list[ReportLine]] = {row[0]: [] for row in rows}
    new = reporting.min_account_age()
    # .all(): the driver's fetchall in one call, where iterating the result fetches row by row.
    for line in session.connection().execute(OPEN_LINES, {"post_ids": list(lines)}).all():
        lines[line[1]].append(_line(*line, now=now, new=new))
    return [_group(*row, lines=tuple(lines[row[0]]), now=now) for row in rows]


def _line(
    report_id, _post_id, reason, note, snapshot, erased, created_at, reporter, joined, *, now, new
) -> ReportLine:
    return ReportLine(
        id=report_id,
        reason=reason,
        label=LABELS.get(reason, reason),
        note=note,
        reporter_name=reporter if reporter is not None else FORMER_MEMBER,
        created_at=created_at,
        # "" once the reporter's account is erased (the row left joined finds nobody).
        reporter_age=timewords.member_for(joined, now=now, new=new) if reporter is not None else "",
        snapshot=snapshot,
        snapshot_erased=erased,
    )


def _group(
    post_id, status, position, source, html, note, kinds, thread_id, anonymous, title,
    author, suspended_until, removed, several, holder_id, level, held_since, holder,
    *, lines: tuple[ReportLine, ...], now: datetime,
) -> ReportGroup:  # fmt: skip
    since = lines[0].created_at if lines else None
    urgent = any(line.reason == AT_RISK for line in lines)
    return ReportGroup(
        post_id=post_id,
        post_status=status,
        page_cursor=reading.page_start_for(position),
        body_source=source,
        body_html=html,
        # The kinds' words and the author's own ("relapse, grief: my words"), as readers meet them folded.
        content_note=content_notes.words_of(content_notes.kinds_of(kinds), note),
        thread_id=thread_id,
        thread_title=title,
        author_name=author if author is not None else FORMER_MEMBER,
        posted_as_member=anonymous,
        author_removed=removed,
        # Only while the pause lasts (no author row, no pause: the account was erased).
        author_suspended_until=suspended_until if suspended_until and suspended_until > now else None,
        author_muted_by_several=bool(several),
        reports=lines,
        urgent=urgent,
        waiting_since=since,
        waited=timewords.waited(since, now) if since else "",
        # Only an urgent group can be claimed: a claim left on another is not shown.
        claim=claims.view(post_id, holder_id, holder, level, held_since) if urgent and holder else None,
    )


# --- appeals: their own kind of item, above the report groups (urgent reports still first) -------


@dataclass(frozen=True)
class AppealItem:
    """An appeal as moderators read it: the post, the decision appealed, who made it, the note."""

    id: int
    kind: str  # "post" or "account" (a paused member)
    status: str
    note: str
    created_at: datetime
    waited: str
    author_name: str
    author_paused_until: datetime | None
    post_id: int | None
    post_status: str
    thread_id: int | None
    thread_title: str
    page_cursor: int | None
    body_html: str
    decision: str  # the log's words: "removed", "hid", "removed and paused the author of"
    decision_reason: str
    decided_by: str  # the moderator's name as logged, or "A former moderator"
    decided_at: datetime
    why_not: str  # why this moderator may not decide it ("" if they may)
    outcome_reason: str = ""
    edited_after: bool = False  # the author edited the post after the decision (it stayed hidden)

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        return list(moderation_actions.APPEAL_OUTCOMES.items())


# An appeal's row: the appeal, its author, the decision appealed, the post as it is now and the count
# of active moderators (the same-moderator rule), in one query.
_APPEAL_ROWS = (
    select(
        *(Appeal.id, Appeal.kind, Appeal.status, Appeal.note, Appeal.created_at, Appeal.outcome_reason),
        *(User.pseudonym, User.suspended_until),
        *(ModAction.action, ModAction.reason, ModAction.moderator_name, ModAction.moderator_id),
        *(ModAction.created_at, Post.id, Post.status, Post.thread_id, Post.position, Post.body_html),
        *(Post.edited_at, Thread.title, appeals_service.ACTIVE_MODERATORS.scalar_subquery()),
    )
    .join(ModAction, ModAction.id == Appeal.mod_action_id)
    .join(User, User.id == Appeal.author_id)
    .outerjoin(Post, Post.id == Appeal.post_id)
    .outerjoin(Thread, Thread.id == Post.thread_id)
    .order_by(Appeal.created_at, Appeal.id)
)
OPEN_APPEALS = _APPEAL_ROWS.where(Appeal.status == AppealStatus.open)
ONE_APPEAL = _APPEAL_ROWS.where(Appeal.id == bindparam("appeal_id"))


def appeals(session: Session, *, moderator_id: int, now: datetime | None = None) -> list[AppealItem]:
    """Open appeals, oldest first: one query whatever their number."""
    now = now or utcnow()
    rows = session.connection().execute(OPEN_APPEALS, {"now": now}).all()
    return [appeal_from_row(*row, moderator_id=moderator_id, now=now) for row in rows]


def appeal_item(session: Session, appeal_id: int, moderator_id: int) -> AppealItem:
    """One appeal, open or decided (what HTMX swaps in after a decision, or an error)."""
    now = utcnow()
    row = session.connection().execute(ONE_APPEAL, {"appeal_id": appeal_id, "now": now}).first()
    if row is None:
        raise NotFound("That appeal does not exist.")
    return appeal_from_row(*row, moderator_id=moderator_id, now=now)


def appeal_from_row(
    appeal_id, kind, status, note, created_at, outcome_reason, name, paused,
    action, reason, decided_name, decided_by, decided_at,
    post_id, post_status, thread_id, position, body_html, edited_at, title, active,
    *, moderator_id: int, now: datetime,
) -> AppealItem:  # fmt: skip
    found = post_id is not None  # the post left joined: None once it is gone
    shown = found and post_status != PostStatus.deleted
    return AppealItem(
        id=appeal_id,
        kind=kind,
        status=status,
        note=note,
        created_at=created_at,
        waited=timewords.waited(created_at, now),
        author_name=name,
        author_paused_until=paused if paused and paused > now else None,
        post_id=post_id,
        post_status=post_status if found else PostStatus.deleted,
        thread_id=thread_id,
        thread_title=title or "",
        page_cursor=reading.page_start_for(position) if found else None,
        body_html=body_html if shown else "",
        decision=moderation_actions.LOGGED.get(action, action),
        decision_reason=reason,
        decided_by=decided_name or "A former moderator",
        decided_at=decided_at,
        why_not=appeals_service.same_moderator_rule(
            decided_by=decided_by, moderator_id=moderator_id, active=active
        ),
        outcome_reason=outcome_reason,
        edited_after=bool(shown and edited_at and edited_at > decided_at),
    )
