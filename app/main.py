"""create_app(): settings, middleware, routers, error handlers, static files; serving_app() for serve."""

import gc

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.browser_policy import SECURITY_HEADERS
from app.config import PROJECT_ROOT, get_settings
from app.db import STORAGE_FAILURES
from app.deps import identify
from app.errors import DomainError
from app.limits import HeadLimit
from app.routes import (
    accounts,
    appeals,
    milestones,
    moderation,
    muting,
    notices,
    pages,
    reactions,
    reader_settings,
    reports,
    search,
    talk,
    threads,
)
from app.services import crisis_check, crisis_resources
from app.web import (
    FORM_LIMITS,
    domain_error_handler,
    error_page,
    http_error_handler,
    route_paths,
    server_error_handler,
    storage_error_handler,
    templates,
    unreadable_request_handler,
)

MAX_BODY_BYTES = 256 * 1024


class Guard:
    """Size limit, a calm page for any crash, and the headers every answer carries.

    A plain ASGI middleware: it only edits the response's start message, so a page streams through
    without the per-request task and memory stream of @app.middleware("http").
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            response = await error_page(Request(scope, receive), 413)
            await response(scope, receive, with_page_headers(scope, send))
            return
        body: list[bytes] = []
        started = False

        async def kept_receive() -> Message:
            # What the app read, kept so the crash page can show the words someone wrote.
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, kept_receive, with_page_headers(scope, send_started))
        except Exception as exc:
            if started:  # too late for another answer: the connection is cut, as without this
                raise
            request = Request(scope, replay(b"".join(body), receive))
            response = await server_error_handler(request, exc)
            await response(scope, receive, with_page_headers(scope, send))


def with_page_headers(scope: Scope, send: Send) -> Send:
    """send, with the security, indexing and caching headers added to whatever the app set."""
    static = scope["path"].startswith("/static/")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            if not get_settings().allow_indexing:
                # Members' words stay out of search engines unless the operator opts in.
                headers.setdefault("X-Robots-Tag", "noindex, nofollow")
            # Pages may show who is signed in: never stored by shared caches or devices.
            headers.setdefault("Cache-Control", "public, max-age=3600" if static else "no-store")
        await send(message)

    return sending


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read once, then whatever comes next."""
    given = False

    async def again() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


# Starlette tries routes in order, and FastAPI's included routers are walked twice a request (which
# router, then which route) at about 17k instructions a route: the busiest pages come first. No path
# is answered by two of these routers (tests/test_routing.py), so the order changes only the cost.
ROUTERS = (
    threads,  # the thread page, replies
    pages,  # the front and category pages
    reactions,
    moderation,
    accounts,
    milestones,
    reader_settings,
    reports,
    search,
    muting,
    talk,
    notices,
    appeals,
)


def create_app() -> FastAPI:
    settings = get_settings()
    settings.check()
    # Read once, before the first request: a missing or broken file stops the start, never a page.
    crisis_resources.current()
    crisis_check.current()
    app = FastAPI(
        title="Peer Bearing",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(identify)],
        form_limits=FORM_LIMITS,
    )

    # Inside Guard, which refuses a declared Content-Length over the limit: a body sent without one
    # (chunked) is counted as it is read, and past the limit the read raises a 413 answered calmly.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES)
    app.add_middleware(HeadLimit)
    app.add_middleware(Guard)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, unreadable_request_handler)
    for failure in STORAGE_FAILURES:  # a database away, read-only or full: 503 with the words kept
        app.add_exception_handler(failure, storage_error_handler)
    app.add_exception_handler(Exception, server_error_handler)
    app.state.route_paths = route_paths(app)
    # Compiled once per process unless asked (PEERBEARING_TEMPLATE_RELOAD): no freshness check per include.
    templates.env.auto_reload = settings.template_reload
    return app


def serving_app() -> FastAPI:
    """The app as `peerbearing serve` runs it, made once in each worker process.

    Every template is compiled now, not on its first request; then what start made (modules, routes,
    compiled templates: long-lived by nature) is frozen out of the garbage collector's sight. A full
    collection walked all of it: under load that was a 60-100 ms pause about once a second, the whole
    of the pages' p99. After the freeze it walks only what requests made.
    """
    app = create_app()
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)
    gc.collect()
    gc.freeze()
    return app
