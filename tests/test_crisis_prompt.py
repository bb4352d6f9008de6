"""The prompt on the compose forms, and posts sent only to the moderators (through the real app)."""

import random
import string

from sqlalchemy import func, select

from app.models import Post, PostStatus, Report, ReportStatus, Thread
from app.services import decisions, posting, reporting
from tests import queries
from tests.factories import join_via_http, load, make_moderator, make_thread, make_user, start_thread_via_http
from tests.html import by_id, form_values, has_id, parse, root
from tests.http import csrf_of, htmx, submit

AT_RISK = "I can't go on. I relapsed again and I want to die tonight."


def word() -> str:
    """A word no other test uses, so a search finds only what this test wrote."""
    return "".join(random.choices(string.ascii_lowercase, k=12))


def _thread_form(**fields: str) -> dict[str, str]:
    return {
        "title": "A bad night",
        "body": AT_RISK,
        "category": "need-support-now",
        "content_note": "",
        **fields,
    }


def _confirm_buttons(form) -> list[tuple[str, str]]:
    return [(b["value"], b.get_text(strip=True)) for b in form.select('button[name="confirm"]')]


def _shows(reader, page: str, secret: str) -> bool:
    """Whether a reader's page shows the words (a search page's own query does not count)."""
    html = reader.get(page).text
    if page.startswith("/search"):
        html = " ".join(hit.get_text() for hit in parse(html).select("li.search-hit"))
    return secret in html


def _posts(session) -> int:
    session.rollback()  # a fresh read: the test's session must not see an old snapshot
    return session.scalar(select(func.count()).select_from(Post))


# --- the prompt -------------------------------------------------------------------------------


def test_a_new_thread_that_suggests_danger_comes_back_once_without_js_with_help_and_nothing_stored(
    client, session
):
    join_via_http(client)
    r = submit(client, "/new", _thread_form(content_note="relapse, dark thoughts"), page="/new")
    assert r.status_code == 200
    page = parse(r.text)
    form = by_id(page, "thread-form")
    kept = form_values(form)
    assert (kept["title"], kept["body"], kept["content_note"]) == (
        "A bad night",
        AT_RISK,
        "relapse, dark thoughts",
    )
    assert _confirm_buttons(form) == [("post", "Post it"), ("moderators", "Send it only to the moderators")]
    check = by_id(form, "thread-form-check")
    assert check.select(".crisis-lines li.crisis-line")  # the crisis lines sit above the typed words
    assert form.find("a", href="#thread-form-body").get_text(strip=True) == "Keep editing"
    assert not form.select('button[type="submit"]:not([name])')  # only the two choices go on
    assert _posts(session) == 0 and session.scalar(select(Thread.id)) is None


def test_the_prompt_with_htmx_is_the_form_fragment_swapped_in_place(client, session):
    join_via_http(client)
    token = csrf_of(client, "/new")
    r = client.post("/new", data=_thread_form(), headers=htmx(token))
    assert r.status_code == 200
    assert root(r.text) == "form#thread-form"
    assert r.headers["HX-Retarget"] == "#thread-form" and r.headers["Vary"] == "HX-Request"
    assert len(_confirm_buttons(parse(r.text))) == 2
    assert _posts(session) == 0


def test_a_reply_that_suggests_danger_is_asked_about_with_and_without_js(client, session):
    join_via_http(client)
    path = start_thread_via_http(client)
    plain = submit(client, f"{path}/reply", {"body": AT_RISK, "content_note": "sad"}, page=path)
    assert plain.status_code == 200 and parse(plain.text).html
    form = by_id(plain.text, "reply-form")
    assert form_values(form)["body"] == AT_RISK and form_values(form)["content_note"] == "sad"
    assert len(_confirm_buttons(form)) == 2 and has_id(form, "reply-form-check")
    fragment = client.post(f"{path}/reply", data={"body": AT_RISK}, headers=htmx(csrf_of(client, path)))
    assert fragment.status_code == 200 and root(fragment.text) == "form#reply-form"
    assert fragment.headers["HX-Retarget"] == "#reply-form"
    assert _posts(session) == 1  # the opening post only


def test_post_it_publishes_once_without_a_second_prompt(client, session):
    join_via_http(client)
    r = submit(client, "/new", _thread_form(confirm="post"), page="/new")
    assert r.status_code == 303
    thread = session.scalar(select(Thread))
    assert r.headers["location"] == f"/t/{thread.id}"
    assert thread.status == PostStatus.visible and _posts(session) == 1
    path = r.headers["location"]
    reply = submit(client, f"{path}/reply", {"body": AT_RISK, "confirm": "post"}, page=path)
    assert reply.status_code == 303 and _posts(session) == 2
    assert "want to die tonight" in client.get(path).text


def test_post_it_with_htmx_adds_the_reply_to_the_thread(client, session):
    join_via_http(client)
    path = start_thread_via_http(client)
    r = client.post(
        f"{path}/reply", data={"body": AT_RISK, "confirm": "post"}, headers=htmx(csrf_of(client, path))
    )
    assert r.status_code == 200 and "want to die tonight" in r.text
    assert _posts(session) == 2


