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
from app.main import MAX_BODY_BYTES, ROUTERS, SECURITY_HEADERS
from app.models import Notice, Post, Reaction, Thread, User
from app.security import csrf_for, new_token, token_hash
from app.services import appeals, claims, decisions, moderation_queue, muting, posting, thread_tools
from bench import baseline, baseline_mod, baseline_render
from bench.baseline import Baseline
from tests.factories import make_moderator, make_thread, make_user, opening_post, report
from tests.http import submit

VISITOR = new_token()
CATEGORY_OLDER = re.compile(r'href="(/c/stories\?before=[0-9.]+)"')
OLDER = re.compile(r'href="(/\?before=[0-9.]+)"')
PLACE = re.compile(r"/t/\d+(\?after=\d+)?#p\d+$")
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
            session, thread_id=long.id, author=muted if n % 3 else author, body=f"Reply {n}", anonymous=n == 4
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
    at_risk = report(session, session.get(Post, reply_one.id), mod, reason="at_risk")
    session.commit()
    claims.claim(session, report_id=at_risk.report.id, moderator=mod, level="medium")
    # A removal the author appeals: the author's history counts it, and /mod lists the appeal.
    removed = make_thread(session, author, title="Gone now", body="Words a moderator removes")
    first_report = report(session, opening_post(session, removed), muted, reason="spam")
    decisions.decide(session, report_id=first_report.report.id, moderator=mod, action="remove", reason="Spam")
    appeals.appeal_post(session, post=opening_post(session, removed), author=author, note="It was not spam")
    report(session, opening_post(session, long), muted, reason="unkind")
    # The member's own reply on the last page, removed by a moderator: they are offered an appeal.
    reader = session.scalar(select(User).where(User.pseudonym == "Reader-One"))
    own = posting.reply(session, thread_id=long.id, author=reader, body="My own words")
    hidden = report(session, own, mod, reason="unkind")
    decisions.decide(session, report_id=hidden.report.id, moderator=mod, action="remove", reason="Unkind")
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


