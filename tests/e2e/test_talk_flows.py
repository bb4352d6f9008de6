"""The private line to the moderators in a real browser: a member writes, a moderator answers, the
member reads it (the header's quiet count comes and goes), the moderator closes it.

With JavaScript (htmx swaps the conversation in place) and without (plain forms and redirects).
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import JS
from tests.e2e.flows import (
    assert_fits_sideways,
    join,
    mark_window,
    report,
    start_thread,
    unique,
    window_survived,
)
from tests.live import LiveServer, running_app


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """A fresh forum per flow: the moderators' list of conversations is forum-wide."""
    with running_app(tmp_path) as server:
        yield server


@JS
def test_a_member_and_the_moderator_team_talk_privately_and_the_conversation_closes(browse, live_server, js):
    words, answer = (
        unique("Cravings are loud tonight and I am alone."),
        unique("We hear you. Can you call someone?"),
    )
    member_page = browse(js=js)
    member_page.goto("/")
    member = join(member_page)
    nav = member_page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Moderators", exact=True).click()
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Write to the moderators")
    assert_fits_sideways(member_page)

    # An empty message is refused in plain words, nothing is sent, and the box is still there.
    member_page.get_by_label(re.compile("^Your message")).fill("   ")
    member_page.get_by_role("button", name="Send to the moderators").click()
    expect(member_page.get_by_role("alert")).to_contain_text("Nothing was sent.")
    member_page.get_by_label(re.compile("^Your message")).fill(words)
    member_page.get_by_label(re.compile("^I need help soon")).check()
    mark_window(member_page)
    member_page.get_by_role("button", name="Send to the moderators").click()
    talk = member_page.locator("#talk")
    expect(talk.locator(".talk-line").filter(has_text=words)).to_contain_text("You")
    expect(member_page.get_by_label(re.compile("^Your message"))).to_have_value("")
    assert window_survived(member_page) == js

    mod_page = browse(js=js)
    mod_page.goto("/")
    moderator = join(mod_page)
    live_server.cli("promote", moderator.pseudonym, "--role", "moderator")
    mod_page.reload()
    mod_page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    expect(mod_page.get_by_role("heading", level=1)).to_have_text("Conversations")
    item = mod_page.locator(".talk-inbox li").filter(has_text=member.pseudonym)
    expect(item).to_contain_text("Urgent: needs help soon")
    expect(item).to_contain_text("Waiting for an answer")
    item.get_by_role("link").click()
    expect(mod_page.get_by_role("heading", level=1)).to_have_text(f"Conversation with {member.pseudonym}")
    conversation = mod_page.locator("section.talk")
    expect(conversation).to_contain_text(words)
    mod_page.get_by_label(re.compile("^Your answer")).fill(answer)
    mark_window(mod_page)
    mod_page.get_by_role("button", name="Send answer").click()
    expect(conversation.locator(".talk-line.from-team")).to_contain_text(answer)
    expect(conversation.locator(".talk-line.from-team")).to_contain_text(moderator.pseudonym)
    assert window_survived(mod_page) == js
    assert_fits_sideways(mod_page)

    # The member's header counts the answer quietly; reading it makes the count go.
    member_page.goto("/")
    expect(nav.get_by_role("link", name="Moderators (1 new)")).to_be_visible()
    nav.get_by_role("link", name="Moderators (1 new)").click()
    team_line = member_page.locator(".talk-line.from-team")
    expect(team_line).to_contain_text(answer)
    expect(team_line).to_contain_text("A moderator")
    expect(member_page.locator("#talk")).not_to_contain_text(moderator.pseudonym)
    expect(nav.get_by_role("link", name="Moderators", exact=True)).to_be_visible()

    mark_window(mod_page)
    mod_page.get_by_role("button", name="Close the conversation").click()
    if js:
        expect(mod_page.locator("section.talk")).to_contain_text("This conversation is closed.")
        assert window_survived(mod_page)
        mod_page.goto("/mod/talk")
    expect(mod_page.get_by_text("No open conversations.")).to_be_visible()

    member_page.reload()
    expect(member_page.locator("#talk")).to_contain_text("A moderator closed this conversation.")
    expect(member_page.get_by_role("button", name="Send to the moderators")).to_be_visible()


@JS
def test_a_moderator_reaches_out_from_an_at_risk_report_and_the_author_reads_it(browse, live_server, js):
    title, words = unique("Not sure about tomorrow"), unique("I do not think I can keep going.")
    author_page = browse(js=js)
    author_page.goto("/")
    author = join(author_page)
    thread = start_thread(author_page, category="General", title=title, body=words)
    reader = browse(js=js)
    reader.goto("/")
    join(reader)
    reader.goto(thread)
    report(reader, reader.locator("#posts .post").first, "Someone may be at risk")

    mod_page = browse(js=js)
    mod_page.goto("/")
    moderator = join(mod_page)
    live_server.cli("promote", moderator.pseudonym, "--role", "moderator")
    mod_page.goto("/mod")
    group = mod_page.get_by_role("region", name=re.compile(f"Post by {author.pseudonym} in"))
    expect(group).to_contain_text("Urgent: someone may be at risk")
    reach = group.locator(".reach-out")
    reach.get_by_label(re.compile("^Your message")).fill(
        "We read your post. We are here: how are you right now?"
    )
    mark_window(mod_page)
    reach.get_by_role("button", name="Send privately").click()
    if js:
        expect(mod_page.get_by_role("status").filter(has_text="Sent.")).to_be_visible()
        assert window_survived(mod_page)
        mod_page.get_by_role("link", name="Open the conversation").click()
    expect(mod_page).to_have_url(re.compile(r"/mod/talk/\d+"))
    expect(mod_page.get_by_role("heading", level=1)).to_have_text(f"Conversation with {author.pseudonym}")
    expect(mod_page.locator("section.talk")).to_contain_text("Urgent: needs help soon")

    author_page.goto("/")
    nav = author_page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Moderators (1 new)").click()
    expect(author_page.locator(".talk-line.from-team")).to_contain_text("how are you right now?")
    expect(author_page.locator("#talk")).to_contain_text(f"your post in “{title}”")
    expect(author_page.locator("#talk")).not_to_contain_text(moderator.pseudonym)
