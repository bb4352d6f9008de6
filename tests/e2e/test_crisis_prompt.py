"""The gentle check while writing, in a real browser, with JavaScript (htmx) and without; under axe."""

import re

from playwright.sync_api import expect

from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.browser import JS
from tests.e2e.flows import join, mark_window, start_thread, unique, window_survived

PROMPT = "Before you post: are you safe right now?"


def assert_no_axe_violations(page) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        violations = run_axe(page)
        assert not blocking(violations), f"{scheme} mode:\n{describe(violations)}"


@JS
def test_a_reply_that_suggests_danger_is_asked_about_then_sent_to_moderators_then_posted_after_all(
    browse, js
):
    page = browse(js=js)
    page.goto("/")
    join(page)
    thread = start_thread(page, category="Need support now", title=unique("A long night"), body="Hello.")
    words = unique("I can't go on, I want to die tonight.")
    form = page.locator("#reply-form")
    form.get_by_label(re.compile("^Your reply")).fill(words)
    mark_window(page)
    form.get_by_role("button", name="Post reply").click()

    expect(page.get_by_role("heading", name=PROMPT)).to_be_visible()
    assert window_survived(page) is js  # htmx swapped the form in place; without JS a page came back
    expect(form.get_by_label(re.compile("^Your reply"))).to_have_value(words)
    expect(form.locator(".crisis-prompt .crisis-line").first).to_be_visible()  # the lines, above the words
    expect(form.get_by_role("button", name="Post it")).to_be_visible()
    expect(page.locator("#posts .post").filter(has_text=words)).to_have_count(0)  # nothing stored yet
    if js:  # axe needs page JavaScript; the same form comes back as a whole page in the next test
        assert_no_axe_violations(page)

    form.get_by_role("button", name="Send it only to the moderators").click()
    expect(page).to_have_url(re.compile(r"/me(#sent-to-moderators)?$"))
    sent = page.locator("#sent-to-moderators")
    expect(
        sent.get_by_text("Only the moderators can read this. Someone will answer you privately.")
    ).to_be_visible()
    expect(sent).to_contain_text(words)

    sent.get_by_role("button", name="Post it to the thread after all").click()
    expect(page).to_have_url(re.compile(re.escape(thread) + r"(\?[^#]*)?#p\d+$"))
    expect(page.locator("#posts .post").filter(has_text=words)).to_be_visible()


@JS
def test_a_new_thread_that_suggests_danger_is_posted_with_post_it(browse, js):
    page = browse(js=js)
    page.goto("/")
    join(page)
    title = unique("Not sure I can keep going")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New thread").click()
    page.get_by_label("Category").select_option(label="Need support now")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").fill("I keep thinking about ending it all.")
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", name=PROMPT)).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(title)
    if js:  # the new-thread form posts without htmx, so this is the prompt as a whole page
        assert_no_axe_violations(page)
    page.get_by_role("button", name="Post it", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
