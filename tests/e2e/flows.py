"""What a visitor does, step by step, through the real pages (shared by the browser tests).

Each step works with JavaScript on (htmx) and off (plain forms) and asserts where it lands.
"""

import itertools
import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

PASSPHRASE = "slow steady mornings"
MARKER = "__pb_no_reload"
_unique = itertools.count(1)


@dataclass
class Member:
    pseudonym: str
    passphrase: str
    recovery_code: str


def unique(text: str) -> str:
    return f"{text} {next(_unique)}"


def mark_window(page: Page) -> None:
    """Set a marker that only survives if no full page load happens."""
    page.evaluate(f"window.{MARKER} = true")


def window_survived(page: Page) -> bool:
    return page.evaluate(f"window.{MARKER} === true")


def assert_fits_sideways(page: Page) -> None:
    """Nothing on the page makes it scroll sideways (the 375px phone test)."""
    sizes = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth})"
    )
    assert sizes["page"] <= sizes["view"], f"{page.url} overflows sideways: {sizes}"


def join(page: Page) -> Member:
    """Join from the header link, taking the suggested pseudonym; the recovery code is shown once."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Peer Bearing")
    field = page.get_by_label("Pseudonym")
    suggested = field.input_value()
    assert re.fullmatch(r"\S.{1,28}\S", suggested), suggested
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_label("I have read the").check()
    assert_fits_sideways(page)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {suggested}")
    code = page.locator(".recovery-code code").inner_text()
    assert len(code) >= 8
    assert_fits_sideways(page)
    page.get_by_role("link", name="go to the forum").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Peer Bearing")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=suggested)).to_be_visible()
    return Member(suggested, PASSPHRASE, code)


def sign_in(page: Page, member: Member) -> None:
    page.goto("/login")
    page.get_by_label("Pseudonym").fill(member.pseudonym)
    page.get_by_label("Passphrase").fill(member.passphrase)
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=member.pseudonym)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_have_count(0)
    assert page.url.endswith("/")


def start_thread(page: Page, *, category: str, title: str, body: str, content_note: str = "") -> str:
    """Start a thread from the front page's "New thread" link; returns the thread's path."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a thread")
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").fill(body)
    page.get_by_label("Content note").fill(content_note)
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    return re.sub(r"^https?://[^/]+", "", page.url)


def reply(page: Page, body: str, content_note: str = "") -> None:
    form = page.locator("#reply-form")
    form.get_by_label(re.compile("^Your reply")).fill(body)
    form.get_by_label("Content note").fill(content_note)
    form.get_by_role("button", name="Post reply").click()
    expect(page.locator("#posts .post").filter(has_text=body)).to_be_visible()


def reaction_button(page: Page, post_index: int, label: str):
    return page.locator("#posts .post").nth(post_index).get_by_role("button", name=label)


def report(page: Page, post: Locator, reason: str, note: str = "") -> None:
    """Report from the post's own disclosure; thanked in place (htmx) or on the report page (no JS)."""
    post.get_by_text("Report this post").click()
    post.get_by_label(reason).check()
    post.get_by_label("A note for the moderators").fill(note)
    post.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Thank you.")).to_contain_text(
        "A moderator will look at this soon."
    )
