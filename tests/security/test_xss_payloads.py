"""The XSS corpus (tests/xss-payloads.json, 911 payloads) through every text field over HTTP; each page
that shows the field is re-parsed with BeautifulSoup and must hold nothing active (tests/security/inert.py).

Payloads are batched to each field's limit (a body carries many, a title as many as fit in 150); a
payload longer than a field's limit goes in cut to it. Each test counts the payloads each field
carried (SENT, printed with -s) and asserts that every one passed through every field it tests.
The new hx-* attributes are judged against the same page shown with harmless text."""

import json
from collections import Counter
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


SENT: Counter[str] = Counter()  # field -> payloads it carried, over the run


class Batch(str):
    """Consecutive payloads joined into one field value; `.payloads` says how many it holds."""

    payloads: int


def batches(payloads: list[str], limit: int, *, sep: str = " ") -> list[Batch]:
    """Consecutive payloads joined with `sep`, each batch at most `limit` characters."""
    groups: list[list[str]] = [[]]
    for p in payloads:
        p = p[:limit]
        if groups[-1] and len(sep.join([*groups[-1], p])) > limit:
            groups.append([])
        groups[-1].append(p)
    out = []
    for group in groups:
        batch = Batch(sep.join(group))
        batch.payloads = len(group)
        out.append(batch)
    return out


def sent(field: str, batch: str) -> None:
    SENT[field] += batch.payloads if isinstance(batch, Batch) else 1


def assert_all_sent(expected: dict[str, int]) -> None:
    for field, count in expected.items():
        print(f"payloads through {field}: {SENT[field]}")
        assert SENT[field] == count, field


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
    titles = batches(SHORT, posting.TITLE_MAX - 3)
    notes = batches(SHORT, posting.NOTE_MAX)
    bodies = batches(PAYLOADS, 4000, sep="\n\n")
    stored = 0
    rounds = max(len(titles), len(notes))  # every title and every note goes out at least once
    for i in range(rounds):
        title, body, note = titles[i % len(titles)], bodies[i % len(bodies)], notes[i % len(notes)]
        data = {**form, "title": f"T: {title}", "body": body, "content_note": note}
        r = client.post("/new", data=data)
        for field, batch, first in (("title", title, len(titles)), ("body", body, len(bodies)),
                                    ("content note", note, len(notes))):  # fmt: skip
            if i < first:
                sent(field, batch)
        if r.status_code == 422:  # refused (the form back with what was typed): that page must be inert too
            assert_inert(
                r.text, thread_base | hx_shapes(parse(client.get("/new").text)), f"422 for {title!r}"
            )
            continue
        assert r.status_code == 303, r.text
        stored += 1
        page = client.get(r.headers["location"], params={"show": ""})
        assert page.status_code == 200
        assert_inert(page.text, thread_base, title)
    for rest in bodies[rounds:]:  # the bodies not yet sent go in as replies
        r = client.post(f"{start.headers['location']}/reply", data={"body": rest, "csrf_token": token})
        assert r.status_code == 303, r.text
        sent("body", rest)
    assert_inert(client.get(start.headers["location"]).text, thread_base, "replies")
    front = client.get("/")
    pager = parse(front.text).select_one("nav a[hx-get], a[hx-push-url]")  # "Older threads", ours
    assert_inert(front.text, front_base | hx_shapes(parse(str(pager))) if pager else front_base, "front")
    assert stored >= rounds // 2
    with db.new_session() as s:
        assert s.scalar(select(Post.id).where(Post.body_html.contains("<script"))) is None
    assert_all_sent({"title": len(SHORT), "content note": len(SHORT), "body": len(PAYLOADS)})


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
    mod_token = csrf_of(moderator)
    with db.new_session() as s:
        (first_report,) = s.scalars(select(Report.id)).all()
    r = moderator.post(
        f"/mod/reports/{first_report}", data={"action": "hide", "reason": BENIGN, "csrf_token": mod_token}
    )
    assert r.status_code == 303, r.text
    # The log and the notices with a harmless reason: their hx must be the same with the payloads.
    writer = browsers(author.pseudonym)
    pages = ((moderator, "/mod/log"), (writer, "/me/notifications"), (reporter, "/me/notifications"))
    bases = [hx_shapes(parse(who.get(path).text)) for who, path in pages]
    for post, note in zip(posts, notes + [BENIGN] * len(posts), strict=False):
        r = reporter.post(
            f"/p/{post.id}/report", data={"reason": "unkind", "note": note, "csrf_token": token}
        )
        assert r.status_code == 303, r.text
        if isinstance(note, Batch):  # not the harmless padding
            sent("report note", note)
    queue = moderator.get("/mod")
    assert queue.status_code == 200
    assert_inert(queue.text, queue_base, "/mod")
    with db.new_session() as s:
        report_ids = s.scalars(select(Report.id).where(Report.id != first_report).order_by(Report.id)).all()
    form_base = None
    for report_id, reason in zip(report_ids, reasons, strict=False):
        r = moderator.post(
            f"/mod/reports/{report_id}", data={"action": "hide", "reason": reason, "csrf_token": mod_token}
        )
        assert r.status_code in (303, 422), r.text
        sent("moderator reason", reason)
        if r.status_code == 422:  # the decision form back with the reason: as inert as the queue
            form_base = form_base or hx_shapes(parse(moderator.get("/mod").text))
            assert_inert(r.text, form_base | queue_base, f"422 for {reason[:40]!r}")
    for (who, path), base in zip(pages, bases, strict=True):
        page = who.get(path)
        assert page.status_code == 200
        assert_inert(page.text, base, path)
        assert hx_shapes(parse(page.text)) == base, path
    assert_all_sent({"report note": len(SHORT), "moderator reason": len(SHORT)})


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
        sent("talk (member)", body)
    assert_inert(member.get("/talk").text, base, "/talk")
    listing = moderator.get("/mod/talk")
    conversation = parse(listing.text).select_one('a[href^="/mod/talk/"]')["href"]
    page = moderator.get(conversation)
    team_base = hx_shapes(parse(page.text)) | OURS  # read before any team answer: the page's own hx
    token = csrf_of(moderator)
    for body in messages:
        r = moderator.post(conversation, data={"body": body, "csrf_token": token})
        assert r.status_code == 303, r.text
        sent("talk (team)", body)
    assert_inert(moderator.get(conversation).text, team_base, conversation)
    assert_inert(member.get("/talk").text, base, "/talk after the answers")
    assert_all_sent({"talk (member)": len(PAYLOADS), "talk (team)": len(PAYLOADS)})


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
    for post, note in zip(posts[1:], notes, strict=True):
        r = client.post(f"/p/{post.id}/appeal", data={"note": note, "csrf_token": token})
        assert r.status_code == 303, r.text
        sent("appeal note", note)
    queue = hearer.get("/mod")
    assert_inert(queue.text, base, "/mod with appeals")
    assert_all_sent({"appeal note": len(SHORT)})


