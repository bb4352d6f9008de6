"""The baseline's read pages: who is asking, then each page's hand-written queries and its context.

The context has the shapes the app's services hand the same templates (app/services/reading.py),
built from plain rows; the rules (bylines, content notes, edit and mute offers) are the app's, line
for line, so the bytes are the same.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from app.config import get_settings
from app.models.user import ANONYMOUS_NAME, FORMER_MEMBER, MODERATOR_ROLES
from app.security import csrf_for, new_token, token_hash
from app.services.content_notes import CHOICES, DEFAULT, KINDS, NO_NOTE, Note, decide
from app.services.moderation_actions import APPEALABLE
from bench.baseline_db import Database

EPOCH_MICROS = timedelta(microseconds=1)
TOLD_AUTHOR = ("hidden_pending_review", "hidden", "removed")
EDITABLE_WHILE_HIDDEN = ("hidden_pending_review", "hidden")
REACTION_COUNTS = ("hug_count", "strength_count", "thanks_count", "metoo_count", "celebrate_count")


class NotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Viewer:
    id: int
    pseudonym: str
    role: str
    suspended_until: datetime | None

    @property
    def is_moderator(self) -> bool:
        return self.role in MODERATOR_ROLES


@dataclass(slots=True)
class Who:
    """The request's reader, as app.deps.identify leaves it on request.state."""

    viewer: Viewer | None
    csrf: str
    binding: str
    note_choices: str = ""
    notices_unread: int | None = None
    open_reports: int | None = None
    talk_unread: int | None = None
    new_visitor: str | None = None


# One query for any signed-in reader: the login, the user, and the header count of their kind.
IDENTIFY = """
SELECT u.id, u.pseudonym, u.role, u.suspended_until, u.notices_unread, u.note_choices,
  CASE WHEN u.role IN ('moderator', 'admin')
    THEN (SELECT count(DISTINCT r.post_id) FROM report r WHERE r.status = 'open') END,
  CASE WHEN u.role NOT IN ('moderator', 'admin')
    THEN (SELECT coalesce(sum(c.member_unread), 0) FROM conversation c WHERE c.member_id = u.id) END
FROM login_session l JOIN "user" u ON u.id = l.user_id
WHERE l.token_hash = ? AND l.expires_at > ?
"""


def identify(db: Database, cookies: dict[str, str], now: datetime) -> Who:
    token = cookies.get("pb_session")
    if token:
        hashed = token_hash(token)
        found = db.row(IDENTIFY, (hashed, db.stamp(now)))
        if found:
            uid, name, role, until, unread, choices, reports, talk = found
            binding = f"s:{hashed}"
            viewer = Viewer(uid, name, role, db.when(until))
            return Who(viewer, csrf_for(binding), binding, choices or "", unread, reports, talk and int(talk))
    visitor = cookies.get("pb_visitor")
    new = None
    if not visitor or len(visitor) > 64:
        visitor = new = new_token()
    binding = f"v:{visitor}"
    return Who(None, csrf_for(binding), binding, new_visitor=new)


def choices_of(who: Who) -> dict[str, str]:
    chosen: dict[str, str] = {}
    if who.viewer is not None:
        for pair in who.note_choices.split(","):
            kind, _, choice = pair.partition(":")
            if kind in KINDS and choice in CHOICES:
                chosen[kind] = choice
    return {k: chosen.get(k, DEFAULT) for k in KINDS}


# --- thread lists ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Byline:
    name: str
    as_member: bool = False
    days: str = ""


@dataclass(frozen=True, slots=True)
class CategoryView:
    slug: str
    name: str
    description: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class ThreadView:
    id: int
    title: str
    pinned: bool
    locked: bool
    reply_count: int
    last_activity_at: datetime
    category: CategoryView


@dataclass(slots=True)
class ThreadPage:
    threads: list[ThreadView]
    next_cursor: str | None
    bylines: dict[int, Byline] = field(default_factory=dict)
    notes: dict[int, Note] = field(default_factory=dict)


LIST_COLUMNS = """
SELECT t.id, t.title, t.pinned, t.locked, t.reply_count, t.last_activity_at, t.anonymous,
  t.content_note_kinds, u.pseudonym, c.slug, c.name
FROM thread t JOIN category c ON c.id = t.category_id LEFT JOIN "user" u ON u.id = t.author_id
WHERE t.status = 'visible'"""
NOT_MUTED = """ AND NOT EXISTS (SELECT 1 FROM mute m
  WHERE m.muter_id = ? AND m.muted_id = t.author_id AND m.as_member = t.anonymous)"""
BEFORE = " AND (t.last_activity_at < ? OR (t.last_activity_at = ? AND t.id < ?))"
NEWEST = " ORDER BY t.last_activity_at DESC, t.id DESC"


def _decode_cursor(cursor: str | None):
    try:
        micros, thread_id = cursor.split(".")
        return datetime(1970, 1, 1, tzinfo=UTC) + int(micros) * EPOCH_MICROS, int(thread_id)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


def _encode_cursor(thread: ThreadView) -> str:
    micros = (thread.last_activity_at - datetime(1970, 1, 1, tzinfo=UTC)) // EPOCH_MICROS
    return f"{micros}.{thread.id}"


