"""Search: ranked, paged, marked snippets; only visible posts, whatever path changed them.

The service tests use only the `session` fixture, so tests/test_search_postgres.py runs the
same functions against a fresh PostgreSQL database.
"""

import random
import re
import string
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import delete, select, text, update

from app import db
from app.config import PROJECT_ROOT, get_settings
from app.errors import InvalidInput
from app.models import Post, Thread
from app.services import posting, search
from tests.factories import make_thread, make_user, opening_post
from tests.html import by_id, one, parse, root

NASTY = [
    '"',
    '""',
    '"unclosed',
    "*",
    "a*",
    "*a",
    "NEAR",
    "NEAR(a b)",
    "a NEAR b",
    "NEAR/2",
    "-",
    "-a",
    "a -b",
    "--",
    ":",
    "title:",
    "title:a",
    "body:x",
    "{title body}:a",
    "(",
    ")",
    "(a",
    "a)",
    "((a OR b)",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "OR b",
    "NOT NOT",
    "a & b",
    "a | b",
    "!a",
    "a:*",
    "'",
    "a'b",
    "''",
    "\\",
    "^a",
    "+a",
    "~a",
    "a <-> b",
    "<script>alert(1)</script>",
    "%",
    "_",
    "a_b",
    "\x00",
    "a\x00b",
    "\u200b",
    "💔 💪",
    "ﬁnd",
    "e\u0301",
    "Straße",
    "  ",
    "?" * 200,
    "ab" * 100,
]


def word() -> str:
    """A word no other test uses, so tests can share a database (PostgreSQL)."""
    return "".join(random.choices(string.ascii_lowercase, k=12))


def found_ids(session, q: str, **kw) -> list[int]:
    return [hit.post_id for hit in search.search(session, q=q, **kw).hits]


def _set_status(session, post_id: int, status: str) -> None:
    session.execute(update(Post).where(Post.id == post_id).values(status=status))
    session.commit()


# --- the service ----------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_passing_mention_in_a_reply(session):
    w = word()
    author = make_user(session)
    mention = make_thread(session, author, title="Evening walks", body="Long day.")
    reply = posting.reply(
        session,
        thread_id=mention.id,
        author=author,
        body=f"Walked a lot, thought about {w} once, then slept.",
    )
    titled = make_thread(session, author, title=f"Living with {w}", body="Here is how my week went.")
    hits = search.search(session, q=w).hits
    assert [h.post_id for h in hits] == [opening_post(session, titled).id, reply.id]
    assert hits[0].title == f"Living with <mark>{w}</mark>"
    assert hits[0].position == 0 and hits[1].position == 1


def test_every_word_must_match_and_case_does_not_matter(session):
    a, b = word(), word()
    author = make_user(session)
    both = make_thread(session, author, title="Two words", body=f"{a.upper()} and {b}")
    make_thread(session, author, title="One word", body=f"only {a}")
    assert found_ids(session, f"{a} {b}") == [opening_post(session, both).id]
    assert len(found_ids(session, a)) == 2


