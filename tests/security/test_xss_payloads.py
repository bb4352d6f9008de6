"""The XSS corpus (tests/xss-payloads.json, 911 payloads) through every text field over HTTP; each page
that shows the field is re-parsed with BeautifulSoup and must hold nothing active (tests/security/inert.py).

Payloads are batched to each field's limit (a body carries many, a title as many as fit in 150)."""

import json
from pathlib import Path

from sqlalchemy import select

from app import db
from app.models import Post, Report
from app.services import appeals, posting
from app.services import decisions as decisions_service
from tests.factories import PASSPHRASE, join_via_http, make_moderator, make_thread, make_user, opening_post
from tests.html import parse
from tests.http import csrf_of
from tests.security.inert import hx_shapes, problems

PAYLOADS = [
    item["payload"] for item in json.loads((Path(__file__).parents[1] / "xss-payloads.json").read_text())
]
SHORT = [p for p in PAYLOADS if len(p) <= 120][:320]  # for the short fields (title, note, reason, name)
BENIGN = "Plain words, nothing more"
OURS = {("div", "hx-disable", "")}  # the templates' own wrapper around every rendered body


def batches(payloads: list[str], limit: int, *, sep: str = " ") -> list[str]:
    """Consecutive payloads joined with `sep`, each batch at most `limit` characters."""
    out, current = [], ""
    for p in payloads:
        p = p[:limit]
        if current and len(current) + len(sep) + len(p) > limit:
            out.append(current)
            current = ""
        current = f"{current}{sep}{p}" if current else p
    if current:
        out.append(current)
    return out


def assert_inert(html: str, baseline: set, where: str) -> None:
    found = problems(html, baseline=baseline)
    assert not found, f"{where}: {found[:5]}"


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 300 and len(SHORT) >= 300


def test_titles_bodies_and_content_notes_stay_inert_on_the_thread_and_front_pages(client):
    join_via_http(client)
    token = csrf_of(client, "/new")
    form = {"category": "general", "csrf_token": token}
    start = client.post("/new", data={**form, "title": BENIGN, "body": BENIGN, "content_note": "relapse"})
    assert start.status_code == 303
    thread_base = hx_shapes(parse(client.get(start.headers["location"]).text))
    front_base = hx_shapes(parse(client.get("/").text))
    titles = [f"T: {b}" for b in batches(SHORT, posting.TITLE_MAX - 3)]
    notes = batches(SHORT, posting.NOTE_MAX)
    bodies = batches(PAYLOADS, 4000, sep="\n\n")
    sent = 0
    for i, title in enumerate(titles):
        data = {
            **form,
            "title": title,
            "body": bodies[i % len(bodies)],
            "content_note": notes[i % len(notes)],
        }
        r = client.post("/new", data=data)
        if r.status_code == 422:  # refused (the form back with what was typed): that page must be inert too
            assert_inert(
                r.text, thread_base | hx_shapes(parse(client.get("/new").text)), f"422 for {title!r}"
            )
            continue
        assert r.status_code == 303, r.text
        sent += 1
        page = client.get(r.headers["location"], params={"show": ""})
        assert page.status_code == 200
        assert_inert(page.text, thread_base, title)
    for rest in bodies[len(titles) :]:  # the bodies not yet sent go in as replies
        r = client.post(f"{start.headers['location']}/reply", data={"body": rest, "csrf_token": token})
        assert r.status_code == 303, r.text
    assert_inert(client.get(start.headers["location"]).text, thread_base, "replies")
    front = client.get("/")
    pager = parse(front.text).select_one("nav a[hx-get], a[hx-push-url]")  # "Older threads", ours
    assert_inert(front.text, front_base | hx_shapes(parse(str(pager))) if pager else front_base, "front")
    assert sent >= len(titles) // 2
    with db.new_session() as s:
        assert s.scalar(select(Post.id).where(Post.body_html.contains("<script"))) is None


def _reported_posts(session, count: int):
    author = make_user(session, "Writer-Xss")
    return author, [
        opening_post(session, make_thread(session, author, title=f"Post {i}")) for i in range(count)
    ]


