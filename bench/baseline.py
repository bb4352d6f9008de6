"""The honest baseline (issue 15): the forum's pages from a raw ASGI app, no framework, no ORM.

    python -m uvicorn bench.baseline:app --host 127.0.0.1 --port P --workers W \
        --no-access-log --no-server-header --no-proxy-headers --forwarded-allow-ips 127.0.0.1

(the uvicorn options `peerbearing serve` runs with, app/cli.py `_serve`; loop and http left at auto).

Configured by the app's own environment (DATABASE_URL, PEERBEARING_SECRET_KEY, ...). It reads the
same database with hand-written SQL (sqlean's sqlite3, or psycopg) and renders the project's own
templates, so each page is the app's, byte for byte (tests/test_bench_baseline.py holds it).
Pages: /, /c/<slug>, /t/<id>, /mod; writes: POST /t/<id>/reply, POST /p/<id>/react/<kind>.
Anything else is a bare 404: the baseline is the ceiling for these requests, not a second app.
"""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from app.config import get_settings
from bench import baseline_mod as mod
from bench import baseline_pages as pages
from bench import baseline_thread as threads
from bench import baseline_writes as writes
from bench.baseline_db import Database
from bench.baseline_render import page_headers, path_for, template

MAX_BODY_BYTES = 256 * 1024  # app.main.MAX_BODY_BYTES
THREAD = re.compile(r"/t/(\d{1,9})")
CATEGORY = re.compile(r"/c/([^/]+)")
REPLY = re.compile(r"/t/(\d{1,9})/reply")
REACT = re.compile(r"/p/(\d{1,9})/react/([^/]+)")


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    found = {}
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, eq, value = part.strip().partition("=")
        if eq:
            found.setdefault(name, value)
    return found


class Baseline:
    def __init__(self, url: str | None = None):
        self.url = url
        self.db: Database | None = None
        self.headers: list[tuple[bytes, bytes]] | None = None

    def _open(self) -> Database:
        # Opened in the serving process (after uvicorn forks its workers), once.
        self.db = Database(self.url or get_settings().database_url)
        self.headers = page_headers()
        return self.db

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        db = self.db or self._open()
        headers = dict(scope["headers"])
        cookies = _cookies(headers)
        path, method = scope["path"], scope["method"]
        raw_query = scope["query_string"].decode("latin-1")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        now = datetime.now(UTC)
        if method == "POST":
            length = headers.get(b"content-length", b"")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:  # the app's guard, before reading
                await self._send(send, 413, b"", writes.refusal_headers())
                return
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            if m := REPLY.fullmatch(path):
                route = ("reply", int(m[1]), path)
            elif m := REACT.fullmatch(path):
                route = ("react", int(m[1]), m[2], path)
            else:
                await self._send(send, 404, b"Not Found", [(b"content-type", b"text/plain; charset=utf-8")])
                return
            status, extra = writes.answer(db, route, headers, cookies, body, now)
            await self._send(send, status, b"", extra)
            return
        db.begin()
        try:
            who = pages.identify(db, cookies, now)
            name, ctx = self._page(db, who, path, query, headers, now)
            db.commit()
        except pages.NotFound:
            db.rollback()
            await self._send(send, 404, b"Not Found", [(b"content-type", b"text/plain; charset=utf-8")])
            return
        except BaseException:
            db.rollback()
            raise
        ctx = {
            "viewer": who.viewer,
            "csrf_token": who.csrf,
            "open_reports": who.open_reports,
            "talk_unread": who.talk_unread,
            "notices_unread": who.notices_unread,
            "path_for": path_for,
            "current_path": path + (f"?{raw_query}" if raw_query else ""),
            "now": now,
            **ctx,
        }
        body = template(name).render(ctx).encode()
        extra = [(b"content-type", b"text/html; charset=utf-8"), *self.headers]
        if who.new_visitor:
            secure = "; secure" if get_settings().secure_cookies else ""
            cookie = f"pb_visitor={who.new_visitor}; HttpOnly; Path=/; SameSite=lax{secure}"
            extra.append((b"set-cookie", cookie.encode()))
        await self._send(send, 200, body, extra)

    def _page(self, db, who, path, query, headers, now):
        fragment = (
            headers.get(b"hx-request") == b"true"
            and headers.get(b"hx-boosted") != b"true"
            and headers.get(b"hx-history-restore-request") != b"true"
        )
        if path == "/":
            return pages.front(db, who, query, fragment)
        if m := THREAD.fullmatch(path):
            thread, page = threads.thread_page(db, who, int(m[1]), query, now)
            name = "partials/post_list.html" if fragment else "pages/thread.html"
            return name, {"thread": thread, "page": page}
        if path == "/mod":
            return mod.queue(db, who, query, now)
        if m := CATEGORY.fullmatch(path):
            return pages.category(db, who, m[1], query, fragment)
        raise pages.NotFound

    async def _send(self, send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


app = Baseline()
