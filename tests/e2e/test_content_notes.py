"""Content notes in a real browser: kinds ticked while writing, a reader's choices on /me/settings."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import JS, SCREENSHOTS
from tests.e2e.flows import assert_fits_sideways, join, mark_window, unique, window_survived

OPENING = "The night it got bad, and what I did to myself."
REPLY = "Losing my dad this spring, and the walks we took."


def _thread_with_kinds(page: Page, title: str) -> str:
    """Start a thread behind self-harm, then reply behind grief with the author's words; returns its path."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New thread").click()
    page.get_by_label("Category").select_option(label="Stories")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").fill(OPENING)
    page.locator("#thread-form").get_by_label("self-harm", exact=True).check()
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    form = page.locator("#reply-form")
    form.get_by_label(re.compile("^Your reply")).fill(REPLY)
    form.get_by_label("grief", exact=True).check()
    form.get_by_label("Content note in your own words").fill("my dad")
    form.get_by_role("button", name="Post reply").click()
    expect(page.locator("#posts .post").filter(has_text="Content note: grief: my dad")).to_be_visible()
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0].split("?")[0]


@JS
def test_a_reader_hides_one_kind_reads_it_once_and_opens_a_folded_one(browse, js):
    writer = browse(js=js)
    writer.goto("/")
    join(writer)
    title = unique("A hard spring")
    path = _thread_with_kinds(writer, title)
    # A folded post, as every reader meets it by default: photographed for people to look at.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    writer.goto(path)
    shot = "js" if js else "no-js"
    writer.screenshot(path=str(SCREENSHOTS / f"thread-with-content-notes-{shot}.png"), full_page=True)

    page = browse(js=js)
    page.goto("/")
    join(page)
    page.goto("/me")
    page.get_by_role("link", name="Your settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your settings")
    mark_window(page)
    expect(page.get_by_label("self-harm")).to_have_value("fold")
    page.get_by_label("self-harm").select_option("hide")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status").filter(has_text="Your choices are saved")).to_be_visible()
    expect(page.get_by_label("self-harm")).to_have_value("hide")
    assert window_survived(page) is js  # htmx swapped the form in place; without JS a 303 and a new page
    assert_fits_sideways(page)
    page.screenshot(path=str(SCREENSHOTS / f"settings-{shot}.png"), full_page=True)

    page.goto(path)
    opening = page.locator("#posts .post").first
    expect(opening.get_by_text("Hidden by your settings: self-harm")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hidden by your settings: self-harm")
    assert OPENING not in page.content()
    folded = page.locator("#posts .post").last
    expect(folded.locator(".post-body")).to_be_hidden()
    folded.get_by_text("Content note: grief: my dad").click()
    expect(folded.locator(".post-body")).to_have_text(REPLY)

    opening.get_by_role("link", name="Read it once").click()
    expect(page.locator("#posts .post").first.locator(".post-body")).to_have_text(OPENING)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.goto("/c/stories")
    expect(page.get_by_role("link", name="Hidden by your settings: self-harm").first).to_be_visible()
