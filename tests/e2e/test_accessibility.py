"""Every page kind against axe-core in light and dark mode, plus keyboard use, labels and error announcing."""

import json
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from app.services import content_notes
from tests.e2e.a11y import (
    blocking,
    describe,
    focus_ring,
    luminance_of_background,
    run_axe,
    unlabelled_fields,
)
from tests.e2e.browser import JS, SCREENSHOTS, Browse, Watch
from tests.e2e.flows import Member, join, reply, report, start_thread, unique


@dataclass
class Forum:
    """A small forum made once for this module: an author's thread, a reader who replied, and a
    moderator with open reports waiting (one urgent, one on their own post) and a decision logged."""

    author: Member
    reader: Member
    reader_state: dict
    thread_path: str
    reply_edit_path: str
    moderator: Member
    moderator_state: dict


@pytest.fixture(scope="module")
def forum(browser, live_server) -> Forum:
    watch = Watch()
    opener = Browse(browser, live_server.url, watch)
    page = opener()
    page.goto("/")
    author = join(page)
    thread_path = start_thread(
        page,
        category="Stories",
        title=unique("The first winter without it"),
        body="I was afraid of the dark evenings.\n\n> One hour at a time.\n\nThey were *long*. I am here.",
        content_note="mentions cravings",
    )
    reader_page = opener()
    reader_page.goto("/")
    reader = join(reader_page)
    reader_page.goto(thread_path)
    reply(reader_page, "Thank you for writing this. Evenings are long for me too.")
    reader_page.locator("#posts .post").first.get_by_role("button", name="Me too").click()
    expect(reader_page.locator("#posts .post").first.get_by_role("button", name="Me too")).to_have_attribute(
        "aria-pressed", "true"
    )
    edit_href = (
        reader_page.locator("#posts .post").last.get_by_role("link", name="Edit").get_attribute("href")
    )
    state = reader_page.context.storage_state()

    mod_page = opener()
    mod_page.goto("/")
    moderator = join(mod_page)
    live_server.cli("promote", moderator.pseudonym, "--role", "moderator")
    mod_thread = start_thread(mod_page, category="General", title=unique("Welcome"), body="Say hello here.")
    # Open reports for /mod: one urgent on the opening post, one on the moderator's own post
    # (a moderator cannot pause themselves: that refusal is the decision page kind below).
    report(reader_page, reader_page.locator("#posts .post").first, "Someone may be at risk")
    reader_page.goto(mod_thread)
    report(reader_page, reader_page.locator("#posts .post").first, "Unkind or harassing")
    # A decision with a reason, so /mod/log has an entry.
    page.reload()
    report(page, page.locator("#posts .post").last, "Unkind or harassing", "Felt dismissive of my evenings.")
    mod_page.goto("/mod")
    group = mod_page.get_by_role("region", name=f"Post by {reader.pseudonym} in")
    group.get_by_label("Reason").fill("Kind, and on topic: not unkind.")
    group.get_by_role("button", name="Dismiss: keep it visible").click()
    expect(mod_page.get_by_role("status").filter(has_text="Done.")).to_be_visible()
    # A private conversation, so /talk and /mod/talk have something to show.
    reader_page.goto("/talk")
    reader_page.get_by_label(re.compile("^Your message")).fill(
        "Evenings are hard. Could someone check in on me?"
    )
    reader_page.get_by_role("button", name="Send to the moderators").click()
    expect(reader_page.locator("#talk .talk-line")).to_have_count(1)
    mod_page.goto("/mod/talk")
    mod_page.locator(".talk-inbox a").first.click()
    mod_page.get_by_label(re.compile("^Your answer")).fill("We are here. What would help tonight?")
    mod_page.get_by_role("button", name="Send answer").click()
    expect(mod_page.locator(".talk-line.from-team")).to_have_count(1)
    mod_state = mod_page.context.storage_state()
    for context in opener.contexts:
        context.close()
    assert not watch.problems, watch.problems
    return Forum(author, reader, state, thread_path, edit_href, moderator, mod_state)