def test_pseudonyms_from_the_corpus_are_refused_or_shown_inert(app, client):
    from fastapi.testclient import TestClient

    def join(name: str):
        c = TestClient(app, follow_redirects=False)
        data = {
            "pseudonym": name,
            "passphrase": PASSPHRASE,
            "guidelines": "yes",
            "csrf_token": csrf_of(c, "/join"),
        }
        return c, c.post("/join", data=data)

    # The same pages with a harmless name: the welcome and the front page it leads to, and the refusal.
    c, welcome = join("Plain-Name")
    bases = {200: hx_shapes(parse(welcome.text)), 422: hx_shapes(parse(join("x")[1].text))}
    front_base = hx_shapes(parse(c.get("/").text))
    accepted = 0
    for name in SHORT:
        c, r = join(name)
        with c:
            assert r.status_code in (200, 422), r.text
            sent("pseudonym", name)
            assert_inert(r.text, bases[r.status_code], repr(name))
            assert hx_shapes(parse(r.text)) == bases[r.status_code], repr(name)
            if r.status_code == 200:  # the name is in the header of every page from now on
                accepted += 1
                front = c.get("/")
                assert_inert(front.text, front_base, f"/ as {name!r}")
                assert hx_shapes(parse(front.text)) == front_base, repr(name)
    print(f"pseudonyms accepted: {accepted} of {len(SHORT)}")
    assert_all_sent({"pseudonym": len(SHORT)})
    assert client.get("/guidelines").status_code == 200
