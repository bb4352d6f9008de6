"""Private milestones in a real browser, with JavaScript (htmx swaps the form) and without (303 back)."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.browser import JS
from tests.e2e.flows import join, mark_window, start_thread, unique, window_survived


def _today():
    return datetime.now(UTC).date()  # the server's day (UTC), as /me/milestones counts


@JS
def test_a_member_sets_a_day_count_shows_the_badge_and_is_asked_to_fix_a_future_date(browse, js):
    page = browse(js=js)
    page.goto("/")
    member = join(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=member.pseudonym).click()
    page.get_by_role("link", name="Your milestones").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your milestones")

    page.get_by_label("Your start date").fill("2099-01-01")
    mark_window(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("That date is still to come")
    expect(page.get_by_label("Your start date")).to_have_value("2099-01-01")
    assert window_survived(page) == js  # htmx swapped the form in place; without JS a 422 page

    start = _today() - timedelta(days=7)
    page.get_by_label("Your start date").fill(start.isoformat())
    page.get_by_label(re.compile("^Show “N days”")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.locator("#milestones-count")).to_contain_text("7 days")
    expect(page.get_by_label(re.compile("^Show “N days”"))).to_be_checked()
    if not js:
        expect(page).to_have_url(re.compile(r"/me/milestones\?done=saved$"))

    page.get_by_role("link", name="Back to your page").click()
    celebration = page.locator(".celebration")
    expect(celebration).to_contain_text("7 days today.")
    celebration.get_by_role("link", name="Share it in Milestones").click()
    expect(page.get_by_label("Title")).to_have_value("7 days today")
    expect(page.get_by_label("Category")).to_have_value("milestones")

    page.goto("/")
    start_thread(page, category="Milestones", title=unique("A week"), body="Seven mornings.")
    expect(page.locator("#posts .post").first.locator(".days-badge")).to_have_text("7 days")
