"""The one HTMX-aware module: templates, page-or-fragment rendering, redirects, error pages."""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlalchemy.exc import SQLAlchemyError
from starlette.convertors import Convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from app.browser_policy import HTMX_CONFIG
from app.config import PROJECT_ROOT, get_settings
from app.db import storage_unavailable
from app.errors import UNAVAILABLE_KEPT, DomainError, SignInRequired, StorageUnavailable, words_for
from app.models import FORMER_MEMBER, utcnow
from app.services import (
    content_notes,
    crisis_resources,
    moderation_actions,
    notices,
    reactions,
    reading,
    reporting,
    timewords,
)

log = logging.getLogger("peerbearing")

# Every template is kept once compiled, in a plain dict (cache_size=-1): the set is fixed and small.
# Jinja's default, an LRU of 400, moved each looked-up template to the front of a list under a lock,
# a walk of every loaded template for each include: a tenth of the front page's instructions.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=jinja2.select_autoescape(),
        cache_size=-1,
    )
)

SESSION_COOKIE = "pb_session"
VISITOR_COOKIE = "pb_visitor"
# Fields whose words an error page shows back, with the label each is shown under.
KEPT_FIELDS = {"title": "Title", "body": "Your post", "content_note": "Content note", "note": "Your note"}
# Our largest forms (a new thread, the reader's settings) have under 20 fields and none is a file: a
# body with more is not from our pages (Starlette answers 400, before anything is stored).
FORM_LIMITS = {"max_fields": 100, "max_files": 0}


@pass_context
def _when(context, value: datetime | None) -> str:
    # Every page renders with one `now` (render() puts it in), so its words agree with each other.
    return timewords.ago(value, now=context.get("now") or utcnow()) if value else ""


def _optional(words):
    return lambda value: words(value) if value else ""


# Readers get coarse times: `when` ("3 hours ago") and `iso` (the day, for <time datetime>).
# Moderators' pages, and a member's own standing, use `exact` and `exact_iso`.
templates.env.filters["when"] = _when
templates.env.filters["iso"] = _optional(timewords.day_iso)
templates.env.filters["day"] = _optional(timewords.day)
templates.env.filters["month"] = _optional(timewords.month)
templates.env.filters["exact"] = _optional(timewords.exact)
templates.env.filters["exact_iso"] = _optional(timewords.exact_iso)
templates.env.globals["htmx_config"] = HTMX_CONFIG
templates.env.globals["reaction_kinds"] = reactions.KINDS
templates.env.globals["report_reasons"] = reporting.REASONS
templates.env.globals["moderation_actions"] = moderation_actions.ACTIONS
templates.env.globals["former_member"] = FORMER_MEMBER
templates.env.globals["kept_labels"] = KEPT_FIELDS
templates.env.globals["note_kinds"] = content_notes.KINDS
templates.env.globals["note_choice_words"] = content_notes.CHOICES
templates.env.globals["notice_kinds"] = notices.KINDS
# Every page's header and compose forms read the lines, loaded once at start (create_app).
templates.env.globals["crisis_resources"] = crisis_resources.current


async def read_form(request: Request):
    """The form as sent, within FORM_LIMITS (FastAPI reads a route's Form fields with the same)."""
    return await request.form(**FORM_LIMITS)


def wants_fragment(request: Request) -> bool:
    """HTMX asked for a piece of a page; boosted navigation and history restores want whole pages."""
    h = request.headers
    return (
        h.get("HX-Request") == "true"
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
    )


@dataclass(frozen=True)
class RoutePath:
    """One named route's path format and convertors, as Starlette's url_path_for would use them."""

    path_format: str
    convertors: dict[str, Convertor]

    def build(self, params: dict[str, Any]) -> str:
        if not params:
            return self.path_format
        return self.path_format.format(**{k: self.convertors[k].to_string(v) for k, v in params.items()})


def route_paths(app: FastAPI) -> dict[tuple[str, frozenset[str]], RoutePath]:
    """Every named route by (name, parameter names), read once: a link costs a lookup, not a walk.

    The first route wins, as in url_path_for; mounts (static files) are left to url_path_for.
    """
    found: dict[tuple[str, frozenset[str]], RoutePath] = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount) or not route.name or route.path_format is None:
            continue
        convertors = route.param_convertors
        found.setdefault((route.name, frozenset(convertors)), RoutePath(route.path_format, convertors))
    return found


