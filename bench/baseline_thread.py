"""The baseline's thread page: the thread, one page of posts as this reader may see them, and the
reader's own marks (what they pressed, decisions on their hidden posts, how far they read).

The rules are app.services.reading.as_seen_by's, line for line, over plain rows.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.config import get_settings
from app.models.user import ANONYMOUS_NAME, FORMER_MEMBER, MODERATOR_ROLES
from app.services.appeal_reads import PostAppeal
from app.services.content_notes import NO_NOTE, decide
from app.services.moderation_actions import APPEALABLE
from app.services.reading import PostPage, PostView
from bench.baseline_db import Database
from bench.baseline_pages import Byline, CategoryView, NotFound, Viewer, Who, choices_of

TOLD_AUTHOR = ("hidden_pending_review", "hidden", "removed")
EDITABLE_WHILE_HIDDEN = ("hidden_pending_review", "hidden")


@dataclass(frozen=True, slots=True)
class ThreadHead:
    id: int
    title: str
    locked: bool
    pinned: bool
    category: CategoryView


def page_start_for(position: int, size: int) -> int | None:
    start = (position // size) * size
    return start - 1 if start else None


# The thread, its category and (for a member) how far they read it: one query.
THREAD = """
SELECT t.id, t.title, t.locked, t.pinned, t.status, t.content_note_kinds, c.slug, c.name,
  (SELECT rm.position FROM read_marker rm WHERE rm.user_id = ? AND rm.thread_id = t.id)
FROM thread t JOIN category c ON c.id = t.category_id WHERE t.id = ?
"""
# One page of posts with their authors, and whether the reader muted each author in that shape. The
# LIMIT is written in, as the app does (app/db.py): SQLite plans a bound one again at every run.
POSTS = """
SELECT p.id, p.position, p.author_id, p.anonymous, p.created_at, p.edited_at, p.status, p.body_html,
  p.content_note, p.content_note_kinds, p.moderation_reason,
  p.hug_count, p.strength_count, p.thanks_count, p.metoo_count, p.celebrate_count,
  u.pseudonym, u.role, u.show_days, u.recovery_start,
  EXISTS (SELECT 1 FROM mute m
    WHERE m.muter_id = ? AND m.muted_id = p.author_id AND m.as_member = p.anonymous)