def test_results_are_paged_without_repeats_and_the_pages_are_capped(session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Counting days", body=f"day zero {w}")
    for n in range(24):
        posting.reply(session, thread_id=thread.id, author=author, body=f"day {n + 1}, still {w}")
    first = search.search(session, q=w, size=10)
    second = search.search(session, q=w, cursor=first.next_cursor, size=10)
    third = search.search(session, q=w, cursor=second.next_cursor, size=10)
    assert (len(first.hits), len(second.hits), len(third.hits)) == (10, 10, 5)
    assert first.next_cursor == "10" and second.next_cursor == "20" and third.next_cursor is None
    ids = [h.post_id for page in (first, second, third) for h in page.hits]
    assert len(set(ids)) == 25
    # At most MAX_PAGES pages: the fifth small page offers no sixth.
    fifth = search.search(session, q=w, cursor="8", size=2)
    assert fifth.hits and fifth.next_cursor is None
    assert search.search(session, q=w, cursor="999999", size=2).hits == fifth.hits
    assert search.search(session, q=w, cursor="nonsense", size=10).hits == first.hits


def test_snippets_are_escaped_then_marked(session):
    w = word()
    author = make_user(session)
    body = f"I typed <script>alert(1)</script> & `<b>` here, then wrote about {w.title()} and **{w}**."
    make_thread(session, author, title=f"<i>{w}</i> & more", body=body)
    hit = search.search(session, q=w).hits[0]
    snippet = str(hit.snippet)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert f"<mark>{w.title()}</mark>" in snippet and f"<mark>{w}</mark>" in snippet
    assert "&amp;" in snippet and "&lt;b&gt;" in snippet
    assert "<script" not in snippet and "<b>" not in snippet and "**" not in snippet
    assert {tag.name for tag in parse(snippet).find_all(True)} == {"mark"}
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert str(hit.title) == f"&lt;i&gt;<mark>{w}</mark>&lt;/i&gt; &amp; more"


def test_a_post_behind_a_content_note_shows_the_note_not_its_words(session):
    w = word()
    author = make_user(session)
    make_thread(
        session, author, title="Hard night", body=f"the details of {w}", content_note="relapse details"
    )
    hit = search.search(session, q=w).hits[0]
    assert hit.snippet == "" and hit.content_note == "relapse details"


def test_a_long_post_shows_a_window_around_the_match(session):
    w = word()
    author = make_user(session)
    body = " ".join(f"filler{n}" for n in range(200)) + f" {w} " + " ".join(f"after{n}" for n in range(200))
    make_thread(session, author, title="A long story", body=body)
    snippet = str(search.search(session, q=w).hits[0].snippet)
    assert snippet.startswith("… ") and snippet.endswith(" …") and f"<mark>{w}</mark>" in snippet
    assert len(snippet) < 500


def test_an_edit_changes_what_is_found(session):
    old, new = word(), word()
    author = make_user(session)
    thread = make_thread(session, author, title="First try", body=f"about {old}")
    post = opening_post(session, thread)
    posting.edit(session, post=post, author=author, body=f"now about {new}")
    assert found_ids(session, old) == []
    assert found_ids(session, new) == [post.id]


def test_a_changed_thread_title_is_found_and_the_old_one_is_not(session):
    old, new = word(), word()
    author = make_user(session)
    thread = make_thread(session, author, title=f"Title {old}", body="Some words.")
    session.execute(update(Thread).where(Thread.id == thread.id).values(title=f"Title {new}"))
    session.commit()
    assert found_ids(session, old) == []
    assert found_ids(session, new) == [opening_post(session, thread).id]


def test_a_post_its_author_deleted_is_never_found(session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Thinking aloud", body="Opening.")
    reply = posting.reply(session, thread_id=thread.id, author=author, body=f"second thoughts about {w}")
    assert found_ids(session, w) == [reply.id]
    posting.delete(session, post=reply, author=author)
    assert found_ids(session, w) == []


@pytest.mark.parametrize("status", ["hidden_pending_review", "hidden", "removed", "deleted"])
def test_posts_that_are_not_visible_are_never_found(session, status):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title=f"Title {w}", body=f"body {w}")
    post = opening_post(session, thread)
    reply = posting.reply(session, thread_id=thread.id, author=author, body=f"reply {w}")
    _set_status(session, post.id, status)
    _set_status(session, reply.id, status)
    assert found_ids(session, w) == []
    _set_status(session, reply.id, "visible")  # a restored post is found again
    assert found_ids(session, w) == [reply.id]


def test_posts_in_a_thread_that_is_not_visible_are_never_found(session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Hidden thread", body=f"body {w}")
    session.execute(update(Thread).where(Thread.id == thread.id).values(status="removed"))
    session.commit()
    assert found_ids(session, w) == []


def test_erased_posts_and_threads_are_never_found(session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title=f"Gone {w}", body=f"body {w}")
    other = make_thread(session, author, title="Stays", body="opening")
    reply = posting.reply(session, thread_id=other.id, author=author, body=f"reply {w}")
    assert len(found_ids(session, w)) == 2
    session.execute(delete(Post).where(Post.id == reply.id))
    session.execute(delete(Thread).where(Thread.id == thread.id))  # its posts go by cascade
    session.commit()
    assert found_ids(session, w) == []
    assert session.scalar(select(Post.id).where(Post.thread_id == thread.id)) is None


def test_search_syntax_in_a_query_is_plain_words_and_never_an_error(session):
    w = word()
    author = make_user(session)
    make_thread(session, author, title="Syntax", body=f"near or not, {w} and some more words")
    for q in NASTY:
        for query in (q, f"{w} {q}", f"{q}{w}{q}"):
            if len(query) > search.MAX_QUERY:
                with pytest.raises(InvalidInput):
                    search.search(session, q=query)
            else:
                search.search(session, q=query)
    assert len(found_ids(session, f'"{w}"')) == 1
    assert len(found_ids(session, f"{w}*")) == 1
    assert len(found_ids(session, f"({w} NEAR")) == 1
    assert len(found_ids(session, f"-{w}")) == 1  # a minus is not "not"
    assert found_ids(session, f"{w} OR zzzzqqqq") == []  # or is a word, and every word must match
    assert len(found_ids(session, f"body:{w} AND some")) == 0  # "body" is a word the post lacks


def test_a_too_long_query_is_refused_and_an_empty_one_gets_a_hint(session):
    with pytest.raises(InvalidInput) as refused:
        search.search(session, q="x" * 201)
    assert "200" in refused.value.message
    for q in ("", " ", "a", "!?", "\u200b\u200b"):
        results = search.search(session, q=q)
        assert results.hits == [] and "word or two" in results.hint


def test_query_words_are_found_once_each():
    assert search.terms_of("Sleep, sleep! and  SLEEP-less") == ["sleep", "and", "less"]
    assert search.fts5_query(['a"b']) == '"a""b"'


# --- over HTTP ------------------------------------------------------------------------------


def test_the_search_page_lists_marked_results_that_link_to_the_post(client, session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Mornings", body=f"coffee and {w}", category="coping-tips")
    post = opening_post(session, thread)
    r = client.get("/search", params={"q": w})
    assert r.status_code == 200 and r.headers["Vary"] == "HX-Request"
    page = parse(r.text)
    results = by_id(page, "search-results")
    assert one(results, f'a[href="/t/{thread.id}#p{post.id}"]')
    assert [m.get_text() for m in results.select("mark")] == [w] and "Coping tips" in results.get_text()
    assert by_id(page, "search-form-q")["value"] == w


def test_a_result_behind_a_content_note_stays_folded_on_the_page(client, session):
    w = word()
    author = make_user(session)
    make_thread(
        session, author, title="Hard night", body=f"the details {w}", content_note="<relapse> details"
    )
    r = client.get("/search", params={"q": w})
    assert "&lt;relapse&gt; details" in r.text and "the words are folded" in r.text
    assert "the details" not in r.text


def test_more_results_come_as_a_fragment_for_htmx_and_as_a_page_without(client, session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Many replies", body=f"start {w}")
    for n in range(22):
        posting.reply(session, thread_id=thread.id, author=author, body=f"reply {n} {w}")
    page = client.get("/search", params={"q": w}).text
    link = one(page, 'a[hx-target="#search-results"]')
    more = link["hx-get"]
    assert "cursor=20" in more and link["href"] == more
    fragment = client.get(more, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert (
        root(fragment.text) == "section#search-results"
        and len(parse(fragment.text).select(".search-hit")) == 3
    )
    plain = parse(client.get(more).text)
    assert plain.html is not None and len(plain.select("#search-results .search-hit")) == 3
    # A reply far down links to the thread page that holds it.
    last = posting.reply(
        session, thread_id=thread.id, author=author, body="the twenty-third reply, zzfinalzz"
    )
    r = client.get("/search", params={"q": "zzfinalzz"})
    assert one(r.text, f'#search-results a[href="/t/{thread.id}?after=19#p{last.id}"]')


def test_an_empty_search_shows_the_form_and_a_hint(client):
    r = client.get("/search")
    assert r.status_code == 200 and "word or two" in r.text
    assert by_id(r.text, "search-form-q")["type"] == "search"
    r = client.get("/search", params={"q": "x"})
    assert r.status_code == 200 and "word or two" in r.text


def test_a_query_with_no_match_says_so_gently(client):
    r = client.get("/search", params={"q": word()})
    assert r.status_code == 200 and "Nothing matched" in r.text


def test_a_too_long_query_is_422_with_words_and_keeps_the_query(client):
    q = "calm " * 41
    r = client.get("/search", params={"q": q})
    assert r.status_code == 422 and "up to 200 characters" in r.text
    field = by_id(r.text, "search-form-q")
    assert (field["value"], field["aria-invalid"]) == (q, "true")
    r = client.get("/search", params={"q": q}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#search-results"


def test_nasty_queries_never_break_the_page(client):
    for q in NASTY:
        r = client.get("/search", params={"q": q})
        assert r.status_code == (422 if len(q) > search.MAX_QUERY else 200), (q, r.status_code)
    assert client.get("/search", params={"q": "a", "cursor": "-1"}).status_code == 200
    assert client.get("/search?q=a&cursor=%00").status_code == 200


def test_searches_are_rate_limited_per_client_and_keep_the_query(client, monkeypatch):
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    get_settings.cache_clear()
    for _ in range(30):
        assert client.get("/search", params={"q": "steady"}).status_code == 200
    r = client.get("/search", params={"q": "steady"})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "You have searched many times" in r.text
    assert by_id(r.text, "search-form-q")["value"] == "steady"
    r = client.get("/search", params={"q": "steady", "cursor": "20"}, headers={"HX-Request": "true"})
    assert r.status_code == 429 and r.headers["HX-Retarget"] == "#search-results"
    get_settings.cache_clear()


def test_every_page_has_a_labelled_search_form_in_the_header(client):
    html = client.get("/guidelines").text
    form = one(html, "header form.site-search")
    assert (form["role"], form["method"], form["action"]) == ("search", "get", "/search")
    field = one(form, 'input[name="q"]')
    assert field["type"] == "search" and field["id"] == "site-search-q"
    assert one(form, 'label[for="site-search-q"]').get_text().strip()


def test_the_only_safe_filter_in_the_templates_is_the_sanitised_post_body():
    uses = []
    for path in Path(PROJECT_ROOT, "templates").rglob("*.html"):
        uses += re.findall(r"\{\{[^}]*\|\s*safe[^}]*\}\}", path.read_text())
    assert uses and set(uses) == {"{{ post.body_html|safe }}"}


# --- the index itself -----------------------------------------------------------------------


def test_the_index_itself_holds_only_visible_posts(session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="Kept out", body=f"opening {w}")
    removed = posting.reply(session, thread_id=thread.id, author=author, body=f"removed {w}")
    _set_status(session, removed.id, "removed")
    if session.get_bind().dialect.name == "sqlite":
        indexed = set(
            session.scalars(text("SELECT rowid FROM post_search WHERE post_search MATCH :w"), {"w": w})
        )
        assert indexed == {opening_post(session, thread).id}
    else:
        definition = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_post_search'")
        )
        assert "WHERE ((status)::text = 'visible'::text)" in definition


def test_the_search_migration_indexes_existing_posts_and_goes_down_and_up(database_url, session):
    w = word()
    author = make_user(session)
    thread = make_thread(session, author, title="From before", body=f"older words {w}")
    session.close()
    db.reset_engine()
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["url"] = database_url
    command.downgrade(cfg, "0002")
    command.upgrade(cfg, "head")
    command.check(cfg)
    with db.new_session() as fresh:
        assert found_ids(fresh, w) == [opening_post(fresh, thread).id]
