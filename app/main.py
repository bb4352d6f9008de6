"""create_app(): settings, middleware, routers, error handlers, static files."""

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.responses import Response

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
    server_error_handler,
    storage_error_handler,
    unreadable_request_handler,
)

MAX_BODY_BYTES = 256 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def guard(request: Request, call_next) -> Response:
    """Size limit, a calm page for any crash, and the headers every answer carries."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        response = await error_page(request, 413)
    else:
        try:
            response = await call_next(request)
        except Exception as exc:  # noqa: BLE001 - answered here, so it gets the headers below too
            response = await server_error_handler(request, exc)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not get_settings().allow_indexing:
        # Members' words stay out of search engines unless the operator opts in.
        response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    if request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        # Pages may show who is signed in: never stored by shared caches or devices.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


ROUTERS = (
    pages,
    accounts,
    milestones,
    reader_settings,
    threads,
    reactions,
    reports,
    moderation,
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

    # Inside guard, which refuses a declared Content-Length over the limit: a body sent without one
    # (chunked) is counted as it is read, and past the limit the read raises a 413 answered calmly.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES)
    app.add_middleware(HeadLimit)
    app.middleware("http")(guard)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, unreadable_request_handler)
    for failure in STORAGE_FAILURES:  # a database away, read-only or full: 503 with the words kept
        app.add_exception_handler(failure, storage_error_handler)
    app.add_exception_handler(Exception, server_error_handler)
    return app
