"""Request dependencies: the database session, who is asking, CSRF, and load-or-404."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Path, Query, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from app import db
from app.errors import NotAllowed, SignInRequired
from app.models import Post, Thread, User, is_moderator_role
from app.security import csrf_for, csrf_ok, new_token
from app.services import accounts, posting, ratelimit, text
from app.web import SESSION_COOKIE, VISITOR_COOKIE, read_form

CSRF_REFUSED = (
    "This form had expired or did not come from this site, so nothing was changed. "
    "Please reload the page and try again."
)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, opened and closed on the event loop: a Session does no I/O until its
    first query (in the route's thread), so opening costs no trip to the thread pool. Closing may
    (db.close_session): only where it would wait on the network."""
    # POSTs write: on SQLite their transactions start with BEGIN IMMEDIATE.
    session = db.new_session(write=request.method == "POST")
    try:
        yield session
    finally:
        await db.close_session(session)


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Viewer:
    """A plain snapshot of who is asking, safe to render after any rollback."""

    id: int
    pseudonym: str
    role: str
    suspended_until: datetime | None

    @property
    def is_moderator(self) -> bool:
        return is_moderator_role(self.role)


async def identify(request: Request, session: SessionDep) -> None:
    """Runs for every route: sets request.state.user, .viewer and .csrf.

    A visitor (no session cookie) costs no query; a member's lookup is a read (db.run_reads: on the
    loop on SQLite, in the thread pool on PostgreSQL)."""
    token = request.cookies.get(SESSION_COOKIE)
    request.state.user = None
    request.state.viewer = None
    binding = await db.run_reads(session, _identify_member, request, session, token) if token else None
    if binding is None:  # a visitor, or a cookie whose session ended
        visitor = request.cookies.get(VISITOR_COOKIE)
        if not visitor or len(visitor) > 64:
            visitor = new_token()
            request.state.new_visitor = visitor
        binding = f"v:{visitor}"
    request.state.csrf_binding = binding
    request.state.csrf = csrf_for(binding)


def _identify_member(request: Request, session: Session, token: str) -> str | None:
    """The member the cookie names, with the header's counts; their CSRF binding, or None."""
    # Who is asking is read, then committed below: a POST need not hold the write lock for it.
    db.reads_only(session)
    found = accounts.member_for_token(session, token)
    binding = None
    if found:
        user = found.user
        request.state.user = user
        request.state.viewer = Viewer(user.id, user.pseudonym, user.role, user.suspended_until)
        # On the user row already read: the header's quiet notice count costs no query.
        request.state.notices_unread = user.notices_unread
        binding = f"s:{found.token_hash}"
        if user.is_moderator:
            # Read fresh on every request (with the member): a decision on another worker shows at once.
            request.state.open_reports = found.open_reports
        else:
            # The header's quiet count of the team's unread answers, read with the member.
            request.state.talk_unread = found.talk_unread
    # End the read transaction now, so a slow step later does not hold a lock.
    session.commit()
    return binding


# Fetch metadata a browser sends that says the form came from this site (or was typed in).
SAME_SITE_FETCHES = frozenset({"same-origin", "same-site", "none"})


def _from_elsewhere(request: Request) -> bool:
    """The browser says the request began on another site (Sec-Fetch-Site, else Origin).

    Neither header (old browsers, scripts, the test client): not refused here; the token decides.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in SAME_SITE_FETCHES
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    # "null" (a sandboxed frame, a file) and any other site are refused; the port counts.
    return urlsplit(origin.strip()).netloc.lower() != request.headers.get("Host", "").lower()


async def require_csrf(request: Request) -> None:
    """Every POST comes from this site with a token bound to this session; else 403, nothing changes."""
    if _from_elsewhere(request):
        raise NotAllowed(CSRF_REFUSED)
    given = request.headers.get("X-CSRF-Token")
    if not given:
        form = await read_form(request)
        given = str(form.get("csrf_token") or "")
    if not csrf_ok(getattr(request.state, "csrf_binding", ""), given):
        raise NotAllowed(CSRF_REFUSED)


async def client_key(request: Request) -> str:
    """Who is asking, for rate limits: a daily-rotating keyed hash, never the address itself.

    The address is the socket's peer (`request.client.host`). The app trusts no header:
    behind a reverse proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips set to
    that proxy only, and uvicorn puts the forwarded client address there instead.
    """
    return ratelimit.client_key(request.client.host if request.client else "")


# The dependencies that only read request.state are async: they run on the event loop, with no trip
# to the thread pool that a plain `def` costs on every request.
async def current_user(request: Request) -> User:
    user = getattr(request.state, "user", None)
    if user is None:
        raise SignInRequired("Please sign in first.")
    return user


async def optional_user(request: Request) -> User | None:
    return getattr(request.state, "user", None)


async def moderator_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_moderator:
        raise NotAllowed("This page is for moderators.")
    return user


# Numbers in addresses are bounded by what a row id can be (PostgreSQL INTEGER): a longer one is
# answered like any unknown id or unreadable query, never as an integer overflow in the database.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ROW_ID)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_ROW_ID)]


def load_thread(request: Request, session: SessionDep, thread_id: RowId) -> Thread:
    return _read_before_writing(request, session, posting.get_thread, thread_id)


def load_post(request: Request, session: SessionDep, post_id: RowId) -> Post:
    return _read_before_writing(request, session, posting.get_post, post_id)


def _read_before_writing(request: Request, session: Session, load, row_id: int):
    """A POST loads what it names in a read of its own, so the service's write holds SQLite's lock only
    while writing (under load, a lock held through rendering made other writers wait past busy_timeout)."""
    if request.method != "POST":
        return load(session, row_id)
    db.reads_only(session)
    found = load(session, row_id)
    db.end_reads(session)
    return found


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
ModeratorUser = Annotated[User, Depends(moderator_user)]
ThreadDep = Annotated[Thread, Depends(load_thread)]
PostDep = Annotated[Post, Depends(load_post)]
ClientKey = Annotated[str, Depends(client_key)]
CSRF = Depends(require_csrf)
# A form field as typed: routes take plain strings with a default, so the service is the one validator.
# NUL and the other control characters (tab and line breaks kept) are dropped before anything reads
# it: PostgreSQL refuses NUL in text, and none of them means anything a member typed.
Text = Annotated[str, Form(), AfterValidator(text.without_controls)]
# The same for a query-string field that reaches the database (the search words).
QueryText = Annotated[str, Query(), AfterValidator(text.without_controls)]
# A category's slug from the path: looked up in the database, so the same.
Slug = Annotated[str, Path(), AfterValidator(text.without_controls)]