def _cookie(cookies: dict[str, str]) -> dict[str, str]:
    """The Cookie header itself: per-request cookies= is deprecated in Starlette's test client."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items() if value)}


def _both(client, database_url, url: str, cookies: dict[str, str], headers: dict | None = None) -> str:
    headers = {**(headers or {}), **_cookie(cookies)}
    with TestClient(Baseline(database_url)) as base:
        app_answer = client.get(url, headers=headers)
        base_answer = base.get(url, headers=headers)
    _same(app_answer, base_answer, url)
    return app_answer.text


def test_every_benchmark_page_is_the_same_bytes(forum, client, database_url, monkeypatch):
    # Two groups a page, so /mod has a second page (both read the size at call time).
    monkeypatch.setattr(moderation_queue, "QUEUE_SIZE", 2)
    monkeypatch.setattr(baseline_mod, "QUEUE_SIZE", 2)
    visitor = {"pb_visitor": VISITOR}
    front = _both(client, database_url, "/", visitor)
    deep = OLDER.search(front)[1]
    for _ in range(2):  # the app's own "older" link, followed to the end
        found = OLDER.search(_both(client, database_url, deep, visitor))
        if not found:
            break
        deep = found[1]
    _both(client, database_url, "/c/general", visitor)
    stories = _both(client, database_url, "/c/stories", visitor)
    _both(client, database_url, CATEGORY_OLDER.search(stories)[1], visitor)
    # HTMX asks the same addresses for the list alone (the pagers' hx-get).
    for url in ("/", deep, "/c/general", f"/t/{forum['long']}?after=2"):
        _both(client, database_url, url, visitor, {"HX-Request": "true"})
    thread = f"/t/{forum['long']}"
    page = _both(client, database_url, thread, visitor)
    while found := LATER.search(page):  # the app's own "later replies" link, to the last page
        page = _both(client, database_url, found[1].replace("&amp;", "&"), visitor)
    member = {"pb_session": forum["member"]}
    for url in ("/", "/c/general", thread, f"{thread}?after=5"):
        _both(client, database_url, url, member)
    assert "Ask for a second look" in _both(client, database_url, f"{thread}?after=8", member)
    moderator = {"pb_session": forum["moderator"]}
    for url in (thread, f"{thread}?after=5", "/mod?page=2"):
        _both(client, database_url, url, moderator)
    queue = _both(client, database_url, "/mod", moderator)
    # What the queue's parts show is on the page compared: claim, appeal, history, the pager.
    shown = ("is reaching out", "Appeal from Author-Two", "1 post removed before", "Next page of reports")
    for words in shown:
        assert words in queue


def test_the_copied_constants_are_the_apps(app):
    assert baseline_render.KEPT_FIELDS == web.KEPT_FIELDS
    assert baseline.MAX_BODY_BYTES == MAX_BODY_BYTES
    assert baseline_mod.QUEUE_SIZE == moderation_queue.QUEUE_SIZE
    assert baseline_mod.SEVERAL == muting.SEVERAL


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


# --- the writes ---------------------------------------------------------------------------------


def _thread_state(session, thread_id: int) -> dict:
    """What a reply or a reaction writes in one thread, with ids made relative to the thread."""
    session.expire_all()
    thread = session.get(Thread, thread_id)
    posts = list(session.scalars(select(Post).where(Post.thread_id == thread_id).order_by(Post.position)))
    where = {p.id: p.position for p in posts}
    notices = session.scalars(select(Notice).where(Notice.thread_id == thread_id).order_by(Notice.id))
    reactions = session.execute(
        select(Post.position, Reaction.user_id, Reaction.kind).join(Post).where(Post.thread_id == thread_id)
    )
    state = {
        "replies": thread.reply_count,
        "posts": [
            (p.position, p.author_id, p.status, p.anonymous, p.body_source, p.body_html, p.content_note)
            + (p.content_note_kinds, p.sanitizer_version, p.edited_at, p.moderation_reason)
            + tuple(getattr(p, c) for c in ("hug_count", "strength_count", "thanks_count", "metoo_count"))
            + (p.celebrate_count,)
            for p in posts
        ],
        "notices": [
            (n.user_id, n.kind, n.count, where.get(n.post_id), n.unread, n.group_key == f"reply:{thread_id}")
            for n in notices
        ],
        "reactions": sorted(reactions.all()),
    }
    session.commit()
    return state, thread.last_activity_at


def test_the_writes_leave_the_same_rows(small_pages, session, browsers, database_url):
    author, other = make_user(session, "Author-Two"), make_user(session, "Other-Four")
    make_user(session, "Reader-One")
    threads = []
    for _ in range(2):  # the same thread twice: the app writes in one, the baseline in the other
        thread = make_thread(session, author, title="Same words", body="Same *opening*")
        posting.reply(session, thread_id=thread.id, author=other, body="A first reply")
        threads.append(thread.id)
    session.commit()
    member = browsers("Reader-One")
    token = member.cookies.get("pb_session")
    csrf = {"csrf_token": csrf_for(f"s:{token_hash(token)}")}
    cookies = {"pb_session": token}
    with TestClient(Baseline(database_url), follow_redirects=False) as base:
        refused = base.post(f"/t/{threads[1]}/reply", data={"body": "No token"}, headers=_cookie(cookies))
        assert refused.status_code == 403
        anonymous = base.post(f"/t/{threads[1]}/reply", data={"body": "Hello", **csrf})
        assert anonymous.status_code == 403  # a session's token is no visitor's
        too_long = base.post(
            f"/t/{threads[1]}/reply", data={"body": "x" * MAX_BODY_BYTES, **csrf}, headers=_cookie(cookies)
        )
        assert too_long.status_code == 413
        assert _thread_state(session, threads[1])[0]["replies"] == 1

        def both(path: str, form: dict[str, str]) -> None:
            before = [_thread_state(session, t)[1] for t in threads]
            app_answer = member.post(path.format(threads[0], first[0]), data={**form, **csrf})
            base_answer = base.post(
                path.format(threads[1], first[1]), data={**form, **csrf}, headers=_cookie(cookies)
            )
            assert (app_answer.status_code, base_answer.status_code) == (303, 303), base_answer.text
            # The same place in each thread: its page (`after`), the post's own id aside.
            shown = [PLACE.sub(r"\1", a.headers["location"]) for a in (app_answer, base_answer)]
            assert shown[0] == shown[1]
            (app_state, app_at), (base_state, base_at) = (_thread_state(session, t) for t in threads)
            assert base_state == app_state
            # The thread moved up the front page by its reply (or stayed, for a reaction), as the app's did.
            assert (base_at > before[1]) == (app_at > before[0])

        first = [opening_post(session, session.get(Thread, t)).id for t in threads]
        session.commit()
        both("/t/{0}/reply", {"body": "Thank you, **really**."})
        both("/t/{0}/reply", {"body": "And again", "anonymous": "on", "content_note": "grief words"})
        both("/t/{0}/reply", {"body": "Noted", "content_note_kind": "grief"})
        both("/p/{1}/react/hug", {"want": "on"})
        both("/p/{1}/react/thanks", {})
        both("/p/{1}/react/hug", {"want": "off"})
        both("/p/{1}/react/hug", {"want": "off"})  # a repeated press changes nothing
    counters = dict(session.execute(select(User.pseudonym, User.notices_unread)).all())
    assert counters["Author-Two"] == counters["Other-Four"] == 2  # one grouped notice per thread
