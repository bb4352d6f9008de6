"""Appeals in a real browser: a moderator removes a post, its author appeals from the placeholder,
and the moderator (the only one, so they may) overturns it; the post is back. /mod with the appeal
waiting is checked under axe. With JavaScript (htmx swaps in place) and without (forms, redirects).
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.browser import JS
from tests.e2e.flows import join, mark_window, report, start_thread, unique, window_survived
from tests.live import LiveServer, running_app


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """A fresh forum per flow: the queue is forum-wide."""
    with running_app(tmp_path) as server:
        yield server


@JS
def test_an_author_appeals_a_removal_and_the_moderator_overturns_it(browse, live_server, js):
    title, words = unique("Said too much maybe"), unique("I quoted what my sponsor told me, harsh as it was.")
    author_page = browse(js=js)
    author_page.goto("/")
    author = join(author_page)
    thread = start_thread(author_page, category="General", title=title, body=words)

    mod_page = browse(js=js)
    mod_page.goto("/")
    moderator = join(mod_page)
    live_server.cli("promote", moderator.pseudonym, "--role", "moderator")
    mod_page.goto(thread)
    report(mod_page, mod_page.locator("#posts .post").first, "Unkind or harassing")
    mod_page.goto("/mod")
    group = mod_page.get_by_role("region", name=re.compile(f"Post by {author.pseudonym} in"))
    group.get_by_label(re.compile("^Reason")).fill("Harsh towards another member")
    group.get_by_role("button", name="Remove", exact=True).click()
    expect(mod_page.get_by_role("region", name=re.compile(f"Post by {author.pseudonym} in"))).to_have_count(0)

    author_page.goto(thread)
    post = author_page.locator("#posts .post").first
    expect(post).to_contain_text("This post was removed by a moderator.")
    expect(post).to_contain_text("Harsh towards another member")
    post.get_by_label(re.compile("^Ask for a second look")).fill("It was a quote, said to me, not at anyone.")
    mark_window(author_page)
    post.get_by_role("button", name="Send my appeal").click()
    expect(
        author_page.get_by_role("status").filter(has_text="Your appeal is with the moderators")
    ).to_be_visible()
    assert window_survived(author_page) == js

    mod_page.goto("/mod")
    appeal = mod_page.get_by_role("region", name=re.compile(f"Appeal from {author.pseudonym}"))
    expect(appeal).to_contain_text(f"{moderator.pseudonym} removed this post")
    expect(appeal).to_contain_text("It was a quote, said to me, not at anyone.")
    expect(appeal).to_contain_text(words)
    if js:  # axe needs page JavaScript
        for scheme in ("light", "dark"):
            mod_page.emulate_media(color_scheme=scheme)
            violations = run_axe(mod_page)
            assert not blocking(violations), f"{scheme} mode:\n{describe(violations)}"
    appeal.get_by_label(re.compile("^Reason")).fill("A quote, fairly shared")
    mark_window(mod_page)
    appeal.get_by_role("button", name="Overturn: restore it").click()
    if js:
        expect(mod_page.get_by_role("status").filter(has_text="Appeal overturned")).to_be_visible()
        assert window_survived(mod_page)
    else:
        expect(mod_page).to_have_url(re.compile(r"/mod(#appeals)?$"))
        expect(
            mod_page.get_by_role("region", name=re.compile(f"Appeal from {author.pseudonym}"))
        ).to_have_count(0)

    author_page.goto(thread)
    expect(author_page.locator("#posts .post").first.locator(".post-body")).to_contain_text(words)
    author_page.goto("/me")
    expect(author_page.locator("#appeals")).to_contain_text("undid the decision")