@pytest.fixture(scope="session")
def axe_results():
    """Every axe run's findings (all impacts), written next to the screenshots for the record."""
    results: dict[str, dict[str, list[str]]] = {}
    yield results
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "axe-results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


# --- reaching each page kind --------------------------------------------------------------------


def _join_error(page: Page, forum: Forum) -> None:
    page.goto("/join")
    page.get_by_label("Pseudonym").fill(forum.author.pseudonym)
    page.get_by_label("Passphrase").fill("long enough passphrase")
    page.get_by_label("I have read the").check()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert").filter(has_text="not created")).to_be_visible()


def _login_error(page: Page, forum: Forum) -> None:
    page.goto("/login")
    page.get_by_label("Pseudonym").fill(forum.author.pseudonym)
    page.get_by_label("Passphrase").fill("not the passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _reply_error(page: Page, forum: Forum) -> None:
    page.goto(forum.thread_path)
    page.get_by_label(re.compile("^Your reply")).fill("   ")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("alert").filter(has_text="not posted")).to_be_visible()


def _mod_decision_error(page: Page, forum: Forum) -> None:
    """Without JavaScript a refused decision is its own page (with htmx it is swapped into /mod).

    axe needs page JavaScript (with it off, its timers never fire), so htmx is switched off on
    this one form instead: the browser then submits it as a plain form, as it would without JS.
    """
    page.goto("/mod")
    own = page.get_by_role("region", name=f"Post by {forum.moderator.pseudonym} in")
    own.locator("form.decision").evaluate(
        "form => { form.setAttribute('hx-disable', ''); htmx.process(form); }"
    )
    own.get_by_role("button", name="Remove and pause the author").click()
    expect(page.get_by_role("alert")).to_contain_text("You cannot pause your own account.")
    expect(page).to_have_url(re.compile(r"/mod/reports/\d+$"))


def _milestones_error(page: Page, forum: Forum) -> None:
    page.goto("/me/milestones")
    page.get_by_label("Your start date").fill("2099-01-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("That date is still to come")


def _talk_error(page: Page, forum: Forum) -> None:
    page.goto("/talk")
    page.get_by_label(re.compile("^Your message")).fill("   ")
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.get_by_role("alert").filter(has_text="Nothing was sent.")).to_be_visible()


def _mod_conversation(page: Page, forum: Forum) -> None:
    page.goto("/mod/talk")
    page.locator(".talk-inbox a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Conversation with {forum.reader.pseudonym}")


def _welcome(page: Page, forum: Forum) -> None:
    page.goto("/join")
    page.get_by_label("Passphrase").fill("slow steady mornings")
    page.get_by_label("I have read the").check()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Welcome, "))


# kind: (who, path or action).
PAGE_KINDS = {
    "front": ("guest", "/"),
    "category": ("guest", "/c/stories"),
    "thread-as-guest": ("guest", "{thread}"),
    "thread-as-member": ("reader", "{thread}"),
    "compose": ("reader", "/new"),
    "edit": ("reader", "{edit}"),
    "join": ("guest", "/join"),
    "join-with-errors": ("guest", _join_error),
    "welcome": ("guest", _welcome),
    "login": ("guest", "/login"),
    "login-with-errors": ("guest", _login_error),
    "reply-with-errors": ("reader", _reply_error),
    "recover": ("guest", "/recover"),
    "me": ("reader", "/me"),
    "milestones": ("reader", "/me/milestones"),
    "milestones-with-errors": ("reader", _milestones_error),
    "settings": ("reader", "/me/settings"),
    "notices": ("reader", "/me/notifications"),  # the moderators' answer on /talk is one
    "guidelines": ("guest", "/guidelines"),
    "help": ("guest", "/help"),
    "error-404": ("guest", "/t/999999"),
    "mod-queue": ("moderator", "/mod"),
    "mod-decision-with-errors": ("moderator", _mod_decision_error),
    "mod-log": ("moderator", "/mod/log"),
    "talk": ("reader", "/talk"),
    "talk-with-errors": ("reader", _talk_error),
    "mod-talk": ("moderator", "/mod/talk"),
    "mod-talk-conversation": ("moderator", _mod_conversation),
}