FROM post p LEFT JOIN "user" u ON u.id = p.author_id
WHERE p.thread_id = ? AND p.position > ? AND p.status != 'moderators_only'
ORDER BY p.position LIMIT {rows}
"""
# What the reader pressed on the page's posts: the page is a run of positions of one thread.
PRESSED = """
SELECT r.post_id, r.kind FROM reaction r JOIN post p ON p.id = r.post_id
WHERE r.user_id = ? AND p.thread_id = ? AND p.position BETWEEN ? AND ?
"""
# The latest decision counts: rows come oldest first and the last one per post stays.
DECIDED = """
SELECT m.post_id, m.id, a.status, a.outcome_reason FROM mod_action m
LEFT JOIN appeal a ON a.mod_action_id = m.id
WHERE m.post_id IN ({}) AND m.action IN ({}) ORDER BY m.id
"""
MARK = """
INSERT INTO read_marker (user_id, thread_id, position) VALUES (?, ?, ?)
ON CONFLICT (user_id, thread_id) DO UPDATE SET position = excluded.position
WHERE read_marker.position < excluded.position
"""


def _byline(reader: Viewer | None, author_id, anonymous, name, role, show_days, start, today: date) -> Byline:
    if not anonymous:
        if author_id is None:
            return Byline(FORMER_MEMBER)
        days = ""
        if show_days and start is not None:
            counted = max(0, (today - start).days)  # app.services.milestones: days_counted, days_words
            days = "1 day" if counted == 1 else f"{counted} days"
        return Byline(name, days=days)
    if author_id is not None and reader is not None and (reader.id == author_id or reader.is_moderator):
        return Byline(name, as_member=True)
    return Byline(ANONYMOUS_NAME)


def thread_page(
    db: Database, who: Who, thread_id: int, query: dict[str, str], now: datetime
) -> tuple[ThreadHead, PostPage]:
    reader = who.viewer
    rid = reader.id if reader else 0  # no user has id 0: a visitor's subqueries find nothing
    found = db.row(THREAD, (rid, thread_id))
    if found is None or found[4] != "visible":
        raise NotFound
    head = ThreadHead(found[0], found[1], found[2], found[3], CategoryView(found[6], found[7]))
    marker = found[8]
    after = query.get("after")
    if after is not None and not (after.isdigit() and int(after) <= 2**31 - 1):
        raise NotFound  # the app answers 422; no benchmark asks for it
    after = int(after) if after is not None else -1
    show = query.get("show", "")
    reveal = int(show[1:]) if show[:1] == "p" and show[1:].isdigit() and len(show) < 12 else None
    settings = get_settings()
    size = settings.page_size
    rows = db.rows(POSTS.format(rows=int(size) + 1), (rid, thread_id, after))
    next_cursor = rows[size - 1][1] if len(rows) > size else None
    rows = rows[:size]
    today = now.date()
    choices = choices_of(who)
    window = timedelta(minutes=settings.edit_window_minutes)
    posts, decided = [], []
    for r in rows:
        pid, position, author_id, anonymous, created, edited, status = r[:7]
        body_html, content_note, kinds, reason = r[7:11]
        name, role, show_days, start, muted = r[16:21]
        created = db.when(created)
        visible = status == "visible"
        note = decide(kinds, content_note, choices, reveal=pid == reveal) if visible else NO_NOTE
        shown = visible and note.choice != "hide"
        mine = reader is not None and reader.id == author_id
        own_hidden = status in TOLD_AUTHOR and mine
        can_edit = can_mute = False
        if reader is not None and (visible or (own_hidden and status in EDITABLE_WHILE_HIDDEN)):
            if mine:
                can_edit = status in EDITABLE_WHILE_HIDDEN or now < created + window
            else:
                named_moderator = not anonymous and author_id is not None and role in MODERATOR_ROLES
                can_mute = author_id is not None and not named_moderator
        posts.append(
            PostView(
                pid,
                thread_id,
                position,
                author_id,
                _byline(reader, author_id, anonymous, name, role, show_days, db.day(start), today),
                created,
                db.when(edited),
                status,
                body_html if shown else "",
                content_note if shown else "",
                note,
                page_start_for(position, size),
                reason if mine and status in ("hidden", "removed") else "",
                *r[11:16],
                muted=visible and bool(muted),
                can_edit=can_edit,
                can_mute=can_mute,
                own_hidden=own_hidden,
            )
        )
        if mine and status in ("hidden", "removed"):
            decided.append(len(posts) - 1)
    if decided:
        # The decision on each of the reader's own hidden or removed posts, and their appeal of it.
        found_appeals = {}
        ids = [posts[i].id for i in decided]
        sql = DECIDED.format(", ".join("?" * len(ids)), ", ".join("?" * len(APPEALABLE)))
        for post_id, action_id, appeal_status, outcome in db.rows(sql, [*ids, *APPEALABLE]):
            found_appeals[post_id] = PostAppeal(action_id, appeal_status, outcome or "")
        for i in decided:
            posts[i] = replace(posts[i], appeal=found_appeals.get(posts[i].id))
    pressed: dict[int, set[str]] = {p.id: set() for p in posts}
    if reader is not None and posts:
        span = (reader.id, thread_id, posts[0].position, posts[-1].position)
        for post_id, kind in db.rows(PRESSED, span):
            pressed[post_id].add(kind)
    opener_revealed = bool(posts) and posts[0].position == 0 and posts[0].id == reveal
    page = PostPage(posts, next_cursor, pressed, decide(found[5], "", choices, reveal=opener_revealed))
    last = posts[-1].position if posts and next_cursor is None else None
    if reader is not None and last is not None and (marker is None or marker < last):
        # The read marker moves forward in a short write of its own, after the page's reads.
        db.commit()
        db.begin(write=True)
        db.run(MARK, (reader.id, thread_id, last))
    return head, page
