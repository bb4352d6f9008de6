"""Who may use each route: the table, one line per route, checked over HTTP for every role.

Each row: method, path, who may, what the others get. "sign-in, 403" means anonymous is sent to
sign in (303 to /login) and the other roles not named get 403; "404" alone means everyone not named
gets 404, anonymous too. A role that may gets any answer but those (its input may still be refused
with 409 or 422: authorization passed). Ids are of real objects that belong to someone else
(another member's post, mute and conversation; an open report; a pending appeal), so each
owner-only row also proves no one reaches another member's things (IDOR). A new route fails
test_every_route_is_in_the_table until it has its line here.
"""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount

from app.deps import require_csrf
from app.models import User, utcnow
from app.models.mute import Mute
from app.services import accounts, appeals, decisions, muting, posting, talk
from app.web import SESSION_COOKIE
from tests.factories import PASSPHRASE, make_thread, make_user, opening_post, report
from tests.http import csrf_of

ANON, MEMBER, PAUSED, MOD, PAUSED_MOD, ADMIN = (
    "anonymous", "member", "paused member", "moderator", "paused moderator", "admin"
)  # fmt: skip
ROLES = (ANON, MEMBER, PAUSED, MOD, PAUSED_MOD, ADMIN)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
WRITERS = frozenset({MEMBER, MOD, ADMIN})  # a pause stops writing, never reading
MODERATORS = frozenset({MOD, PAUSED_MOD, ADMIN})  # a paused moderator reads the tools
ACTING = frozenset({MOD, ADMIN})  # ... but does not act
NOBODY = frozenset()  # the owner only: on someone else's object, refused to all

# fmt: off
TABLE = [
    # method  path                                   who may      what the others get
    ("GET",  "/",                                    EVERYONE,   ""),
    ("GET",  "/c/{slug}",                            EVERYONE,   ""),
    ("GET",  "/guidelines",                          EVERYONE,   ""),
    ("GET",  "/help",                                EVERYONE,   ""),
    ("GET",  "/healthz",                             EVERYONE,   ""),
    ("GET",  "/robots.txt",                          EVERYONE,   ""),
    ("GET",  "/favicon.ico",                         EVERYONE,   ""),
    ("GET",  "/search",                              EVERYONE,   ""),
    ("GET",  "/t/{thread_id:int}",                   EVERYONE,   ""),
    ("GET",  "/join",                                EVERYONE,   ""),
    ("POST", "/join",                                EVERYONE,   ""),
    ("GET",  "/login",                               EVERYONE,   ""),
    ("POST", "/login",                               EVERYONE,   ""),
    ("POST", "/logout",                              EVERYONE,   ""),
    ("GET",  "/recover",                             EVERYONE,   ""),
    ("POST", "/recover",                             EVERYONE,   ""),
    ("GET",  "/me",                                  SIGNED_IN,  "sign-in"),
    ("GET",  "/me/passphrase",                       SIGNED_IN,  "sign-in"),
    ("POST", "/me/passphrase",                       SIGNED_IN,  "sign-in"),
    ("POST", "/me/sessions/end",                     SIGNED_IN,  "sign-in"),
    ("GET",  "/me/recovery-code",                    SIGNED_IN,  "sign-in"),
    ("POST", "/me/recovery-code",                    SIGNED_IN,  "sign-in"),
    ("GET",  "/me/export",                           SIGNED_IN,  "sign-in"),
    ("GET",  "/me/delete",                           SIGNED_IN,  "sign-in"),
    ("POST", "/me/delete",                           SIGNED_IN,  "sign-in"),
    ("GET",  "/me/milestones",                       SIGNED_IN,  "sign-in"),
    ("POST", "/me/milestones",                       SIGNED_IN,  "sign-in"),
    ("GET",  "/me/settings",                         SIGNED_IN,  "sign-in"),
    ("POST", "/me/settings",                         SIGNED_IN,  "sign-in"),
    ("GET",  "/me/notifications",                    SIGNED_IN,  "sign-in"),
    ("POST", "/me/settings/notices",                 SIGNED_IN,  "sign-in"),
    ("POST", "/me/appeal",                           SIGNED_IN,  "sign-in"),
    ("POST", "/me/mutes/{mute_id:int}/delete",       NOBODY,     "sign-in, 404"),
    ("GET",  "/talk",                                SIGNED_IN,  "sign-in"),
    ("POST", "/talk",                                SIGNED_IN,  "sign-in"),  # paused: still reaches the team
    ("GET",  "/new",                                 SIGNED_IN,  "sign-in"),
    ("POST", "/new",                                 WRITERS,    "sign-in, 403"),
    ("POST", "/t/{thread_id:int}/reply",             WRITERS,    "sign-in, 403"),
    ("POST", "/p/{post_id:int}/react/{kind}",        WRITERS,    "sign-in, 403"),
    ("GET",  "/p/{post_id:int}/report",              SIGNED_IN,  "sign-in"),
    ("POST", "/p/{post_id:int}/report",              WRITERS,    "sign-in, 403"),
    ("POST", "/p/{post_id:int}/mute-author",         SIGNED_IN,  "sign-in"),  # muting protects the reader
    ("GET",  "/p/{post_id:int}/edit",                NOBODY,     "sign-in, 403"),
    ("POST", "/p/{post_id:int}/edit",                NOBODY,     "sign-in, 403"),
    ("POST", "/p/{post_id:int}/publish",             NOBODY,     "sign-in, 403"),
    ("POST", "/p/{post_id:int}/delete",              NOBODY,     "sign-in, 403"),
    ("POST", "/p/{post_id:int}/appeal",              NOBODY,     "sign-in, 403"),
    ("GET",  "/p/{post_id:int}/history",             MODERATORS, "404"),  # its existence is not told
    ("GET",  "/mod",                                 MODERATORS, "sign-in, 403"),
    ("GET",  "/mod/log",                             MODERATORS, "sign-in, 403"),
    ("GET",  "/mod/talk",                            MODERATORS, "sign-in, 403"),
    ("GET",  "/mod/talk/{conversation_id:int}",      MODERATORS, "sign-in, 403"),
    ("POST", "/mod/talk",                            ACTING,     "sign-in, 403"),
    ("POST", "/mod/talk/{conversation_id:int}",      ACTING,     "sign-in, 403"),
    ("POST", "/mod/reports/{report_id:int}",         ACTING,     "sign-in, 403"),
    ("POST", "/mod/reports/{report_id:int}/claim",   ACTING,     "sign-in, 403"),
    ("POST", "/mod/reports/{report_id:int}/release", ACTING,     "sign-in, 403"),
    ("POST", "/mod/posts/{post_id:int}/restore",     ACTING,     "sign-in, 403"),
    ("POST", "/mod/threads/{thread_id:int}/lock",    ACTING,     "sign-in, 403"),
    ("POST", "/mod/threads/{thread_id:int}/pin",     ACTING,     "sign-in, 403"),
    ("POST", "/mod/appeals/{appeal_id:int}",         ACTING,     "sign-in, 403"),
]
# fmt: on

