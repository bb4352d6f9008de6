"""What moderators read: open reports grouped by post, urgent first, then oldest (a read model)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.models import (
    FORMER_MEMBER,
    Appeal,
    AppealStatus,
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
    return session.scalar(
        select(func.count(func.distinct(Report.post_id))).where(Report.status == ReportStatus.open)
    )


def queue(
    session: Session,
    *,
    now: datetime | None = None,
    size: int | None = None,
    page: int = 1,
    moderator_id: int | None = None,
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
    now = now or utcnow()
    groups = _groups(session, post_ids[:size], now)
    next_cursor = page + 1 if len(post_ids) > size else None
    # Appeals sit on the first page, after the urgent groups; `moderator_id` decides who may answer.
    waiting = appeals(session, moderator_id=moderator_id or 0, now=now) if page <= 1 else []
    return QueuePage(groups, page, skipped + 1, next_cursor=next_cursor, appeals=waiting)


def group_for_report(session: Session, report_id: int) -> ReportGroup:
    """The group a report belongs to (its open reports; none if it was handled)."""
    post_id = session.scalar(select(Report.post_id).where(Report.id == report_id))
    if post_id is None:
        raise NotFound("That report does not exist.")
    return _groups(session, [post_id], utcnow())[0]


def _groups(session: Session, post_ids: list[int], now: datetime) -> list[ReportGroup]:
    """Five queries whatever the number of posts: posts, open reports, authors' removals, mutes, claims."""
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
            # Written into the SQL, not bound: SQLite uses a partial index only when its WHERE is matched.
            .where(
                Post.author_id.in_(author_ids),
                Post.status == literal(PostStatus.removed, literal_execute=True),
            )
            .group_by(Post.author_id)
        ).all()
    )
    # Only urgent groups can be claimed: a queue without one sends no claims query at all.
    held = claims.held_on(session, [i for i in post_ids if any(r.reason == AT_RISK for r in reports[i])])
    several = muting.muted_by_several(session, author_ids=author_ids)
    return [
        _group(
            posts[i],
            reports[i],
            removed.get(posts[i].author_id, 0),
            now,
            claim=held.get(i),
            muted=posts[i].author_id in several,
        )
        for i in post_ids
    ]


def _line(report: Report, now: datetime) -> ReportLine:
    reporter = report.reporter
    new = reporting.min_account_age()
    age = timewords.member_for(reporter.created_at, now=now, new=new) if reporter else ""
    return ReportLine(
        id=report.id,
        reason=report.reason,
        label=LABELS.get(report.reason, report.reason),
        note=report.note,
        reporter_name=report.reporter.pseudonym if report.reporter else FORMER_MEMBER,
        created_at=report.created_at,
        reporter_age=age,
        snapshot=report.snapshot,
        snapshot_erased=report.snapshot_erased,
    )


def _group(
    post: Post,
    reports: list[Report],
    removed: int,
    now: datetime,
    *,
    claim: claims.ClaimView | None,
    muted: bool,
) -> ReportGroup:
    lines = tuple(_line(r, now) for r in reports)
    author = post.author
    since = lines[0].created_at if lines else None
    return ReportGroup(
        post_id=post.id,
        post_status=post.status,
        page_cursor=reading.page_start_for(post.position),
        body_source=post.body_source,
        body_html=post.body_html,
        # The kinds' words and the author's own ("relapse, grief: my words"), as readers meet them folded.
        content_note=content_notes.words_of(
            content_notes.kinds_of(post.content_note_kinds), post.content_note
        ),
        thread_id=post.thread_id,
        thread_title=post.thread.title,
        author_name=author.pseudonym if author else FORMER_MEMBER,
        posted_as_member=post.anonymous,
        author_removed=removed,
        author_suspended_until=author.suspended_until if author and author.is_suspended(now) else None,
        author_muted_by_several=muted,
        reports=lines,
        urgent=any(line.reason == AT_RISK for line in lines),
        waiting_since=since,
        waited=timewords.waited(since, now) if since else "",
        claim=claim if lines else None,
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


def _appeal_rows(session: Session, *where):
    return session.execute(
        select(Appeal, ModAction, Post, Thread.title, User.pseudonym, User.suspended_until)
        .join(ModAction, ModAction.id == Appeal.mod_action_id)
        .join(User, User.id == Appeal.author_id)
        .outerjoin(Post, Post.id == Appeal.post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .where(*where)
        .order_by(Appeal.created_at, Appeal.id)
    ).all()


def appeals(session: Session, *, moderator_id: int, now: datetime | None = None) -> list[AppealItem]:
    """Open appeals, oldest first: two queries whatever their number (none open: one)."""
    now = now or utcnow()
    rows = _appeal_rows(session, Appeal.status == AppealStatus.open)
    return _appeal_items(session, rows, moderator_id, now)


def appeal_item(session: Session, appeal_id: int, moderator_id: int) -> AppealItem:
    """One appeal, open or decided (what HTMX swaps in after a decision, or an error)."""
    rows = _appeal_rows(session, Appeal.id == appeal_id)
    if not rows:
        raise NotFound("That appeal does not exist.")
    return _appeal_items(session, rows, moderator_id, utcnow())[0]


def _appeal_items(session: Session, rows, moderator_id: int, now: datetime) -> list[AppealItem]:
    if not rows:
        return []
    active = appeals_service.active_moderators(session, now=now)
    return [_appeal(*row, moderator_id=moderator_id, active=active, now=now) for row in rows]


def _appeal(
    appeal: Appeal, action: ModAction, post, title, name, paused, *, moderator_id: int, active: int, now
) -> AppealItem:
    shown = post is not None and post.status != PostStatus.deleted
    return AppealItem(
        id=appeal.id,
        kind=appeal.kind,
        status=appeal.status,
        note=appeal.note,
        created_at=appeal.created_at,
        waited=timewords.waited(appeal.created_at, now),
        author_name=name,
        author_paused_until=paused if paused and paused > now else None,
        post_id=post.id if post else None,
        post_status=post.status if post else PostStatus.deleted,
        thread_id=post.thread_id if post else None,
        thread_title=title or "",
        page_cursor=reading.page_start_for(post.position) if post else None,
        body_html=post.body_html if shown else "",
        decision=moderation_actions.LOGGED.get(action.action, action.action),
        decision_reason=action.reason,
        decided_by=action.moderator_name or "A former moderator",
        decided_at=action.created_at,
        why_not=appeals_service.same_moderator_rule(
            decided_by=action.moderator_id, moderator_id=moderator_id, active=active
        ),
        outcome_reason=appeal.outcome_reason,
        edited_after=bool(shown and post.edited_at and post.edited_at > action.created_at),
    )
