import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.models import Thread, utcnow
from app.services import posting, reading
from tests import queries
from tests.factories import make_thread, make_user
from tests.html import has_id, parse, root


def _thread_ids(html: str) -> list[int]:
    """The threads a list shows, by the ids in their title links, in page order."""
    return [int(a["href"].removeprefix("/t/")) for a in parse(html).select("a.thread-title")]


def _link_swapping(html: str, target: str) -> str | None:
    """The one link that pages on by swapping `target` (with htmx) or None on the last page."""
    links = parse(html).select(f'a[hx-target="{target}"]')
    assert len(links) <= 1, links
    if not links:
        return None
    assert links[0]["href"] == links[0]["hx-get"], "the same page with JavaScript and without"
    return links[0]["href"]


def _threads(session, count, category="stories"):
    author = make_user(session)
    made = [make_thread(session, author, title=f"Thread number {i}", category=category) for i in range(count)]
    # Distinct, known activity times; two share a timestamp to exercise the id tie-breaker.
    base = utcnow()
    for i, t in enumerate(made):
        at = base - timedelta(minutes=i if i != 5 else 4)
        session.execute(update(Thread).where(Thread.id == t.id).values(last_activity_at=at))
    session.commit()
    return made


def _walk(client, path):
    seen, pages = [], 0
    while path:
        html = client.get(path).text
        seen += _thread_ids(html)
        pages += 1
        path = _link_swapping(html, "#thread-list")
    return seen, pages


def test_front_page_pages_through_every_thread_once_newest_first(client, session):
    made = _threads(session, 45)
    seen, pages = _walk(client, "/")
    assert pages == 3
    assert len(seen) == 45 and len(set(seen)) == 45
    assert set(seen) == {t.id for t in made}
    session.expire_all()
    order = [(session.get(Thread, i).last_activity_at, i) for i in seen]
    assert order == sorted(order, reverse=True)


def test_older_link_with_htmx_answers_only_the_list_fragment(client, session):
    _threads(session, 25)
    cursor = reading.latest_threads(session).next_cursor
    r = client.get(f"/?before={cursor}", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["Vary"] == "HX-Request"
    assert root(r.text) == "section#thread-list"
    assert len(_thread_ids(r.text)) == 5


def test_boosted_navigation_gets_the_whole_page(client, session):
    _threads(session, 3)
    r = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert parse(r.text).html is not None and has_id(r.text, "thread-list")


def test_a_garbled_cursor_shows_the_first_page(client, session):
    _threads(session, 3)
    r = client.get("/?before=not-a-cursor")
    assert r.status_code == 200 and len(_thread_ids(r.text)) == 3


def test_category_pages_keep_pinned_threads_on_top_and_page_the_rest(client, session):
    made = _threads(session, 23, category="coping-tips")
    _threads(session, 2, category="stories")
    oldest = made[-1]
    session.execute(update(Thread).where(Thread.id == oldest.id).values(pinned=True))
    session.commit()
    elements = parse(client.get("/c/coping-tips").text).find_all(True)
    pinned_link = next(i for i, e in enumerate(elements) if e.get("href") == f"/t/{oldest.id}")
    threads_heading = next(i for i, e in enumerate(elements) if e.name == "h2" and e.get_text() == "Threads")
    assert pinned_link < threads_heading
    seen, pages = _walk(client, "/c/coping-tips")
    assert pages == 2 and len(seen) == 23 and len(set(seen)) == 23  # 1 pinned + 22 in the pages


def test_thread_pages_page_through_replies_in_order(client, session):
    author = make_user(session)
    thread = make_thread(session, author, body="opening")
    for i in range(1, 45):
        posting.reply(session, thread_id=thread.id, author=author, body=f"reply number {i}")
    bodies, path = [], f"/t/{thread.id}"
    while path:
        html = client.get(path).text
        texts = [p.get_text() for p in parse(html).select("article p")]
        bodies += [t for t in texts if re.fullmatch(r"opening|reply number \d+", t)]
        path = _link_swapping(html, "#posts-page")
    assert bodies == ["opening"] + [f"reply number {i}" for i in range(1, 45)]


def test_thread_paging_with_htmx_answers_the_posts_fragment(client, session):
    author = make_user(session)
    thread = make_thread(session, author)
    for i in range(25):
        posting.reply(session, thread_id=thread.id, author=author, body=f"reply {i}")
    r = client.get(f"/t/{thread.id}?after=19", headers={"HX-Request": "true"})
    assert root(r.text) == "div#posts-page"
    assert "reply 19" in r.text and "reply 18" not in r.text


def test_no_offset_is_used_for_paging(session):
    """Keyset, not OFFSET: the SQL for an older page filters on the cursor."""
    _threads(session, 25)
    with queries.statements() as sent:
        cursor = reading.latest_threads(session).next_cursor
        reading.latest_threads(session, before=cursor)
    selects = [(sql, params) for sql, params in sent if sql.startswith("SELECT thread.")]
    assert len(selects) == 2
    for sql, params in selects:
        # SQLite's dialect always writes "LIMIT ? OFFSET ?"; the offset bound is 0 on every page.
        assert "OFFSET" not in sql or params[-1] == 0
    # A row value: both engines seek the (activity, id) index to the cursor (an OR made SQLite scan).
    assert "(thread.last_activity_at, thread.id) <" in selects[1][0]


@pytest.mark.sqlite_only
def test_an_older_page_seeks_the_index_to_its_cursor(session):
    """However deep the cursor, SQLite searches the activity index from it rather than from the top."""
    _threads(session, 25)
    cursor = reading.latest_threads(session).next_cursor
    with queries.statements() as sent:
        reading.latest_threads(session, before=cursor)
    sql, params = next((sql, params) for sql, params in sent if sql.startswith("SELECT thread."))
    plan = " ".join(
        row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
    )
    assert "SEARCH thread USING INDEX ix_thread_activity (last_activity_at<?)" in plan, plan


def test_one_page_size_from_the_settings_is_read_at_call_time(client, session, monkeypatch):
    from app.config import get_settings

    _threads(session, 9)
    monkeypatch.setenv("PEERBEARING_PAGE_SIZE", "4")
    get_settings.cache_clear()
    seen, pages = _walk(client, "/")
    assert (len(seen), pages) == (9, 3)
    assert len(reading.latest_threads(session).threads) == 4


def _sqlite_steps(session, read) -> int:
    """SQLite virtual-machine steps that `read` costs: grows with the rows a query walks."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw = session.connection().connection.dbapi_connection
    raw.set_progress_handler(count, 1)
    try:
        read()
    finally:
        raw.set_progress_handler(None, 1)
    return steps


@pytest.mark.sqlite_only
def test_a_deep_thread_page_costs_no_more_than_the_first(session):
    """The page after the 300th reply seeks straight to it: it must not walk the 300 posts before it."""
    author = make_user(session)
    thread = make_thread(session, author)
    for i in range(300):
        posting.reply(session, thread_id=thread.id, author=author, body=f"Reply {i}")

    def page(after=None):
        return lambda: reading.thread_posts(session, thread=thread, reader=None, after=after)

    first, deep = _sqlite_steps(session, page()), _sqlite_steps(session, page(after=279))
    assert deep <= first * 1.2, (first, deep)
