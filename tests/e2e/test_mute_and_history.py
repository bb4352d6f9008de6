"""Muting a member in a real browser (with and without JavaScript), and the moderators' history
of an edited post against axe-core."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import blocking, describe, run_axe, unlabelled_fields
from tests.e2e.browser import JS
from tests.e2e.flows import join, mark_window, reply, start_thread, unique, window_survived


def _member(browse, **options) -> tuple[Page, object]:
    page = browse(**options)
    page.goto("/")
    return page, join(page)


@JS
def test_a_member_mutes_the_author_of_a_post_shown_as_a_member_and_unmutes_them(browse, js):
    reader, _ = _member(browse, js=js)
    title = unique("Mornings are easier now")
    thread = start_thread(reader, category="General", title=title, body="Some days I still wobble.")
    author, who = _member(browse, js=js)
    author.goto(thread)
    words = unique("Walking helps me when it is hard")
    author.locator("#reply-form").get_by_label(re.compile("^Post as")).check()
    reply(author, words)

    reader.goto(thread)
    post = reader.locator("#posts .post").filter(has_text=words)
    if js:
        mark_window(reader)
    post.get_by_role("button", name=re.compile("^Mute this author")).click()
    folded = reader.locator("#posts .post details.muted-author")
    expect(folded).to_have_count(1)
    expect(folded.locator("summary")).to_contain_text("You muted this member")
    assert window_survived(reader) is js, "with JS the post folds in place; without, the page reloads"
    assert who.pseudonym not in reader.locator("#posts").inner_text()
    folded.locator("summary").click()
    expect(folded.get_by_text(words)).to_be_visible()

    reader.goto("/me/settings")
    mutes = reader.locator("#mutes")
    expect(mutes.locator("li")).to_contain_text(f"the author of a post in ‘{title}’")
    assert who.pseudonym not in mutes.inner_text()
    mutes.get_by_role("button", name=re.compile("^Unmute")).click()
    expect(mutes).to_contain_text("You have not muted anyone")
    reader.goto(thread)
    expect(reader.locator("#posts .post details.muted-author")).to_have_count(0)


@pytest.fixture
def edited_post(browse, live_server) -> tuple[str, Page]:
    """A member's post edited once through the edit page; a moderator's page, signed in."""
    author, _ = _member(browse)
    thread = start_thread(
        author, category="Stories", title=unique("Day nine"), body="The first words I wrote."
    )
    author.locator("#posts .post").first.get_by_role("link", name="Edit").click()
    author.get_by_label("Your post").fill("The words I chose instead.")
    author.get_by_role("button", name="Save changes").click()
    expect(author.locator("#posts .post").first).to_contain_text("The words I chose instead.")
    post_id = author.locator("#posts .post").first.get_attribute("id")[1:]
    mod, moderator = _member(browse)
    live_server.cli("promote", moderator.pseudonym, "--role", "moderator")
    mod.goto(thread)
    return f"/p/{post_id}/history", mod


def test_the_history_page_shows_moderators_the_earlier_words_and_passes_axe(edited_post):
    path, mod = edited_post
    mod.get_by_role("link", name="Earlier versions (moderators)").click()
    expect(mod).to_have_url(re.compile(re.escape(path) + "$"))
    expect(mod.get_by_role("heading", level=1)).to_have_text("Earlier versions of a post")
    expect(mod.locator("#post-history")).to_contain_text("The first words I wrote.")
    for scheme in ("light", "dark"):
        mod.emulate_media(color_scheme=scheme)
        violations = run_axe(mod)
        assert not blocking(violations), f"{scheme} mode:\n{describe(violations)}"
    assert unlabelled_fields(mod) == []