def path_for(request: Request, name: str, **kwargs) -> str:
    return _link(getattr(request.app.state, "route_paths", {}), request.app, name, **kwargs)


def _link(
    paths: dict, app: FastAPI, name: str, *, anchor: str | None = None, query: dict | None = None, **params
) -> str:
    known = paths.get((name, frozenset(params)))
    path = known.build(params) if known else str(app.url_path_for(name, **params))
    if query and (kept := {k: v for k, v in query.items() if v not in (None, "")}):
        path += "?" + urlencode(kept)
    if anchor:
        path += f"#{anchor}"
    return path


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    ctx = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": getattr(request.state, "csrf", ""),
        "open_reports": getattr(request.state, "open_reports", None),
        "talk_unread": getattr(request.state, "talk_unread", None),
        "notices_unread": getattr(request.state, "notices_unread", None),
        # Bound once per page: a thread page builds a couple of hundred links.
        "path_for": partial(_link, getattr(request.app.state, "route_paths", {}), request.app),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "now": utcnow(),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    _set_visitor_cookie(request, response)
    return response


def see_other(
    request: Request, name: str, *, anchor: str | None = None, query: dict | None = None, **params
) -> Response:
    return RedirectResponse(path_for(request, name, anchor=anchor, query=query, **params), status_code=303)


def post_path(request: Request, post) -> str:
    """The thread page that holds the post, scrolled to it."""
    after = reading.page_start_for(post.position)
    return path_for(
        request, "threads:show", thread_id=post.thread_id, anchor=f"p{post.id}", query={"after": after}
    )


def after_action(request: Request, target: str, *, full_load: bool = False) -> Response:
    """Where an action that ends on another page sends the browser.

    A plain form gets 303. htmx gets 204 with HX-Location (it fetches and swaps the page itself),
    or HX-Redirect for a full load when the session changed and every part of the page must be new.
    """
    if not wants_fragment(request):
        return RedirectResponse(target, status_code=303)
    header = "HX-Redirect" if full_load else "HX-Location"
    return Response(status_code=204, headers={header: target, "Vary": "HX-Request"})


# A browser drops tab and line breaks anywhere in a URL and controls at its ends, and reads `\` as `/`:
# a target holding any of them, or a second slash at its start once its escapes are undone, goes home.
_UNFOLLOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
NEXT_MAX = 2048  # proxies cut longer headers; no page of ours has so long an address
_URL_SAFE = ":/%#?=@[]!$&'()*+,;~"  # what Starlette's RedirectResponse leaves unescaped, and `~`


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect), as plain ASCII for a header."""
    target = (target or "").strip(" ")
    if len(target) > NEXT_MAX:
        return "/"
    path = quote(target, safe=_URL_SAFE)  # spaces and other letters are escaped, not refused
    for form in (target, unquote(path)):
        if not form.startswith("/") or form[1:2] == "/" or _UNFOLLOWABLE.search(form):
            return "/"
    parts = urlsplit(path)
    return "/" if parts.scheme or parts.netloc else path


def set_session_cookie(response: Response, token: str) -> None:
    s = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=s.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=s.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Signing out: the cookie goes, and the browser is asked to forget this site's cookies and storage."""
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=get_settings().secure_cookies
    )


def _set_visitor_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_visitor", None)
    if new:
        response.set_cookie(
            VISITOR_COOKIE, new, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/"
        )


# --- forms that come back with what the user typed -------------------------------------------


@dataclass(frozen=True)
class FormSpec:
    """A form, declared once beside its route, so an error can re-render it with what was typed."""

    page: str  # full page template, for plain browsers
    partial: str  # the form fragment, for HTMX
    target: str  # id of the fragment's root element; may name values, as in "report-form-p{post.id}"


@dataclass
class FormContext:
    spec: FormSpec
    values: dict[str, Any] = field(default_factory=dict)

    def resolve(self) -> dict[str, Any]:
        """The values, with any zero-arg callable among them read now (only when the form is shown)."""
        self.values = {k: v() if callable(v) else v for k, v in self.values.items()}
        return self.values

    @property
    def target(self) -> str:
        return self.spec.target.format(**self.resolve())