def test_an_ordinary_draft_posts_without_a_prompt(client, session):
    join_via_http(client)
    r = submit(client, "/new", _thread_form(body="The craving hit hard tonight but I called my sponsor."))
    assert r.status_code == 303 and _posts(session) == 1


def test_a_confirm_value_other_than_the_two_is_refused_with_422_and_the_text_kept(client, session):
    join_via_http(client)
    r = submit(client, "/new", _thread_form(confirm="later"), page="/new")
    assert r.status_code == 422
    form = by_id(r.text, "thread-form")
    assert form_values(form)["body"] == AT_RISK and "Post it" in form.get_text()
    assert by_id(form, "thread-form-confirm-error")
    path = start_thread_via_http(client)
    fragment = client.post(
        f"{path}/reply", data={"body": "kept", "confirm": "x"}, headers=htmx(csrf_of(client, path))
    )
    assert fragment.status_code == 422 and root(fragment.text) == "form#reply-form"
    assert form_values(parse(fragment.text))["body"] == "kept"
    assert _posts(session) == 1


def test_a_prompt_does_not_use_up_the_rate_limit(client, session, limits_on):
    join_via_http(client)
    path = start_thread_via_http(client)
    token = csrf_of(client, path)
    asked = client.post(f"{path}/reply", data={"body": AT_RISK, "csrf_token": token})
    assert asked.status_code == 200
    # Replies are limited to one per 10 seconds: had the prompt counted, this would be 429.
    posted = client.post(f"{path}/reply", data={"body": AT_RISK, "confirm": "post", "csrf_token": token})
    assert posted.status_code == 303
    again = client.post(f"{path}/reply", data={"body": "one more", "csrf_token": token})
    assert again.status_code == 429  # the limit is on, and the real reply counted


# --- sent only to the moderators ----------------------------------------------------------------


def test_a_new_thread_sent_to_moderators_is_invisible_to_readers_everywhere(client, other_client, session):
    secret = word()
    author = join_via_http(client)
    r = submit(
        client,
        "/new",
        _thread_form(title=f"Tonight {secret}", body=f"{AT_RISK} {secret}", confirm="moderators"),
        page="/new",
    )
    assert r.status_code == 303 and r.headers["location"] == "/me#sent-to-moderators"
    thread = session.scalar(select(Thread))
    post = session.scalar(select(Post))
    assert (thread.status, post.status) == (PostStatus.moderators_only, PostStatus.moderators_only)
    for reader in (other_client, client):
        for page in ("/", "/c/need-support-now", f"/search?q={secret}"):
            assert not _shows(reader, page, secret), page
        assert reader.get(f"/t/{thread.id}").status_code == 404
    me = client.get("/me").text
    assert "Only the moderators can read this. Someone will answer you privately." in me
    assert secret in by_id(me, "sent-to-moderators").get_text()
    assert secret not in by_id(me, "me-yours").get_text()  # not among "Your threads": it has no page
    assert author not in other_client.get("/").text


