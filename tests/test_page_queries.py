"""Each page type costs a fixed number of queries, the same for one row shown as for a full page.

The numbers are exact: a new query on a page is a decision, made here in the open. On SQLite each
transaction's BEGIN is counted too (tests/queries.py).
"""

import pytest

from app.services import appeals, claims, decisions, posting, reactions, reading
from tests import queries
from tests.engines import ENGINE
from tests.factories import make_moderator, make_thread, make_user, opening_post, report
from tests.http import csrf_of

# Transactions a page opens: a visitor's only the page's; a member's, identify's and the page's.
VISITOR_BEGINS, MEMBER_BEGINS = (1, 2) if ENGINE == "sqlite" else (0, 0)
FULL_PAGE = 25  # more than a page (20) of threads, posts or reported posts


def _cost(client, path: str) -> int:
    # A first visit may write (a member's read marker moves); the page as read again is what counts.
    assert client.get(path).status_code == 200
    return queries.count(lambda: client.get(path))


def _replies(session, thread, authors, count: int) -> None:
    for i in range(count):
        post = posting.reply(
            session, thread_id=thread.id, author=authors[i % len(authors)], body=f"Reply {i}: **yes**."
        )
        for member in authors[: i % len(authors) + 1]:
            reactions.toggle(
                session, post_id=post.id, user=member, kind=reactions.KINDS[i % len(reactions.KINDS)].value
            )


@pytest.mark.parametrize(("path", "queries_sent"), [("/", 2), ("/c/stories", 3)])
def test_a_list_page_costs_the_same_queries_for_one_thread_as_for_a_full_page(
    client, session, path, queries_sent
):
    author = make_user(session)
    make_thread(session, author)
    one = _cost(client, path)
    for i in range(FULL_PAGE):
        make_thread(session, make_user(session), title=f"Thread number {i}")
    assert _cost(client, path) == one == queries_sent + VISITOR_BEGINS


def test_a_thread_page_costs_the_same_queries_for_one_post_as_for_a_full_page(client, session):
    authors = [make_user(session) for _ in range(3)]
    thread = make_thread(session, authors[0])
    one = _cost(client, f"/t/{thread.id}")
    _replies(session, thread, authors, FULL_PAGE)
    assert _cost(client, f"/t/{thread.id}") == one == 2 + VISITOR_BEGINS


def test_a_members_thread_page_costs_the_same_queries_with_their_own_posts_and_reactions(session, browsers):
    me = make_user(session, "Reading-Member")
    others = [make_user(session) for _ in range(2)]
    thread = make_thread(session, others[0])
    reader = browsers("Reading-Member")
    one = _cost(reader, f"/t/{thread.id}")
    _replies(session, thread, [me, *others], 2 * FULL_PAGE)
    first, last = f"/t/{thread.id}", f"/t/{thread.id}?after={reading.page_start_for(2 * FULL_PAGE)}"
    # Only a thread's last page reads the member's read marker (to move it when they reach the end).
    assert _cost(reader, last) == one == 6 + MEMBER_BEGINS
    assert _cost(reader, first) == 5 + MEMBER_BEGINS


def test_the_moderators_queue_costs_the_same_queries_for_one_reported_post_as_for_a_full_page(
    session, browsers
):
    mod = make_moderator(session, "Mod-Willow")
    reporters = [make_user(session) for _ in range(2)]
    author = make_user(session)
    report(session, opening_post(session, make_thread(session, author)), reporters[0])
    moderator = browsers("Mod-Willow")
    one = _cost(moderator, "/mod")
    for i in range(FULL_PAGE):
        post = opening_post(session, make_thread(session, make_user(session), title=f"Reported {i}"))
        for reporter in reporters[: i % 2 + 1]:
            report(session, post, reporter, note=f"note {i}")
    assert _cost(moderator, "/mod") == one == 4 + MEMBER_BEGINS
    # Claims and appeals ride in the same queries.
    at_risk = report(
        session, opening_post(session, make_thread(session, author)), reporters[1], reason="at_risk"
    )
    claims.claim(session, report_id=at_risk.report.id, moderator=mod, level="medium")
    removed = opening_post(session, make_thread(session, author, title="Removed"))
    decisions.decide(
        session, report_id=report(session, removed, reporters[0]).report.id, moderator=mod, action="remove"
    )
    appeals.appeal_post(session, post=removed, author=author, note="Please look again")
    assert _cost(moderator, "/mod") == one
    shown = moderator.get("/mod").text
    assert "Mod-Willow</strong> is reaching out" in shown and "Please look again" in shown


# On SQLite: identify's BEGIN and its read; then the write's BEGIN IMMEDIATE (COMMIT is not a statement).
WRITE_BEGINS = 2 if ENGINE == "sqlite" else 0


def test_the_benchmarked_writes_cost_the_same_statements_for_one_recipient_as_for_many(session, browsers):
    """A reaction: the member, then the post read, pressed kinds, INSERT, recount in one write. A reply:
    the member, then the thread's bump, the post, who hears of it, their notices replaced, their counts."""
    make_user(session, "Writing-Member")
    authors = [make_user(session) for _ in range(FULL_PAGE)]
    thread = make_thread(session, authors[0])
    post_id = opening_post(session, thread).id
    writer = browsers("Writing-Member")
    token = csrf_of(writer, f"/t/{thread.id}")

    def react():
        assert writer.post(f"/p/{post_id}/react/hug", data={"csrf_token": token}).status_code == 303

    def reply():
        assert (
            writer.post(f"/t/{thread.id}/reply", data={"body": "With you.", "csrf_token": token}).status_code
            == 303
        )

    assert queries.count(react) == 5 + WRITE_BEGINS
    one = queries.count(reply)
    session.commit()  # the test's own read ends: its writes follow the app's
    for author in authors[1:]:
        posting.reply(session, thread_id=thread.id, author=author, body="Here too.")
    assert queries.count(reply) == one == 7 + WRITE_BEGINS