def open_kind(browse, forum: Forum, kind: str, **options) -> Page:
    who, how = PAGE_KINDS[kind]
    states = {"reader": forum.reader_state, "moderator": forum.moderator_state}
    page = browse(storage_state=states.get(who), **options)
    if callable(how):
        how(page, forum)
    else:
        page.goto(how.format(thread=forum.thread_path, edit=forum.reply_edit_path))
    return page


@pytest.mark.parametrize("kind", list(PAGE_KINDS))
def test_page_kind_has_no_serious_axe_violations_in_light_and_dark_mode(browse, forum, axe_results, kind):
    page = open_kind(browse, forum, kind)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # Dark mode must really be dark (and light really light), or the contrast check proves nothing.
        lum = luminance_of_background(page)
        assert (lum < 0.05) if scheme == "dark" else (lum > 0.8), (scheme, lum)
        violations = run_axe(page)
        axe_results[f"{kind} ({scheme})"] = {
            impact: sorted(v["id"] for v in violations if v["impact"] == impact)
            for impact in ("critical", "serious", "moderate", "minor")
        }
        assert not blocking(violations), f"{scheme} mode:\n{describe(violations)}"
        # Thread pages repeat a block per post; none of them may repeat a landmark's name.
        assert "landmark-unique" not in {v["id"] for v in violations}, describe(violations)


def test_an_opened_content_note_keeps_colour_contrast_in_dark_mode(browse, forum):
    page = browse(storage_state=forum.reader_state, dark=True)
    page.goto(forum.thread_path)
    page.get_by_text("Content note: mentions cravings").click()
    expect(page.locator("#posts .post").first.locator("blockquote")).to_be_visible()
    violations = run_axe(page)
    assert not blocking(violations), describe(violations)


@pytest.mark.parametrize(
    "kind", ["join", "login", "recover", "compose", "thread-as-member", "edit", "mod-queue", "settings"]
)
def test_every_form_field_has_a_label(browse, forum, kind):
    page = open_kind(browse, forum, kind)
    assert page.locator("input:not([type=hidden]), select, textarea").count() > 0
    assert unlabelled_fields(page) == []


def test_reaction_buttons_say_whether_they_are_pressed(browse, forum):
    page = browse(storage_state=forum.reader_state)
    page.goto(forum.thread_path)
    buttons = page.locator("#posts .post").first.locator("button.reaction")
    expect(buttons).to_have_count(5)
    states = [buttons.nth(i).get_attribute("aria-pressed") for i in range(5)]
    assert states == ["false", "false", "false", "true", "false"]  # the reader pressed "Me too"