def test_report_notes_and_moderator_reasons_stay_inert_in_the_queue_the_log_and_the_notices(
    session, browsers
):
    notes = batches(SHORT, 1000)
    reasons = batches(SHORT, decisions_service.REASON_MAX)
    author, posts = _reported_posts(session, max(len(notes), len(reasons)) + 1)
    make_user(session, "Reporter-Xss")
    mod = make_moderator(session, "Mod-Xss")
    session.commit()
    reporter, moderator = browsers("Reporter-Xss"), browsers(mod.pseudonym)
    token = csrf_of(reporter)
    first, *posts = posts
    r = reporter.post(f"/p/{first.id}/report", data={"reason": "unkind", "note": BENIGN, "csrf_token": token})
    queue_base = hx_shapes(parse(moderator.get("/mod").text))  # the queue's own hx, one report shown
    for post, note in zip(posts, notes + [BENIGN] * len(posts), strict=False):
        r = reporter.post(
            f"/p/{post.id}/report", data={"reason": "unkind", "note": note, "csrf_token": token}
        )
        assert r.status_code == 303, r.text
    queue = moderator.get("/mod")
    assert queue.status_code == 200
    assert_inert(queue.text, queue_base, "/mod")
    with db.new_session() as s:
        report_ids = s.scalars(select(Report.id).order_by(Report.id)).all()
    token = csrf_of(moderator)
    for report_id, reason in zip(report_ids, reasons, strict=False):
        r = moderator.post(
            f"/mod/reports/{report_id}", data={"action": "hide", "reason": reason, "csrf_token": token}
        )
        assert r.status_code in (303, 422), r.text
        assert r.status_code == 303 or not problems(r.text, baseline=hx_shapes(parse(r.text)))
    log = moderator.get("/mod/log")
    assert log.status_code == 200
    assert_inert(log.text, hx_shapes(parse(log.text)), "/mod/log")  # the log writes no hx from its rows
    notices = browsers(author.pseudonym).get("/me/notifications")
    assert_inert(notices.text, hx_shapes(parse(notices.text)), "/me/notifications")


def test_talk_messages_stay_inert_for_the_member_and_the_team(session, browsers):
    make_user(session, "Talker-Xss")
    mod = make_moderator(session, "Mod-Talk")
    session.commit()
    member, moderator = browsers("Talker-Xss"), browsers(mod.pseudonym)
    base = hx_shapes(parse(member.get("/talk").text)) | OURS
    token = csrf_of(member, "/talk")
    messages = batches(PAYLOADS, 4000, sep="\n\n")
    for body in messages:
        r = member.post("/talk", data={"body": body, "csrf_token": token})
        assert r.status_code == 303, r.text
    assert_inert(member.get("/talk").text, base, "/talk")
    listing = moderator.get("/mod/talk")
    conversation = parse(listing.text).select_one('a[href^="/mod/talk/"]')["href"]
    page = moderator.get(conversation)
    team_base = hx_shapes(parse(page.text)) | OURS  # read before any team answer: the page's own hx
    r = moderator.post(conversation, data={"body": messages[0], "csrf_token": csrf_of(moderator)})
    assert r.status_code == 303, r.text
    assert_inert(moderator.get(conversation).text, team_base, conversation)
    assert_inert(member.get("/talk").text, base, "/talk after the answer")


def test_appeal_notes_stay_inert_in_the_queue(session, browsers):
    notes = batches(SHORT, appeals.NOTE_MAX)
    writer = make_user(session, "Appealer-Xss")
    mod, other = make_moderator(session, "Mod-Decider"), make_moderator(session, "Mod-Hearer")
    reporter = make_user(session, "Reporter-Two")
    posts = []
    for i in range(len(notes) + 1):
        post = opening_post(session, make_thread(session, writer, title=f"Appealed {i}"))
        from app.services import reporting

        found = reporting.report(session, post=post, reporter=reporter, reason="unkind", note="").report
        decisions_service.decide(session, report_id=found.id, moderator=mod, action="remove", reason="Harsh")
        posts.append(post)
    session.commit()
    client = browsers(writer.pseudonym)
    hearer = browsers(other.pseudonym)
    token = csrf_of(client)
    r = client.post(f"/p/{posts[0].id}/appeal", data={"note": BENIGN, "csrf_token": token})
    base = hx_shapes(parse(hearer.get("/mod").text))  # the queue's own hx, one appeal shown
    for post, note in zip(posts[1:], notes, strict=False):
        r = client.post(f"/p/{post.id}/appeal", data={"note": note, "csrf_token": token})
        assert r.status_code == 303, r.text
    queue = hearer.get("/mod")
    assert_inert(queue.text, base, "/mod with appeals")


def test_pseudonyms_from_the_corpus_are_refused_or_shown_inert(app, client):
    from fastapi.testclient import TestClient

    accepted = 0
    join_base = hx_shapes(parse(client.get("/join").text))
    for name in SHORT:
        with TestClient(app, follow_redirects=False) as c:
            data = {
                "pseudonym": name,
                "passphrase": PASSPHRASE,
                "guidelines": "yes",
                "csrf_token": csrf_of(c, "/join"),
            }
            r = c.post("/join", data=data)
            assert r.status_code in (200, 422), r.text
            accepted += r.status_code == 200
            assert_inert(
                r.text,
                join_base | hx_shapes(parse(r.text)) - {s for s in hx_shapes(parse(r.text)) if "<" in s[2]},
                repr(name),
            )
    assert client.get("/guidelines").status_code == 200
