"""Screenshots of the main pages (desktop and phone, light and dark) for people to look at.

They go to screenshots/ (gitignored; `make screenshots` fills it). The forum shown is a separate
server seeded with the demo content, so the pictures do not depend on what other tests posted.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import luminance_of_background
from tests.e2e.browser import SCREENSHOTS, Browse, Watch
from tests.e2e.flows import assert_fits_sideways, join, reply, report
from tests.live import LiveServer, running_app


@dataclass
class Showcase:
    server: LiveServer
    member_state: dict
    moderator_state: dict
    thread_path: str


@pytest.fixture(scope="module")
def showcase(browser, tmp_path_factory) -> Iterator[Showcase]:
    with running_app(tmp_path_factory.mktemp("showcase"), seed=True) as server:
        watch = Watch()
        opener = Browse(browser, server.url, watch)
        page = opener()
        page.goto("/")
        page.get_by_role("navigation", name="Categories").get_by_role("link", name="Coping tips").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Coping tips")
        page.locator(".thread-title").first.click()
        expect(page).to_have_url(re.compile(r"/t/\d+$"))
        thread_path = page.url.removeprefix(server.url)
        page.goto("/")
        join(page)
        page.goto(thread_path)
        reply(page, "Cold water and a short walk work for me too. Thank you for asking.")
        page.locator("#posts .post").first.get_by_role("button", name="Me too").click()
        expect(page.locator("#posts .post").first.get_by_role("button", name="Me too")).to_have_attribute(
            "aria-pressed", "true"
        )
        state = page.context.storage_state()
        # Two reports waiting for /mod, away from the thread photographed: one urgent, one with a note.
        for category, reason, note in [
            ("Stories", "Someone may be at risk", ""),
            ("Milestones", "Dangerous medical advice", "Suggests stopping medication all at once."),
        ]:
            page.goto("/")
            page.get_by_role("navigation", name="Categories").get_by_role("link", name=category).click()
            page.locator(".thread-title").first.click()
            report(page, page.locator("#posts .post").last, reason, note)
        # A private conversation for /talk: the member asks, a moderator answers (seen as "a moderator").
        page.goto("/talk")
        page.get_by_label(re.compile("^Your message")).fill(
            "Three weeks in and tonight is the hardest yet. I don't want to post this in a thread. "
            "Is it normal that the cravings come back this strongly?"
        )
        page.get_by_role("button", name="Send to the moderators").click()
        expect(page.locator("#talk .talk-line")).to_have_count(1)
        mod_page = opener()
        mod_page.goto("/")
        moderator = join(mod_page)
        server.cli("promote", moderator.pseudonym, "--role", "moderator")
        mod_page.goto("/mod/talk")
        mod_page.locator(".talk-inbox a").first.click()
        mod_page.get_by_label(re.compile("^Your answer")).fill(
            "Thank you for writing to us. Yes: many people find week three hard, and it does pass. "
            "Would it help to post in *Coping tips*? Members share what gets them through the evenings."
        )
        mod_page.get_by_role("button", name="Send answer").click()
        expect(mod_page.locator(".talk-line.from-team")).to_have_count(1)
        mod_state = mod_page.context.storage_state()
        for context in opener.contexts:
            context.close()
        assert not watch.problems, watch.problems
        yield Showcase(server, state, mod_state, thread_path)


def _open_thread(page: Page, showcase: Showcase) -> None:
    page.goto(showcase.thread_path)


def _new_thread(page: Page, showcase: Showcase) -> None:
    page.goto("/new?category=milestones")


def _join_error(page: Page, showcase: Showcase) -> None:
    page.goto("/join")
    page.get_by_label("Pseudonym").fill("me@home")
    page.get_by_label("Passphrase").fill("long enough words")
    page.get_by_label("I have read the").check()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_be_visible()


README_SHOTS = {"front-desktop-light", "thread-mobile-dark"}  # copied to docs/screenshots/ by hand
# name: (who, how to get there)
SHOTS = {
    "front": ("guest", "/"),
    "category": ("guest", "/c/coping-tips"),
    "thread": ("member", _open_thread),
    "compose": ("member", _new_thread),
    "join": ("guest", "/join"),
    "join-error": ("guest", _join_error),
    "me": ("member", "/me"),
    "help": ("guest", "/help"),
    "not-found": ("guest", "/t/999999"),
    "mod-queue": ("moderator", "/mod"),
    "talk": ("member", "/talk"),
}


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "mobile"])
def test_main_pages_are_photographed_and_fit_the_screen(browser, showcase, dark, mobile):
    watch = Watch()
    opener = Browse(browser, showcase.server.url, watch)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = f"{'mobile' if mobile else 'desktop'}-{'dark' if dark else 'light'}"
    try:
        states = {"member": showcase.member_state, "moderator": showcase.moderator_state}
        for name, (who, how) in SHOTS.items():
            page = opener(mobile=mobile, dark=dark, storage_state=states.get(who))
            if callable(how):
                how(page, showcase)
            else:
                page.goto(how)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            lum = luminance_of_background(page)
            assert (lum < 0.05) if dark else (lum > 0.8), (name, lum)
            assert_fits_sideways(page)
            page.screenshot(path=SCREENSHOTS / f"{name}-{suffix}.png", full_page=True)
            if f"{name}-{suffix}" in README_SHOTS:
                # What a visitor sees first, without scrolling: small enough for the README.
                page.screenshot(path=SCREENSHOTS / f"readme-{name}-{suffix}.png")
            page.context.close()
    finally:
        for context in opener.contexts:
            context.close()
    assert not watch.problems, watch.problems