def _threads(db: Database, rows, choices) -> tuple[list[ThreadView], dict[int, Byline], dict[int, Note]]:
    threads, bylines, notes = [], {}, {}
    for tid, title, pinned, locked, replies, last, anonymous, kinds, author, slug, cname in rows:
        threads.append(
            ThreadView(tid, title, pinned, locked, replies, db.when(last), CategoryView(slug, cname))
        )
        bylines[tid] = Byline(ANONYMOUS_NAME if anonymous else (author or FORMER_MEMBER))
        notes[tid] = decide(kinds, "", choices)
    return threads, bylines, notes


def thread_list(
    db: Database, who: Who, *, before: str | None, where: str = "", params: tuple = ()
) -> ThreadPage:
    size = get_settings().page_size
    sql, args = LIST_COLUMNS + where, list(params)
    if who.viewer is not None:
        sql += NOT_MUTED
        args.append(who.viewer.id)
    cursor = _decode_cursor(before)
    if cursor:
        at, tid = cursor
        sql += BEFORE
        args += [db.stamp(at), db.stamp(at), tid]
    sql += NEWEST + " LIMIT ?"
    args.append(size + 1)
    threads, bylines, notes = _threads(db, db.rows(sql, args), choices_of(who))
    next_cursor = _encode_cursor(threads[size - 1]) if len(threads) > size else None
    return ThreadPage(threads[:size], next_cursor, bylines, notes)


def front(db: Database, who: Who, query: dict[str, str], fragment: bool) -> tuple[str, dict]:
    page = thread_list(db, who, before=query.get("before"))
    ctx = {"page": page, "list_route": "pages:front", "list_params": {}}
    if fragment:
        return "partials/thread_list.html", ctx
    categories = [CategoryView(s, n) for s, n in db.rows("SELECT slug, name FROM category ORDER BY position")]
    return "pages/front.html", {**ctx, "categories": categories}


def category(db: Database, who: Who, slug: str, query: dict[str, str], fragment: bool) -> tuple[str, dict]:
    found = db.row("SELECT id, slug, name, description FROM category WHERE slug = ?", (slug,))
    if found is None:
        raise NotFound
    cat = CategoryView(found[1], found[2], found[3], found[0])
    before = query.get("before")
    page = thread_list(
        db, who, before=before, where=" AND t.category_id = ? AND t.pinned = ?", params=(cat.id, False)
    )
    ctx = {"page": page, "category": cat, "list_route": "pages:category", "list_params": {"slug": slug}}
    if fragment:
        return "partials/thread_list.html", ctx
    pinned, bylines, notes = [], {}, {}
    if not before:
        sql, args = LIST_COLUMNS + " AND t.category_id = ? AND t.pinned = ?", [cat.id, True]
        if who.viewer is not None:
            sql += NOT_MUTED
            args.append(who.viewer.id)
        pinned, bylines, notes = _threads(
            db, db.rows(sql + " ORDER BY t.last_activity_at DESC", args), choices_of(who)
        )
    ctx |= {"pinned": pinned, "pinned_bylines": bylines, "pinned_notes": notes}
    return "pages/category.html", ctx


# --- thread pages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadHead:
    id: int
    title: str
    locked: bool
    pinned: bool
    category: CategoryView


@dataclass(frozen=True, slots=True)
class PostView:
    id: int
    thread_id: int
    position: int
    author_id: int | None
    byline: Byline
    created_at: datetime
    edited_at: datetime | None
    status: str
    body_html: str
    content_note: str
    note: Note
    page_after: int | None
    moderation_reason: str
    hug_count: int
    strength_count: int
    thanks_count: int
    metoo_count: int
    celebrate_count: int
    muted: bool = False
    can_edit: bool = False
    can_mute: bool = False
    own_hidden: bool = False
    appeal: object = None


@dataclass(frozen=True, slots=True)
class PostAppeal:
    decision_id: int
    status: str | None
    outcome_reason: str


@dataclass(slots=True)
class PostPage:
    posts: list[PostView]
    next_cursor: int | None
    mine: dict[int, set[str]]
    title_note: Note = NO_NOTE


def page_start_for(position: int, size: int) -> int | None:
    start = (position // size) * size
    return start - 1 if start else None


# The thread, its category and (for a member) how far they read it: one query.
THREAD = """
SELECT t.id, t.title, t.locked, t.pinned, t.status, t.content_note_kinds, c.slug, c.name,
  (SELECT rm.position FROM read_marker rm WHERE rm.user_id = ? AND rm.thread_id = t.id)
FROM thread t JOIN category c ON c.id = t.category_id WHERE t.id = ?
"""
# One page of posts with their authors, and whether the reader muted each author in that shape.
POSTS = """
SELECT p.id, p.position, p.author_id, p.anonymous, p.created_at, p.edited_at, p.status, p.body_html,
  p.content_note, p.content_note_kinds, p.moderation_reason,
  p.hug_count, p.strength_count, p.thanks_count, p.metoo_count, p.celebrate_count,
  u.pseudonym, u.role, u.show_days, u.recovery_start,
  EXISTS (SELECT 1 FROM mute m
    WHERE m.muter_id = ? AND m.muted_id = p.author_id AND m.as_member = p.anonymous)
FROM post p LEFT JOIN "user" u ON u.id = p.author_id
WHERE p.thread_id = ? AND p.position > ? AND p.status != 'moderators_only'
ORDER BY p.position LIMIT ?
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
    rows = db.rows(POSTS, (rid, thread_id, after, size + 1))
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
