"""The baseline's two writes, as the app does them: same checks, same rows, one transaction, 303.

The success path is the app's, statement for statement in effect; a refusal (CSRF, sign-in, bad
input, a locked thread) gets the app's status with a bare body, since no benchmark measures those.
Rate limits are not kept: the benchmark runs both with PEERBEARING_RATE_LIMITS_ENABLED=false.
"""

import hmac
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from app.config import get_settings
from app.security import csrf_for
from app.services import content_notes, crisis_check, text
from app.services.posting import NOTE_MAX
from bench import baseline_pages as pages
from bench.baseline_db import Database
from bench.baseline_render import SECURITY_HEADERS, path_for
from bench.baseline_thread import page_start_for

SAME_SITE_FETCHES = frozenset({"same-origin", "same-site", "none"})
KINDS = {"hug", "strength", "thanks", "metoo", "celebrate"}
# One statement per kind, the column named from this fixed set (never from the request).
RECOUNT = {
    kind: f"UPDATE post SET {kind}_count = (SELECT count(*) FROM reaction WHERE post_id = ? AND kind = ?) "  # noqa: S608
    "WHERE id = ?"
    for kind in KINDS
}
BUMP = """
UPDATE thread SET reply_count = reply_count + 1, last_activity_at = ?
WHERE id = ? AND locked = ? RETURNING reply_count
"""
POST_SQLITE = "SELECT status, thread_id, position FROM post WHERE id = ?"
POST_LOCKED = POST_SQLITE + " FOR UPDATE"
NEW_POST = """
INSERT INTO post (thread_id, author_id, position, body_source, body_html, sanitizer_version, content_note,
  content_note_kinds, created_at, edited_at, status, anonymous, moderation_reason,
  hug_count, strength_count, thanks_count, metoo_count, celebrate_count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'visible', ?, '', 0, 0, 0, 0, 0) RETURNING id
"""
# Who hears of the reply (app.services.notices.new_reply): the thread's other writers who want it.
RECIPIENTS = """
SELECT u.id FROM "user" u
WHERE u.id IN (SELECT p.author_id FROM post p WHERE p.thread_id = ? AND p.position >= 0
    AND p.status NOT IN ('deleted', 'moderators_only') AND p.author_id IS NOT NULL)
  AND u.id != ? AND NOT (',' || u.notices_off || ',') LIKE ?
  AND NOT EXISTS (SELECT 1 FROM mute m WHERE m.muter_id = u.id AND m.muted_id = ? AND m.as_member = ?)
"""
NOTICE = """
INSERT INTO notice (user_id, kind, count, thread_id, post_id, outcome, reason, group_key, unread, created_at)
VALUES (?, 'reply', ?, ?, ?, '', '', ?, ?, ?)
"""


class Refused(Exception):
    def __init__(self, status: int, headers: list | None = None):
        self.status, self.headers = status, headers or []


def refusal_headers() -> list[tuple[bytes, bytes]]:
    extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    if not get_settings().allow_indexing:
        extra.append((b"x-robots-tag", b"noindex, nofollow"))
    return [*extra, (b"cache-control", b"no-store")]


def _from_elsewhere(headers: dict[bytes, bytes]) -> bool:
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.decode("latin-1").strip().lower() not in SAME_SITE_FETCHES
    origin = headers.get(b"origin")
    if origin is None:
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(origin.decode("latin-1").strip()).netloc.lower() != host


def _form(body: bytes) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(name, []).append(text.without_controls(value))
    return form


def _member(db: Database, headers, cookies, form, now: datetime, path: str) -> pages.Who:
    """app.deps: identify, require_csrf, current_user and the standing check, in the app's order."""
    who = pages.identify(db, cookies, now)
    given = headers.get(b"x-csrf-token", b"").decode("latin-1") or (form.get("csrf_token") or [""])[0]
    if _from_elsewhere(headers) or not (given and hmac.compare_digest(csrf_for(who.binding), given)):
        raise Refused(403)
    if who.viewer is None:
        back = path_for("accounts:login", query={"next": _referer_path(headers) or path})
        raise Refused(303, [(b"location", back.encode())])
    until = who.viewer.suspended_until
    if until is not None and until > now:
        raise Refused(403)
    return who


def _referer_path(headers) -> str:
    referer = (headers.get(b"hx-current-url") or headers.get(b"referer") or b"").decode("latin-1")
    parts = urlsplit(referer)
    if not parts.path:
        return ""
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    ok = back.startswith("/") and not back.startswith("//") and "\\" not in back
    return back if ok else "/"


def _post_path(thread_id: int, post_id: int, position: int) -> str:
    after = page_start_for(position, get_settings().page_size)
    return path_for("threads:show", thread_id=thread_id, anchor=f"p{post_id}", query={"after": after})