@JS
def test_keyboard_only_a_member_reacts_and_replies_with_visible_focus(browse, forum, js):
    page = browse(js=js, storage_state=forum.reader_state)
    page.goto(forum.thread_path)
    page.keyboard.press("Tab")
    stop = focus_ring(page)
    assert stop["name"] == "Skip to content" and stop["visible"], stop
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()

    # Tab to "Hug" on the opening post; every stop on the way shows where focus is.
    hug_id = page.locator("#posts .post").first.get_by_role("button", name="Hug").get_attribute("id")
    stops = tab_until(page, lambda s: s["id"] == hug_id)
    assert [s for s in stops if not s["visible"]] == []
    page.keyboard.press("Space")
    hug = page.locator(f"#{hug_id}")
    expect(hug).to_have_attribute("aria-pressed", "true")
    expect(hug.locator(".reaction-count")).to_have_text("1")
    if js:
        # htmx swapped the bar; focus stays on the button (same id), so it can be pressed again.
        expect(hug).to_be_focused()
    else:
        # A full page load lands on the post's anchor: the next Tabs start from that post.
        stops = tab_until(page, lambda s: s["id"] == hug_id, limit=4)
    page.keyboard.press("Enter")
    expect(page.locator(f"#{hug_id}")).to_have_attribute("aria-pressed", "false")
    if js:
        expect(page.locator(f"#{hug_id}")).to_be_focused()
    else:
        tab_until(page, lambda s: s["id"] == hug_id, limit=4)

    # On through the other encouragements to the reply form, in reading order.
    stops = tab_until(page, lambda s: s["id"] == "reply-form-body")
    names = [s["name"] for s in stops]
    assert names[:4] == ["Strength 0", "Thank you 0", "Me too 1", "Celebrate 0"]
    assert all(s["visible"] for s in stops), stops
    words = unique("Thank you. Reading this with my tea, by keyboard alone.")
    page.keyboard.type(words)
    # Then the content-note kinds, one box each in the list's order, and the note in the author's words.
    stops = tab_until(page, lambda s: s["id"] == "reply-form-content_note", limit=10)
    assert [s["id"] for s in stops[:-1]] == [f"reply-form-note-{kind}" for kind in content_notes.KINDS]
    assert all(s["visible"] for s in stops), stops
    page.keyboard.press("Tab")
    stop = focus_ring(page)
    assert stop["id"] == "reply-form-anonymous" and stop["visible"], stop  # "Post as a member", unticked
    page.keyboard.press("Tab")
    stop = focus_ring(page)
    assert stop["name"] == "Post reply" and stop["visible"], stop
    page.keyboard.press("Enter")
    new_post = page.locator("#posts .post").filter(has_text=words)
    expect(new_post).to_be_visible()
    if js:
        # Focus is not lost with the swapped-out form: it lands on the new post.
        expect(new_post).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"#{new_post.get_attribute('id')}$"))
    expect(new_post).to_be_in_viewport()


def tab_until(page: Page, reached, limit: int = 60) -> list[dict]:
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focus_ring(page)
        stops.append(stop)
        if reached(stop):
            return stops
    pytest.fail(f"never reached the target by Tab; went through {[s['name'] for s in stops]}")


@JS
@pytest.mark.parametrize(
    "kind", ["join-with-errors", "login-with-errors", "reply-with-errors", "milestones-with-errors"]
)
def test_errors_are_announced_and_take_focus(browse, forum, kind, js):
    page = open_kind(browse, forum, kind, js=js)
    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("not")
    # Each field marked invalid points at its own message, read out when the field takes focus.
    invalid = page.locator("[aria-invalid=true]")
    expect(invalid).not_to_have_count(0)
    for field in invalid.all():
        errors = [r for r in (field.get_attribute("aria-describedby") or "").split() if r.endswith("-error")]
        assert errors, field.evaluate("el => el.outerHTML")
        expect(page.locator(f"#{errors[0]}")).not_to_be_empty()


@JS
def test_an_action_refused_by_the_server_is_announced(browse, js):
    author = browse(js=js)
    author.goto("/")
    join(author)
    start_thread(author, category="General", title=unique("A short-lived thought"), body="Hello.")
    words = unique("I may take this back.")
    reply(author, words)
    reader = browse(js=js)
    reader.goto("/")
    join(reader)
    reader.goto(re.sub(r"^https?://[^/]+", "", author.url).split("?")[0].split("#")[0])
    hug = reader.locator("#posts .post").filter(has_text=words).get_by_role("button", name="Hug")
    expect(hug).to_be_visible()

    # Meanwhile the author deletes the reply; the reader's page still shows its buttons.
    author.locator("#posts .post").filter(has_text=words).get_by_role("link", name="Edit").click()
    author.get_by_role("button", name="Delete my post").click()
    expect(author.get_by_text("The author deleted this post.")).to_be_visible()

    hug.click()
    if js:
        # The refusal lands in the page's live region, so a screen reader reads it out.
        live = reader.locator("#flash")
        expect(live).to_have_attribute("aria-live", "polite")
        expect(live.get_by_role("alert")).to_contain_text("not open for encouragement")
    else:
        expect(reader.get_by_role("heading", level=1)).to_have_text("That has changed in the meantime")
        expect(reader.get_by_text("not open for encouragement")).to_be_visible()
