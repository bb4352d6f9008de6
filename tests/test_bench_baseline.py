"""The benchmark's baseline (bench/baseline.py) is honest: the same status and bytes as the app.

A small forum (page size 3, so every pager shows), then each page of the benchmark asked of the app
and of the raw ASGI baseline with the same cookies, compared byte for byte; and the two writes,
done through each, leave the same rows and counters.
"""

import difflib
import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from app import web
from app.config import get_settings
from app.main import ROUTERS, SECURITY_HEADERS
from app.models import Post, User
from app.security import new_token
from app.services import posting, thread_tools
from bench import baseline_render
from bench.baseline import Baseline
from tests.factories import make_moderator, make_thread, make_user, opening_post, report
from tests.http import submit

VISITOR = new_token()
OLDER = re.compile(r'href="(/\?before=[0-9.]+)"')
LATER = re.compile(r'href="(/t/\d+\?after=\d+)"')


@pytest.fixture
def small_pages(database_url, monkeypatch):
    monkeypatch.setenv("PEERBEARING_PAGE_SIZE", "3")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def forum(small_pages, session, browsers):
    """Threads in two categories (one pinned, one with a content note, one by a muted member), a long
    thread with a last page, reactions, and open reports; a member and a moderator signed in."""
    author = make_user(session, "Author-Two")
    muted = make_user(session, "Muted-Three")
    make_user(session, "Reader-One")
    mod = make_moderator(session, "Mod-Willow")
    long = make_thread(session, author, title="A long road", body="Opening *words*")
    for n in range(8):
        posting.reply(
            session, thread=long, author=muted if n % 3 else author, body=f"Reply {n}", anonymous=n == 4
        )
    noted = make_thread(session, author, title="Hard week", body="It was hard", content_note="a rough week")
    make_thread(session, muted, title="From the muted one", category="general")
    for n in range(4):
        make_thread(session, author, title=f"Thread {n}", category="general" if n % 2 else "stories")
    pinned = make_thread(session, author, title="Read me first", category="general")
    thread_tools.set_pinned(session, thread=pinned, moderator=mod, on="1")
    member = browsers("Reader-One")
    moderator = browsers("Mod-Willow")
    thread_page = f"/t/{long.id}"
    reply_one = session.scalar(select(Post).where(Post.thread_id == long.id, Post.position == 1))
    submit(member, f"/p/{reply_one.id}/mute-author", {}, page=thread_page)
    first = opening_post(session, long)
    for kind in ("hug", "thanks"):
        assert submit(member, f"/p/{first.id}/react/{kind}", {}, page=thread_page).status_code == 303
    session.commit()  # the reads above end: the reports below write
    for name in ("Reader-One", "Muted-Three"):
        who = session.scalar(select(User).where(User.pseudonym == name))
        report(session, opening_post(session, noted), who, reason="unkind", note="Not kind")
        session.commit()
    report(session, session.get(Post, reply_one.id), mod, reason="at_risk")
    session.commit()
    return {
        "long": long.id,
        "member": member.cookies.get("pb_session"),
        "moderator": moderator.cookies.get("pb_session"),
    }


def _same(app_answer, base_answer, url: str) -> None:
    assert base_answer.status_code == app_answer.status_code, url
    if base_answer.content != app_answer.content:
        diff = difflib.unified_diff(
            app_answer.text.splitlines(), base_answer.text.splitlines(), "app", "baseline", lineterm="", n=2
        )
        pytest.fail(f"{url}: the baseline's bytes differ\n" + "\n".join(list(diff)[:60]))
    for name in ("content-type", "cache-control", "vary", "x-robots-tag", *SECURITY_HEADERS):
        assert base_answer.headers.get(name) == app_answer.headers.get(name), (url, name)
    assert "set-cookie" not in base_answer.headers and "set-cookie" not in app_answer.headers


def _both(client, database_url, url: str, cookies: dict[str, str]) -> str:
    with TestClient(Baseline(database_url)) as base:
        app_answer = client.get(url, cookies=cookies)
        base_answer = base.get(url, cookies=cookies)
    _same(app_answer, base_answer, url)
    return app_answer.text


def test_every_benchmark_page_is_the_same_bytes(forum, client, database_url):
    visitor = {"pb_visitor": VISITOR}
    front = _both(client, database_url, "/", visitor)
    deep = OLDER.search(front)[1]
    for _ in range(2):  # the app's own "older" link, followed to the end
        found = OLDER.search(_both(client, database_url, deep, visitor))
        if not found:
            break
        deep = found[1]
    _both(client, database_url, "/c/general", visitor)
    _both(client, database_url, "/c/stories", visitor)
    thread = f"/t/{forum['long']}"
    page = _both(client, database_url, thread, visitor)
    while found := LATER.search(page):  # the app's own "later replies" link, to the last page
        page = _both(client, database_url, found[1].replace("&amp;", "&"), visitor)
    member = {"pb_session": forum["member"]}
    for url in ("/", "/c/general", thread, f"{thread}?after=5"):
        _both(client, database_url, url, member)
    moderator = {"pb_session": forum["moderator"]}
    for url in (thread, f"{thread}?after=5"):
        _both(client, database_url, url, moderator)


def test_the_copied_constants_are_the_apps(app):
    assert baseline_render.HTMX_CONFIG == web.HTMX_CONFIG
    assert baseline_render.KEPT_FIELDS == web.KEPT_FIELDS
    assert baseline_render.SECURITY_HEADERS == SECURITY_HEADERS


def test_every_route_name_builds_the_apps_path(app):
    samples = {"post_id": 7, "thread_id": 8, "report_id": 9, "appeal_id": 10, "conversation_id": 11}
    samples |= {"mute_id": 12, "kind": "hug", "slug": "general"}
    named = {route.name: route for module in ROUTERS for route in module.router.routes}
    assert set(named) == set(baseline_render.ROUTES)
    for name, route in named.items():
        params = {k: v for k, v in samples.items() if "{" + k in route.path}
        assert baseline_render.path_for(name, **params) == app.url_path_for(name, **params), name
    assert baseline_render.path_for("threads:show", thread_id=3, query={"after": None}, anchor="p4") == (
        web.path_for(
            type("R", (), {"app": app})(), "threads:show", thread_id=3, query={"after": None}, anchor="p4"
        )
    )
