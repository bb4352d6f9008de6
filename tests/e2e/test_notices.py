"""Notices in a real browser, with JavaScript and without: a reply shows as a quiet count in the
header, the notices page reads it, and a kind turned off in the settings stays quiet."""

import re

from playwright.sync_api import expect

from tests.e2e.browser import JS
from tests.e2e.flows import join, mark_window, reply, start_thread, unique, window_survived


@JS
def test_a_reply_is_a_quiet_notice_read_when_seen_and_a_kind_can_be_turned_off(browse, js):
    author_page = browse(js=js)
    author_page.goto("/")
    join(author_page)
    title = unique("Evenings are the hardest")
    thread_path = start_thread(author_page, category="Stories", title=title, body="The hour after work.")
    nav = author_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notices", exact=True)).to_be_visible()

    reader_page = browse(js=js)
    reader_page.goto("/")
    join(reader_page)
    reader_page.goto(thread_path)
    reply(reader_page, "Mine too. A walk helps me.")
    reply(reader_page, "And tea.")

    author_page.goto("/")
    link = nav.get_by_role("link", name="Notices (1)")
    expect(link).to_be_visible()
    link.click()
    expect(author_page.get_by_role("heading", level=1)).to_have_text("Your notices")
    expect(author_page.locator("#notices li")).to_have_count(1)
    expect(author_page.locator("#notices li")).to_contain_text(f"2 new replies in ‘{title}’")
    expect(nav.get_by_role("link", name="Notices", exact=True)).to_be_visible()  # read when seen

    author_page.get_by_role("link", name="your settings").click()
    author_page.get_by_label("New replies in your threads").uncheck()
    mark_window(author_page)
    author_page.get_by_role("button", name="Save my notice choices").click()
    expect(author_page.get_by_role("status").filter(has_text="Your notice choices are saved")).to_be_visible()
    expect(author_page.get_by_label("New replies in your threads")).not_to_be_checked()
    assert window_survived(author_page) == js  # htmx swapped the form in place; without JS a 303
    if not js:
        expect(author_page).to_have_url(re.compile(r"/me/settings\?done=notices#notice-settings$"))

    reader_page.goto(thread_path)
    reply(reader_page, "One more, quietly.")
    author_page.goto("/")
    expect(nav.get_by_role("link", name="Notices", exact=True)).to_be_visible()
