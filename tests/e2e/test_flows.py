"""The core journeys, in a real browser: with JavaScript (htmx) and without, on a desktop and a phone."""

import re

from playwright.sync_api import expect

from tests.e2e.browser import JS, SCREEN
from tests.e2e.flows import (
    assert_fits_sideways,
    join,
    mark_window,
    reaction_button,
    reply,
    sign_out,
    start_thread,
    unique,
    window_survived,
)


@SCREEN
@JS
def test_a_member_joins_and_starts_a_thread_behind_a_content_note_then_signs_out(browse, js, mobile):
    page = browse(js=js, mobile=mobile)
    page.goto("/")
    mark_window(page)
    join(page)
    title = unique("Ninety days, and a quiet morning")
    start_thread(
        page,
        category="Milestones",
        title=title,
        body="I made it to **ninety days** today.\n\n- coffee on the step\n- a call to my sponsor",
        content_note="mentions a relapse",
    )
    opening = page.locator("#posts .post").first
    note = opening.get_by_text("Content note: mentions a relapse")
    body = opening.locator(".post-body")
    expect(note).to_be_visible()
    expect(body).to_be_hidden()
    note.click()
    expect(body.locator("strong")).to_have_text("ninety days")
    assert_fits_sideways(page)
    page.get_by_role("link", name="Peer Bearing").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    assert_fits_sideways(page)
    sign_out(page)
    # With htmx every step was a swap; without JavaScript every step was a full page load.
    assert window_survived(page) is js


@SCREEN
@JS
def test_a_second_member_replies_and_encourages_in_place(browse, js, mobile):
    author_page = browse(js=js, mobile=mobile)
    author_page.goto("/")
    join(author_page)
    title = unique("Evenings are the hardest part")
    start_thread(author_page, category="Coping tips", title=title, body="What helps you after dinner?")

    page = browse(js=js, mobile=mobile)
    page.goto("/")
    join(page)
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_fits_sideways(page)
    if mobile:
        # Two encouragements per row on a phone, not a tall stack of five under every post.
        bar = page.locator("#posts .reactions").first.bounding_box()
        assert bar["height"] < 200, bar

    mark_window(page)
    reply(page, "A walk round the block, then tea. It passes.")
    assert window_survived(page) is js
    expect(page.locator("#reply-form").get_by_label(re.compile("^Your reply"))).to_have_value("")

    mark_window(page)
    hug = reaction_button(page, 0, "Hug")
    expect(hug).to_have_attribute("aria-pressed", "false")
    expect(hug.locator(".reaction-count")).to_have_text("0")
    hug.click()
    hug = reaction_button(page, 0, "Hug")
    expect(hug).to_have_attribute("aria-pressed", "true")
    expect(hug.locator(".reaction-count")).to_have_text("1")
    # The count changed in place (htmx swapped the bar) or through a full page load without JS.
    assert window_survived(page) is js
    hug.click()
    expect(reaction_button(page, 0, "Hug")).to_have_attribute("aria-pressed", "false")
    expect(reaction_button(page, 0, "Hug").locator(".reaction-count")).to_have_text("0")
    # Pressed again at once: the swapped-in bar is already wired up, so still no page load.
    assert window_survived(page) is js
    assert_fits_sideways(page)

    # The author, reloading, sees the reply.
    author_page.reload()
    expect(author_page.locator("#posts .post")).to_have_count(2)
    expect(author_page.get_by_text("A walk round the block, then tea.")).to_be_visible()

    sign_out(page)
    page.get_by_role("link", name=title).click()
    # Signed out, encouragement buttons become links to sign in, and there is no reply form.
    expect(page.locator("#posts .post").first.get_by_role("link", name="Hug")).to_be_visible()
    expect(page.locator("#reply-form")).to_have_count(0)
