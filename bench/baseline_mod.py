"""The baseline's /mod: open reports grouped by post (urgent first, then oldest), and open appeals.

Three queries after the reader's (which carries the open count): the page of groups with each
post, thread, author, their removals, whether several muted them and any claim; the groups' open
reports with their reporters; and the open appeals with the count of active moderators.
The rows become app.services.moderation_queue's own view objects, read by the same templates.
"""

from datetime import datetime, timedelta

from app.config import get_settings
from app.models import FORMER_MEMBER
from app.services import claims, timewords
from app.services.claims import ClaimView
from app.services.content_notes import kinds_of, words_of
from app.services.moderation_queue import AppealItem, QueuePage, ReportGroup, ReportLine, appeal_from_row
from app.services.reporting import AT_RISK, LABELS
from bench.baseline_db import Database
from bench.baseline_pages import NotFound, Who
from bench.baseline_thread import page_start_for

QUEUE_SIZE = 50  # app.services.moderation_queue.QUEUE_SIZE
SEVERAL = 5  # app.services.muting.SEVERAL


GROUPS = """
SELECT g.post_id, g.urgent, p.status, p.position, p.body_source, p.body_html, p.content_note,
  p.content_note_kinds, p.thread_id, p.anonymous, p.author_id, t.title, u.pseudonym, u.suspended_until,
  (SELECT count(*) FROM post r WHERE r.author_id = p.author_id AND r.status = 'removed'),
  (SELECT count(DISTINCT m.muter_id) FROM mute m WHERE m.muted_id = p.author_id) >= ?,
  c.moderator_id, c.level, c.created_at, cu.pseudonym
FROM (SELECT post_id, max(CASE WHEN reason = 'at_risk' THEN 1 ELSE 0 END) AS urgent,
        min(created_at) AS oldest
      FROM report WHERE status = 'open' GROUP BY post_id
      ORDER BY urgent DESC, oldest ASC, post_id LIMIT {rows} OFFSET ?) g
JOIN post p ON p.id = g.post_id JOIN thread t ON t.id = p.thread_id
LEFT JOIN "user" u ON u.id = p.author_id
LEFT JOIN claim c ON c.post_id = p.id AND g.urgent = 1 LEFT JOIN "user" cu ON cu.id = c.moderator_id
ORDER BY g.urgent DESC, g.oldest ASC, g.post_id
"""
REPORTS = """
SELECT r.id, r.post_id, r.reason, r.note, r.snapshot, r.snapshot_erased, r.created_at,
  u.pseudonym, u.created_at
FROM report r LEFT JOIN "user" u ON u.id = r.reporter_id
WHERE r.status = 'open' AND r.post_id IN ({})
ORDER BY r.created_at, r.id
"""
APPEALS = """
SELECT a.id, a.kind, a.status, a.note, a.created_at, a.outcome_reason, u.pseudonym, u.suspended_until,
  m.action, m.reason, m.moderator_name, m.moderator_id, m.created_at,
  p.id, p.status, p.thread_id, p.position, p.body_html, p.edited_at, t.title,
  (SELECT count(*) FROM "user" x WHERE x.role IN ('moderator', 'admin')
    AND (x.suspended_until IS NULL OR x.suspended_until <= ?))
FROM appeal a JOIN mod_action m ON m.id = a.mod_action_id JOIN "user" u ON u.id = a.author_id
LEFT JOIN post p ON p.id = a.post_id LEFT JOIN thread t ON t.id = p.thread_id
WHERE a.status = 'open' ORDER BY a.created_at, a.id
"""


def queue(db: Database, who: Who, query: dict[str, str], now: datetime) -> tuple[str, dict]:
    if who.viewer is None or not who.viewer.is_moderator:
        raise NotFound  # the app answers a sign-in redirect or 403: not a benchmarked page
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        raise NotFound from None
    if not 1 <= page <= 2**31 - 1:
        raise NotFound
    size = QUEUE_SIZE
    skipped = (page - 1) * size
    psize = get_settings().page_size
    rows = db.rows(GROUPS.format(rows=int(size) + 1), (SEVERAL, skipped))
    next_cursor = page + 1 if len(rows) > size else None
    rows = rows[:size]
    lines: dict[int, list[ReportLine]] = {r[0]: [] for r in rows}
    if rows:
        new = timedelta(hours=get_settings().report_hide_min_account_age_hours)
        marks = ", ".join("?" * len(rows))  # placeholders only: the ids are bound
        for rid, post_id, reason, note, snapshot, erased, created, name, joined in db.rows(
            REPORTS.format(marks), list(lines)
        ):
            age = timewords.member_for(db.when(joined), now=now, new=new) if joined is not None else ""
            lines[post_id].append(
                ReportLine(
                    rid,
                    reason,
                    LABELS.get(reason, reason),
                    note,
                    name or FORMER_MEMBER,
                    db.when(created),
                    age,
                    snapshot,
                    bool(erased),
                )
            )
    guidance = {c.value: c.guidance for c in claims.levels()}
    groups = []
    for r in rows:
        post_id, urgent, status, position, source, html, note, kinds, thread_id, anonymous = r[:10]
        author_id, title, author, until, removed, several, holder_id, level, since, holder = r[10:]
        own = tuple(lines[post_id])
        until = db.when(until)
        claim = None
        if holder is not None and own:
            claim = ClaimView(
                post_id, holder_id, holder, level, claims.LABELS[level], guidance[level], db.when(since)
            )
        first = own[0].created_at if own else None
        groups.append(
            ReportGroup(
                post_id=post_id,
                post_status=status,
                page_cursor=page_start_for(position, psize),
                body_source=source,
                body_html=html,
                content_note=words_of(kinds_of(kinds), note),
                thread_id=thread_id,
                thread_title=title,
                author_name=author if author_id is not None else FORMER_MEMBER,
                posted_as_member=bool(anonymous),
                author_removed=removed,
                author_suspended_until=until if author_id is not None and until and until > now else None,
                author_muted_by_several=bool(several),
                reports=own,
                urgent=any(line.reason == AT_RISK for line in own),
                waiting_since=first,
                waited=timewords.waited(first, now) if first else "",
                claim=claim,
            )
        )
    appeals = _appeals(db, who.viewer.id, now) if page <= 1 else []
    return "pages/mod_queue.html", {"queue": QueuePage(groups, page, skipped + 1, next_cursor, appeals)}


def _appeals(db: Database, moderator_id: int, now: datetime) -> list[AppealItem]:
    items = []
    for row in db.rows(APPEALS, (db.stamp(now),)):
        # The app's own columns in its order; only SQLite's text times are turned into datetimes here.
        times = {4, 7, 12, 18}  # created_at, paused until, decided_at, edited_at
        values = [db.when(v) if i in times else v for i, v in enumerate(row)]
        items.append(appeal_from_row(*values, moderator_id=moderator_id, now=now))
    return items
