"""The baseline's reader and thread lists: who is asking, the front and category pages.

The context has the shapes the app's services hand the same templates (app/services/reading.py),
built from plain rows; the rules (bylines, content notes, edit and mute offers) are the app's, line
for line, so the bytes are the same.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.config import get_settings
from app.models.user import ANONYMOUS_NAME, FORMER_MEMBER, MODERATOR_ROLES
from app.security import csrf_for, new_token, token_hash
from app.services.content_notes import CHOICES, DEFAULT, KINDS, Note, decide

# The app's own view objects: the templates read the same things from both servers.
from app.services.reading import Byline, ListedCategory, ListedThread, ThreadPage
from bench.baseline_db import Database

EPOCH_MICROS = timedelta(microseconds=1)


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
class CategoryView:
    slug: str
    name: str
    description: str = ""
    id: int = 0


LIST_COLUMNS = """
SELECT t.id, t.title, t.pinned, t.locked, t.reply_count, t.last_activity_at, t.anonymous,
  t.content_note_kinds, u.pseudonym, c.slug, c.name
FROM thread t JOIN category c ON c.id = t.category_id LEFT JOIN "user" u ON u.id = t.author_id
WHERE t.status = 'visible'"""
NOT_MUTED = """ AND NOT EXISTS (SELECT 1 FROM mute m
  WHERE m.muter_id = ? AND m.muted_id = t.author_id AND m.as_member = t.anonymous)"""
# A row value, so both engines seek the (last_activity_at, id) index to the cursor: the app's
# OR of the two comparisons reads the same rows, but SQLite scans the index from the top to them.
BEFORE = " AND (t.last_activity_at, t.id) < (?, ?)"
NEWEST = " ORDER BY t.last_activity_at DESC, t.id DESC"


def _decode_cursor(cursor: str | None):
    try:
        micros, thread_id = cursor.split(".")
        return datetime(1970, 1, 1, tzinfo=UTC) + int(micros) * EPOCH_MICROS, int(thread_id)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


def _encode_cursor(thread: ListedThread) -> str:
    micros = (thread.last_activity_at - datetime(1970, 1, 1, tzinfo=UTC)) // EPOCH_MICROS
    return f"{micros}.{thread.id}"


def _threads(db: Database, rows, choices) -> tuple[list[ListedThread], dict[int, Byline], dict[int, Note]]:
    threads, bylines, notes = [], {}, {}
    for tid, title, pinned, locked, replies, last, anonymous, kinds, author, slug, cname in rows:
        when, category = db.when(last), ListedCategory(slug, cname)
        threads.append(
            ListedThread(tid, title, pinned, locked, replies, when, anonymous, kinds, author, category)
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
        args += [db.stamp(at), tid]
    sql += NEWEST + f" LIMIT {int(size) + 1}"
    threads, bylines, notes = _threads(db, db.rows(sql, args), choices_of(who))
    next_cursor = _encode_cursor(threads[size - 1]) if len(threads) > size else None
    return ThreadPage(threads[:size], next_cursor, bylines, notes)


def front(db: Database, who: Who, query: dict[str, str], fragment: bool) -> tuple[str, dict]:
    page = thread_list(db, who, before=query.get("before"))
    ctx = {"page": page, "list_route": "pages:front", "list_params": {}}
    if fragment:
        return "partials/thread_list.html", ctx
    categories = [
        ListedCategory(s, n) for s, n in db.rows("SELECT slug, name FROM category ORDER BY position")
    ]
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