def keep_form(request: Request, spec: FormSpec, **values: Any) -> None:
    """Called by a route before its service: an error from here on answers this form, input kept.

    A value that costs a query to build may be given as a zero-arg callable: it runs only when an
    error is answered (after the request's session closed, so it reads in a session of its own).
    """
    request.state.form = FormContext(spec=spec, values=values)


def _form_values(form: FormContext | None) -> dict[str, Any] | None:
    if form is None:
        return None
    try:
        return form.resolve()
    except DomainError:  # what the form shows is gone (a report that never was): the plain error page
        return None
    except SQLAlchemyError as exc:  # a lazy value read the database, and it is away: the plain error page
        if storage_unavailable(exc):
            return None
        raise


async def domain_error_handler(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, SignInRequired):
        return _to_sign_in(request)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    form: FormContext | None = getattr(request.state, "form", None)
    ctx = {"error": exc, "errors": exc.fields, "message": exc.message}
    values = _form_values(form)
    if values is not None:
        ctx.update(values)
        try:
            if wants_fragment(request):
                headers |= {"HX-Retarget": f"#{form.target}", "HX-Reswap": "outerHTML"}
                return render(request, form.spec.partial, ctx, status_code=exc.status_code, headers=headers)
            return render(request, form.spec.page, ctx, status_code=exc.status_code, headers=headers)
        except SQLAlchemyError:
            # The failed write rolled back and expired what the form shows (its thread, its categories):
            # with the database away it cannot be read again, so the words go back on the error page.
            if not isinstance(exc, StorageUnavailable):
                raise
            headers = {"Retry-After": str(retry_after)}
    message = None if isinstance(exc, StorageUnavailable) else exc.message
    return await error_page(request, exc.status_code, exc.title, message, headers=headers)


def _to_sign_in(request: Request) -> Response:
    referer = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    parts = urlsplit(referer)
    back = parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else request.url.path
    if request.method == "GET":
        back = request.url.path
    target = path_for(request, "accounts:login", query={"next": safe_next(back)})
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def error_page(
    request: Request,
    status: int,
    title: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_title, default_message = words_for(status)
    kept: dict[str, str] = {}
    if request.method == "POST" and status not in (413, 431):
        # Whatever the error, the words someone wrote are shown back to them.
        try:
            form = await read_form(request)
            kept = {k: str(form[k]) for k in KEPT_FIELDS if str(form.get(k) or "").strip()}
        except Exception:  # noqa: BLE001 - a broken body must not break the error page
            kept = {}
    if not message and status == 503 and kept:
        message = UNAVAILABLE_KEPT
    ctx = {
        "status": status,
        "title": title or default_title,
        "message": message or default_message,
        "kept": kept,
    }
    headers = dict(headers or {})
    if wants_fragment(request):
        headers |= {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(request, "partials/flash.html", ctx, status_code=status, headers=headers)
    return render(request, "pages/error.html", ctx, status_code=status, headers=headers)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    return await error_page(request, exc.status_code, headers=getattr(exc, "headers", None))


async def unreadable_request_handler(request: Request, exc: RequestValidationError) -> Response:
    """A number in the address that cannot be an id is an unknown page; other unreadable parts, 422."""
    if any(error["loc"][0] == "path" for error in exc.errors()):
        return await error_page(request, 404)
    title = "That address could not be read"
    return await error_page(request, 422, title, "Please go back and follow the link again.")


async def storage_error_handler(request: Request, exc: Exception) -> Response:
    """The database is away, read-only or full: a calm 503 with the words kept; anything else is a 500."""
    if not storage_unavailable(exc):
        return await server_error_handler(request, exc)
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None) or ""
    # One line, no user data: the route's path (ids only), the failure's class and code.
    log.warning(
        "storage unavailable on %s %s: %s %s",
        request.method,
        request.url.path,
        type(orig or exc).__name__,
        code,
    )
    return await domain_error_handler(request, StorageUnavailable())


async def server_error_handler(request: Request, exc: Exception) -> Response:
    if storage_unavailable(exc):  # raised where no handler of its own could catch it (inside another handler)
        return await storage_error_handler(request, exc)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return await error_page(request, 500)