# One form with every field a route reads; passphrases are wrong, so no account is changed or erased.
FORM = {
    "title": "A title here", "body": "Some words", "category": "general", "reason": "unkind",
    "note": "a note", "action": "dismiss", "outcome": "uphold", "scope": "others", "on": "yes",
    "passphrase": "not the passphrase", "current": "not the passphrase", "pseudonym": "Nobody-Here",
    "recovery_code": "AAAAA", "wanted": "replies",
}  # fmt: skip
FORM_FOR = {"/mod/talk/{conversation_id:int}": {"action": "answer"}}


def endpoints(routes):
    """(method, path) of every route the app answers, the static files aside."""
    for route in routes:
        if isinstance(route, Mount):
            continue
        if hasattr(route, "original_router"):  # FastAPI 0.165 keeps included routers as they were
            yield from endpoints(route.original_router.routes)
        else:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path, route


def world(session) -> dict[str, object]:
    """Someone else's things, for the ids in the paths."""
    owner = make_user(session, "Owner-One")
    mod = make_user(session, "Mod-Other", role="moderator")
    thread = make_thread(session, owner)
    post = opening_post(session, thread)
    removed = opening_post(session, make_thread(session, owner, title="Rough words"))
    first = report(session, removed, make_user(session), reason="unkind").report
    decisions.decide(session, report_id=first.id, moderator=mod, action="remove", reason="Too harsh")
    appeal = appeals.appeal_post(session, post=removed, author=owner, note="please")
    open_report = report(session, post, make_user(session), reason="unkind").report
    other = opening_post(session, make_thread(session, make_user(session, "Muted-Three")))
    session.rollback()
    muting.mute_author(session, post=posting.get_post(session, other.id), muter=owner)
    conversation = talk.member_writes(session, member=owner, body="Hello team")
    mute_id = session.scalar(select(Mute.id).where(Mute.muter_id == owner.id))
    session.commit()
    ids = {"thread_id": thread.id, "post_id": post.id, "report_id": open_report.id, "appeal_id": appeal.id}
    return ids | {"mute_id": mute_id, "conversation_id": conversation.id, "slug": "general", "kind": "hug"}


def fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids[m.group(1)]), path)


def sign_in(session, client: TestClient, role: str) -> None:
    if role == ANON:
        return
    name = "As-" + role.title().replace(" ", "-")
    if not session.scalar(select(User.id).where(User.pseudonym == name)):
        make_user(session, name, role={PAUSED: MEMBER, PAUSED_MOD: MOD}.get(role, role))
        if role in (PAUSED, PAUSED_MOD):
            user = session.scalar(select(User).where(User.pseudonym == name))
            user.suspended_until = utcnow() + timedelta(days=3)
        session.commit()
    token = accounts.sign_in(session, pseudonym=name, passphrase=PASSPHRASE).token
    client.cookies.set(SESSION_COOKIE, token)


def answer(response) -> str:
    if response.status_code == 303 and response.headers["location"].startswith("/login"):
        return "sign-in"
    if response.status_code == 204 and response.headers.get("HX-Redirect", "").startswith("/login"):
        return "sign-in"
    if response.status_code in (403, 404) or response.status_code >= 500:
        return str(response.status_code)
    return "may"


def expected(role: str, may: frozenset, others: str) -> str:
    if role in may:
        return "may"
    anonymous, _, rest = others.partition(", ")
    return anonymous if role == ANON or not rest else rest


def test_every_route_is_in_the_table(app):
    routes = {(method, path) for method, path, _ in endpoints(app.routes)}
    table = {(method, path) for method, path, _, _ in TABLE}
    assert routes - table == set(), "routes missing from the table"
    assert table - routes == set(), "the table names routes the app no longer has"
    assert len(table) == len(TABLE), "a route is in the table twice"


def test_every_post_checks_the_csrf_token_and_where_it_came_from(app):
    for method, path, route in endpoints(app.routes):
        if method == "POST":
            assert require_csrf in [d.call for d in route.dependant.dependencies], path


def ask(session, client, role, method, path, ids, *, fragment=False):
    url = fill(path, ids)
    if method == "GET":
        return client.get(url, headers={"HX-Request": "true"} if fragment else {})
    form = {**FORM, "post_id": str(ids["post_id"]), **FORM_FOR.get(path, {})}
    token = csrf_of(client)
    if fragment:
        response = client.post(url, data=form, headers={"HX-Request": "true", "X-CSRF-Token": token})
    else:
        response = client.post(url, data={**form, "csrf_token": token})
    if path == "/logout":
        sign_in(session, client, role)
    return response


@pytest.mark.parametrize("fragment", [False, True], ids=["no-js", "htmx"])
@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(app, session, role, fragment):
    ids = world(session)
    got, wanted = {}, {}
    with TestClient(app, follow_redirects=False) as client:
        sign_in(session, client, role)
        for method, path, may, others in TABLE:
            got[method, path] = answer(ask(session, client, role, method, path, ids, fragment=fragment))
            wanted[method, path] = expected(role, may, others)
    # Each cell that differs, as (what it answered, what the table says).
    assert {cell: (got[cell], wanted[cell]) for cell in got if got[cell] != wanted[cell]} == {}


def test_the_owner_may_use_the_owner_only_routes(app, session):
    """The NOBODY rows are refused to everyone else, and not to the one whose things they are."""
    ids = world(session)
    owned = [row for row in TABLE if row[2] is NOBODY]
    # Deleting the post goes last: the rows before it still find it.
    owned.sort(key=lambda row: row[1] == "/p/{post_id:int}/delete")
    with TestClient(app, follow_redirects=False) as client:
        token = accounts.sign_in(session, pseudonym="Owner-One", passphrase=PASSPHRASE).token
        client.cookies.set(SESSION_COOKIE, token)
        got = {
            (method, path): answer(ask(session, client, MEMBER, method, path, ids))
            for method, path, _, _ in owned
        }
    assert got == dict.fromkeys(got, "may")


@pytest.mark.parametrize("action", ["answer", "close", "something else"])
def test_a_paused_moderator_is_refused_in_talk_whatever_the_action(app, session, action):
    """Found by the table: an unknown action answered 422 before the pause was looked at."""
    ids = world(session)
    with TestClient(app, follow_redirects=False) as client:
        sign_in(session, client, PAUSED_MOD)
        data = {"action": action, "body": "words", "csrf_token": csrf_of(client)}
        response = client.post(fill("/mod/talk/{conversation_id:int}", ids), data=data)
    assert response.status_code == 403 and "paused" in response.text