def test_a_reply_sent_to_moderators_does_not_put_the_thread_among_the_members_threads(
    client, other_client, session
):
    join_via_http(other_client)
    path = start_thread_via_http(other_client, title="Somebody else's evening")
    join_via_http(client)
    r = submit(client, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    assert r.status_code == 303
    yours = by_id(client.get("/me").text, "me-yours")
    assert not yours.find("a", href=path), "a private message to moderators is not a reply in the thread"


def test_a_reply_sent_to_moderators_stays_out_of_the_thread_its_counts_and_search(
    client, other_client, session
):
    secret = word()
    join_via_http(client)
    path = start_thread_via_http(client)
    before = session.scalar(select(Thread))
    r = submit(client, f"{path}/reply", {"body": f"{AT_RISK} {secret}", "confirm": "moderators"}, page=path)
    assert r.status_code == 303 and r.headers["location"] == "/me#sent-to-moderators"
    session.rollback()
    after = session.scalar(select(Thread))
    assert (after.reply_count, after.last_activity_at) == (before.reply_count, before.last_activity_at)
    for reader in (other_client, client):
        for page in (path, "/", f"/search?q={secret}"):
            assert not _shows(reader, page, secret), page
    post = session.scalar(select(Post).where(Post.status == PostStatus.moderators_only))
    assert post.position < 0


def test_sending_to_moderators_with_htmx_goes_to_the_members_page(client, session):
    join_via_http(client)
    path = start_thread_via_http(client)
    r = client.post(
        f"{path}/reply", data={"body": AT_RISK, "confirm": "moderators"}, headers=htmx(csrf_of(client, path))
    )
    assert r.status_code == 204 and r.headers["HX-Location"] == "/me#sent-to-moderators"


def test_what_was_sent_to_moderators_is_an_urgent_item_at_the_top_of_mod_with_its_text(session, browsers):
    author = make_user(session, "Writer-Ash")
    reporter = make_user(session)
    make_moderator(session, "Mod-Willow")
    older = make_thread(session, author, title="An older report", body="Some words")
    reporting.report(
        session,
        post=session.scalar(select(Post).where(Post.thread_id == older.id)),
        reporter=reporter,
        reason="spam",
    )
    writer = browsers("Writer-Ash")
    path = f"/t/{older.id}"
    submit(writer, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    item = session.scalar(select(Report).where(Report.reason == reporting.AT_RISK))
    assert (item.reporter_id, item.status, item.snapshot) == (author.id, ReportStatus.open, AT_RISK)
    queue = parse(browsers("Mod-Willow").get("/mod").text)
    groups = queue.select("section.report-group")
    assert "urgent" in groups[0]["class"] and AT_RISK.replace("'", "&#39;") not in str(groups[1])
    assert "want to die tonight" in groups[0].get_text()
    assert "sent only to the moderators" in groups[0].get_text()
    buttons = [b.get_text(strip=True) for b in groups[0].select('button[name="action"]')]
    assert buttons[0].startswith("No action needed")


def test_dismissing_it_means_no_action_needed_and_it_stays_private(session, browsers):
    make_user(session, "Writer-Ash")
    mod = make_moderator(session, "Mod-Willow")
    writer = browsers("Writer-Ash")
    path = start_thread_via_http(writer)
    submit(writer, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    item = session.scalar(select(Report))
    decision = decisions.decide(session, report_id=item.id, moderator=mod, action="dismiss")
    assert decision.private
    post = load(Post, item.post_id)
    assert post.status == PostStatus.moderators_only
    assert "Only the moderators can read this" in writer.get("/me").text


def test_the_author_can_post_it_to_the_thread_after_all_once(client, other_client, session):
    secret = word()
    join_via_http(client)
    path = start_thread_via_http(client)
    submit(client, f"{path}/reply", {"body": f"{AT_RISK} {secret}", "confirm": "moderators"}, page=path)
    post = session.scalar(select(Post).where(Post.status == PostStatus.moderators_only))
    form = by_id(client.get("/me").text, f"sent-p{post.id}").find("form")
    assert form["action"] == f"/p/{post.id}/publish" and "after all" in form.get_text()
    stranger = join_via_http(other_client)
    assert stranger
    refused = submit(other_client, f"/p/{post.id}/publish", {}, page="/")
    assert refused.status_code == 403
    r = submit(client, f"/p/{post.id}/publish", {}, page="/me")
    assert r.status_code == 303 and f"#p{post.id}" in r.headers["location"]
    session.rollback()
    thread = session.scalar(select(Thread))
    published = session.get(Post, post.id)
    assert (published.status, published.position, thread.reply_count) == (PostStatus.visible, 1, 1)
    assert thread.last_activity_at == published.created_at
    assert _shows(other_client, path, secret) and _shows(other_client, f"/search?q={secret}", secret)
    assert "Only the moderators can read this" not in client.get("/me").text
    again = submit(client, f"/p/{post.id}/publish", {}, page="/me")
    assert again.status_code == 409
    assert session.scalar(select(Report.status)) == ReportStatus.open  # the moderators still reach out


def test_a_new_thread_posted_after_all_is_listed_and_searchable(client, other_client, session):
    secret = word()
    join_via_http(client)
    submit(client, "/new", _thread_form(title=f"Night {secret}", confirm="moderators"), page="/new")
    post = session.scalar(select(Post))
    token = csrf_of(client, "/me")
    r = client.post(f"/p/{post.id}/publish", data={}, headers=htmx(token))
    assert r.status_code == 204 and r.headers["HX-Location"].startswith(f"/t/{post.thread_id}")
    for page in ("/", "/c/need-support-now", f"/search?q={secret}", f"/t/{post.thread_id}"):
        assert _shows(other_client, page, secret), page


def test_the_export_holds_it_with_its_status_and_erasure_empties_it(client, session):
    join_via_http(client)
    path = start_thread_via_http(client)
    submit(client, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    posts = client.get("/me/export").json()["posts"]
    assert [(p["body"], p["status"]) for p in posts if p["status"] == "moderators_only"] == [
        (AT_RISK, "moderators_only")
    ]
    post = session.scalar(select(Post).where(Post.status == PostStatus.moderators_only))
    author = post.author_id
    posting.delete(session, post=post, author=session.get(type(post).author.property.mapper.class_, author))
    session.rollback()
    gone = session.get(Post, post.id)
    report = session.scalar(select(Report))
    assert (gone.status, gone.body_source, report.snapshot, report.snapshot_erased) == (
        "deleted",
        "",
        "",
        True,
    )


def test_the_members_page_reads_what_was_sent_to_moderators_in_a_fixed_number_of_queries(client):
    join_via_http(client)
    path = start_thread_via_http(client)
    submit(client, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    one_sent = queries.count(lambda: client.get("/me"))
    for _ in range(3):
        submit(client, f"{path}/reply", {"body": AT_RISK, "confirm": "moderators"}, page=path)
    assert queries.count(lambda: client.get("/me")) == one_sent
    assert len(parse(client.get("/me").text).select("article.sent-to-moderators")) == 4
