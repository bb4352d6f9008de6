"""Reports and moderation in a real browser: members report, the post hides, a moderator decides.

With JavaScript (htmx swaps in place) and without (plain forms and redirects), on a desktop and a phone.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import JS, SCREEN
from tests.e2e.flows import (
    Member,
    assert_fits_sideways,
    join,
    mark_window,
    reply,
    report,
    sign_in,
    sign_out,
    start_thread,
    unique,
    window_survived,
)
from tests.live import LiveServer, running_app

WAITING = "This post is waiting for a moderator."


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """A fresh forum per flow: the queue and its header count are forum-wide, so each flow
    counts only its own reports, and one failed flow cannot leave reports for the next.

    The flows join fresh accounts, and three of them hide a post: here every account's report counts
    at once (the minimum account age itself is tested through the app in tests/test_report_age.py)."""
    with running_app(tmp_path, env={"PEERBEARING_REPORT_HIDE_MIN_ACCOUNT_AGE_HOURS": "0"}) as server:
        yield server


def post_with(page: Page, words: str):
    return page.locator("#posts .post").filter(has_text=words)


def author_starts_a_thread(browse, title: str, body: str, **screen) -> tuple[Page, Member, str]:
    """A new member joins and starts a thread: their page, who they are, and the thread's path."""
    page = browse(**screen)
    page.goto("/")
    author = join(page)
    return page, author, start_thread(page, category="General", title=title, body=body)


def three_members_report(browse, thread: str, words: str, **screen) -> Page:
    """Three distinct members report the post (the default hide threshold); returns the last one's page."""
    for n in range(3):
        page = browse(**screen)
        page.goto("/")
        join(page)
        page.goto(thread)
        report(page, post_with(page, words), "Unkind or harassing")
        page.goto(thread)
        if n < 2:
            expect(post_with(page, words).locator(".post-body")).to_be_visible()
    return page


def assert_waiting_for_review(page: Page, thread: str, words: str, title: str) -> None:
    """What an ordinary reader sees of a post hidden pending review: a placeholder, not the words."""
    page.goto(thread)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    hidden = post_with(page, WAITING)
    expect(hidden).to_be_visible()
    expect(hidden.get_by_text("Report this post")).to_have_count(0)
    expect(page.locator("#posts")).not_to_contain_text(words)


def moderator_opens_the_queue(browse, live_server: LiveServer, **screen) -> tuple[Page, Member]:
    """A member is promoted while signed in; the next page shows the open count, which leads to /mod."""
    page = browse(**screen)
    page.goto("/")
    member = join(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile("^Reports"))).to_have_count(0)
    live_server.cli("promote", member.pseudonym, "--role", "moderator")
    page.reload()
    nav.get_by_role("link", name="Reports (1 open)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    return page, member


def decide(page: Page, group, action: str, *, js: bool, reason: str = "") -> None:
    """Press a decision button; with htmx the group becomes a "Done." note in place, without a 303 to /mod."""
    mark_window(page)
    group.get_by_label("Reason").fill(reason)
    group.get_by_role("button", name=action, exact=True).click()
    nav = page.get_by_role("navigation", name="Main")
    if js:
        expect(page.get_by_role("status").filter(has_text="Done.")).to_contain_text("3 reports closed.")
        # The header's count was swapped out of band: nothing is open any more.
        expect(nav.get_by_role("link", name="Reports", exact=True)).to_be_visible()
        assert window_survived(page)
        page.goto("/mod")
    else:
        expect(page).to_have_url(re.compile(r"/mod$"))
        assert not window_survived(page)
    expect(page.get_by_text("Nothing is waiting.")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^Post by"))).to_have_count(0)
    expect(nav.get_by_role("link", name="Reports", exact=True)).to_be_visible()


@SCREEN
@JS
def test_three_reports_hide_a_post_and_a_moderator_removes_it_with_a_reason(browse, live_server, js, mobile):
    screen = {"js": js, "mobile": mobile}
    title, words = unique("A bad night"), unique("Honestly the rest of you are pathetic")
    author_page, author, thread = author_starts_a_thread(browse, title, words, **screen)
    sign_out(author_page)

    reader = three_members_report(browse, thread, words, **screen)
    assert_waiting_for_review(reader, thread, words, title)
    assert_fits_sideways(reader)

    mod, _ = moderator_opens_the_queue(browse, live_server, **screen)
    group = mod.get_by_role("region", name=f"Post by {author.pseudonym} in {title}")
    expect(group).to_contain_text("3 open reports")
    expect(group).to_contain_text("hidden from readers until you decide")
    expect(group.get_by_text("Unkind or harassing")).to_have_count(3)
    expect(group.locator(".snapshot")).to_have_text(words)
    assert_fits_sideways(mod)
    decide(mod, group, "Remove", js=js, reason="Cruel to another member")
    assert_fits_sideways(mod)

    # The log keeps both steps, newest first: the removal with its reason, then the automatic hiding.
    mod.get_by_role("link", name="moderation log").click()
    entries = mod.locator(".log-entry")
    expect(entries.first).to_contain_text("removed post")
    expect(entries.first).to_contain_text("Why: Cruel to another member")
    expect(entries.nth(1)).to_contain_text("The report threshold hid, pending review,")
    expect(entries.nth(1)).to_contain_text("Why: Reported by 3 members")
    sign_out(mod)

    # Readers learn that a moderator removed it; only the author is told why.
    reader.reload()
    expect(post_with(reader, "This post was removed by a moderator.")).to_be_visible()
    expect(reader.locator("#posts")).not_to_contain_text("Cruel to another member")
    expect(reader.locator("#posts")).not_to_contain_text(words)
    sign_in(author_page, author)
    author_page.goto(thread)
    opening = author_page.locator("#posts .post").first
    expect(opening).to_contain_text("This post was removed by a moderator.")
    expect(opening).to_contain_text("You wrote this post. The moderator's reason: Cruel to another member")
    assert_fits_sideways(author_page)
    sign_out(author_page)


@SCREEN
@JS
def test_a_moderator_restores_a_reported_reply_and_readers_see_it_again(browse, live_server, js, mobile):
    screen = {"js": js, "mobile": mobile}
    title = unique("Said too much")
    author_page, author, thread = author_starts_a_thread(browse, title, "Context first.", **screen)
    words = unique("Day four. Shaky, but I made the meeting.")
    reply(author_page, words)

    reader = three_members_report(browse, thread, words, **screen)
    assert_waiting_for_review(reader, thread, words, title)

    mod, _ = moderator_opens_the_queue(browse, live_server, **screen)
    group = mod.get_by_role("region", name=f"Post by {author.pseudonym} in {title}")
    expect(group.locator(".snapshot")).to_have_text(words)
    assert_fits_sideways(mod)
    decide(mod, group, "Restore: show it again", js=js, reason="Reads as honest, not unkind")
    sign_out(mod)

    # Back for everyone, with no trace of the reports; readers can report it again if they need to.
    reader.reload()
    restored = post_with(reader, words)
    expect(restored.locator(".post-body")).to_have_text(words)
    expect(restored.get_by_text("Report this post")).to_be_visible()
    expect(reader.get_by_text(WAITING)).to_have_count(0)
    assert_fits_sideways(reader)
    author_page.reload()
    expect(post_with(author_page, words).locator(".post-body")).to_have_text(words)
    expect(author_page.locator("#posts")).not_to_contain_text("The moderator's reason")
    sign_out(author_page)
