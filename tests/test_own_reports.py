"""'Your reports' on /me: each report a member made, its state and outcome, no moderator named."""

from sqlalchemy import select

from app.models import Post, Report, User
from app.services import decisions, posting
from tests import queries
from tests.factories import (
    join_via_http,
    load,
    make_thread,
    make_user,
    opening_post,
    report,
    start_thread_via_http,
)
from tests.html import by_id, parse
from tests.http import csrf_of, htmx, submit

MEMBER = "Careful-Reader"


def _post(session, author, words: str, title: str = "A hard week") -> Post:
    found = opening_post(session, make_thread(session, author, title=title, body=words))
    session.commit()
    return found


def _me(session) -> User:
    session.rollback()
    return session.scalar(select(User).where(User.pseudonym == MEMBER))


def _report_over_http(client, post: Post, *, with_htmx: bool = False, reason: str = "unkind") -> None:
    token = csrf_of(client)
    if with_htmx:
        response = client.post(f"/p/{post.id}/report", data={"reason": reason}, headers=htmx(token))
        assert response.status_code == 200
    else:
        response = client.post(f"/p/{post.id}/report", data={"reason": reason, "csrf_token": token})
        assert response.status_code == 303


def load_reports(session, member: User) -> list[Report]:
    found = list(session.scalars(select(Report).where(Report.reporter_id == member.id).order_by(Report.id)))
    session.commit()
    return found


def _your_reports(client) -> list[str]:
    """Each listed report's text, in the order /me lists them."""
    section = by_id(parse(client.get("/me").text), "your-reports")
    return [li.get_text(" ", strip=True) for li in section.select("li.your-report")]


def test_with_no_reports_me_says_so(client):
    join_via_http(client, MEMBER)
    section = by_id(parse(client.get("/me").text), "your-reports")
    assert "You have not reported anything." in section.get_text()


def test_reports_sent_with_and_without_js_are_listed_open_and_newest_first(session, client, author):
    join_via_http(client, MEMBER)
    first = _post(session, author, "The first story.", title="First thread")
    second = _post(session, author, "The second story.", title="Second thread")
    _report_over_http(client, first)
    _report_over_http(client, second, with_htmx=True, reason="spam")

    listed = _your_reports(client)

    assert len(listed) == 2
    assert "“Second thread”" in listed[0] and "Spam or selling" in listed[0]
    assert "“First thread”" in listed[1] and "Unkind or harassing" in listed[1]
    assert all("Open: waiting for a moderator." in item for item in listed)
    assert "The first story." in listed[1]


def test_a_post_hidden_by_reports_says_it_waits_for_a_moderator(session, client, author):
    join_via_http(client, MEMBER)
    post = _post(session, author, "Words several members reported.")
    report(session, post, make_user(session))
    report(session, post, make_user(session))
    _report_over_http(client, post)
    report(session, post, make_user(session))  # the third established member hides it

    [item] = _your_reports(client)
    assert "Open: the post was hidden while it waits for a moderator." in item


def test_outcomes_say_what_a_moderator_decided_without_naming_them(session, client, author, mod):
    join_via_http(client, MEMBER)
    removed = _post(session, author, "Doxxing words that were removed.", title="Removed one")
    kept = _post(session, author, "Words a moderator kept up.", title="Kept one")
    hid = _post(session, author, "Words a moderator hid.", title="Hidden one")
    for post in (removed, kept, hid):
        _report_over_http(client, post)
    me = _me(session)
    for post, action in ((removed, "remove"), (kept, "dismiss"), (hid, "hide")):
        mine = next(r for r in load_reports(session, me) if r.post_id == post.id)
        decisions.decide(session, report_id=mine.id, moderator=mod, action=action, reason="Decided.")

    listed = {item.split("”")[0].split("“")[1]: item for item in _your_reports(client)}

    assert "Reviewed: a moderator reviewed it and removed the post." in listed["Removed one"]
    assert "Reviewed: a moderator reviewed it and kept it up." in listed["Kept one"]
    assert "Reviewed: a moderator reviewed it and hid the post." in listed["Hidden one"]
    assert "Doxxing words" not in listed["Removed one"]  # a removed post's words stay unseen
    assert "Words a moderator kept up." in listed["Kept one"]
    page = client.get("/me").text
    assert "Mod-Willow" not in page and "Decided." not in page


def test_a_post_erased_since_shows_none_of_its_words(session, client, author):
    join_via_http(client, MEMBER)
    post = _post(session, author, "Words the author took back.")
    _report_over_http(client, post)
    posting.delete(session, post=load(Post, post.id), author=load(User, author.id))

    [item] = _your_reports(client)
    assert "The author has since erased this post." in item
    assert "Words the author took back." not in client.get("/me").text


def test_what_a_member_sent_only_to_the_moderators_is_not_listed_as_a_report(client):
    join_via_http(client, MEMBER)
    path = start_thread_via_http(client)
    body = "I can't go on. I relapsed again and I want to die tonight."
    submit(client, f"{path}/reply", {"body": body, "confirm": "moderators"}, page=path)
    assert by_id(parse(client.get("/me").text), "sent-to-moderators")  # it is shown there instead
    assert _your_reports(client) == []


def test_me_sends_the_same_number_of_queries_with_no_report_or_many(session, client, author, mod):
    join_via_http(client, MEMBER)
    client.get("/me")  # warm caches (settings, templates)
    none = queries.count(lambda: client.get("/me"))
    posts = [_post(session, author, f"Story {n}.", title=f"Thread {n}") for n in range(5)]
    for post in posts:
        _report_over_http(client, post)
    mine = load_reports(session, _me(session))
    decisions.decide(session, report_id=mine[0].id, moderator=mod, action="remove")
    decisions.decide(session, report_id=mine[1].id, moderator=mod, action="dismiss")

    assert len(_your_reports(client)) == 5
    assert queries.count(lambda: client.get("/me")) == none


def test_the_export_says_each_reports_outcome(session, client, author, mod):
    join_via_http(client, MEMBER)
    removed = _post(session, author, "To be removed.")
    waiting = _post(session, author, "Still waiting.")
    _report_over_http(client, removed)
    _report_over_http(client, waiting)
    first = next(r for r in load_reports(session, _me(session)) if r.post_id == removed.id)
    decisions.decide(session, report_id=first.id, moderator=mod, action="remove")

    made = client.get("/me/export").json()["reports_made"]

    assert [(r["post_id"], r["status"], r["outcome"]) for r in made] == [
        (removed.id, "actioned", "a moderator reviewed it and removed the post"),
        (waiting.id, "open", "waiting for a moderator"),
    ]