def reply(db: Database, thread_id: int, who: pages.Who, form, now: datetime) -> str:
    one = {k: v[0] for k, v in form.items()}
    body, note, confirm = one.get("body", ""), one.get("content_note", ""), one.get("confirm", "")
    if confirm and confirm not in crisis_check.CONFIRMS:
        raise Refused(422)
    if not confirm and crisis_check.suggests_danger("", body):
        raise Refused(200)  # the app's gentle check answers the form back; not measured here
    if confirm == crisis_check.MODERATORS:
        raise Refused(400)  # sent only to the moderators: not one of the benchmark's writes
    body = body.replace("\r\n", "\n").strip()
    note = " ".join(note.split())
    errors: dict[str, str] = {}
    kinds = content_notes.clean_kinds(form.get("content_note_kind", []), note, errors)
    if not body or len(body) > text.MAX_BODY or len(note) > NOTE_MAX or errors:
        raise Refused(422)
    body_html = text.render_markdown(body)  # before the lock: nothing else waits on it
    anonymous = one.get("anonymous") == "on"
    db.begin(write=True)
    try:
        found = db.row("SELECT status FROM thread WHERE id = ?", (thread_id,))
        if found is None or found[0] != "visible":
            raise Refused(404)
        position = db.row(BUMP, (db.stamp(now), thread_id, False))
        if position is None:
            raise Refused(409)
        position = position[0]
        author = who.viewer.id
        values = (thread_id, author, position, body, body_html, text.SANITIZER_VERSION, note, kinds)
        post_id = db.row(NEW_POST, (*values, db.stamp(now), anonymous))[0]
        _notify(db, thread_id, post_id, author, anonymous, now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return _post_path(thread_id, post_id, position)


def _notify(db: Database, thread_id: int, post_id: int, author: int, anonymous: bool, now: datetime) -> None:
    """app.services.notices._write: a still-unread grouped notice is replaced by one counting one more."""
    recipients = [r[0] for r in db.rows(RECIPIENTS, (thread_id, author, "%,reply,%", author, anonymous))]
    if not recipients:
        return
    group = f"reply:{thread_id}"
    marks = ", ".join("?" * len(recipients))  # placeholders only: the ids are bound
    gone = db.rows(
        f"DELETE FROM notice WHERE user_id IN ({marks}) AND group_key = ? AND unread = ? "  # noqa: S608
        "RETURNING user_id, count, post_id",
        (*recipients, group, True),
    )
    before = {uid: (count, first) for uid, count, first in gone}
    stamp = db.stamp(now)
    for uid in recipients:
        count, first = before.get(uid, (0, post_id))
        db.run(NOTICE, (uid, count + 1, thread_id, first, group, True, stamp))
    fresh = [uid for uid in recipients if uid not in before]
    if fresh:
        marks = ", ".join("?" * len(fresh))
        db.run(f'UPDATE "user" SET notices_unread = notices_unread + 1 WHERE id IN ({marks})', fresh)  # noqa: S608


def react(db: Database, post_id: int, kind: str, who: pages.Who, form, now: datetime) -> str:
    if kind not in KINDS:
        raise Refused(422)
    want = (form.get("want") or [""])[0]
    user = who.viewer.id
    db.begin(write=True)
    try:
        # The post row is locked first (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
        found = db.row(POST_SQLITE if db.sqlite else POST_LOCKED, (post_id,))
        if found is None:
            raise Refused(404)
        if found[0] != "visible":
            raise Refused(409)
        turn_on = {"on": True, "off": False}.get(want)
        if turn_on is None:
            turn_on = (
                db.row(
                    "SELECT 1 FROM reaction WHERE post_id = ? AND user_id = ? AND kind = ?",
                    (post_id, user, kind),
                )
                is None
            )
        if turn_on:
            db.run(
                "INSERT INTO reaction (post_id, user_id, kind, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (post_id, user_id, kind) DO NOTHING",
                (post_id, user, kind, db.stamp(now)),
            )
        else:
            db.run(
                "DELETE FROM reaction WHERE post_id = ? AND user_id = ? AND kind = ?", (post_id, user, kind)
            )
        db.run(RECOUNT[kind], (post_id, kind, post_id))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return _post_path(found[1], post_id, found[2])


def answer(db: Database, route: tuple, headers, cookies, body: bytes, now: datetime):
    """(status, headers) for a POST: 303 to the post's place in its thread, or the refusal.

    `route` is ("reply", thread_id, path) or ("react", post_id, kind, path)."""
    form = _form(body)
    try:
        who = _member(db, headers, cookies, form, now, route[-1])
        if route[0] == "reply":
            target = reply(db, route[1], who, form, now)
        else:
            target = react(db, route[1], route[2], who, form, now)
    except Refused as refused:
        return refused.status, [*refused.headers, *refusal_headers()]
    return 303, [(b"location", target.encode()), *refusal_headers()]
