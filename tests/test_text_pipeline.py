"""The sanitiser against public XSS evasion corpora, checked by parsing the output."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.services import text
from tests.factories import join_via_http
from tests.html import by_id, parse
from tests.http import csrf_of

CORPUS = [item["payload"] for item in json.loads((Path(__file__).parent / "xss-payloads.json").read_text())]
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "img",
    "object",
    "embed",
    "form",
    "input",
    "link",
    "meta",
    "base",
    "frame",
    "frameset",
    "video",
    "audio",
    "template",
    "textarea",
    "button",
}


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS or tag not in text.ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if (
                name.startswith("on")
                or name.startswith("data-")
                or name in ("style", "src", "srcset", "formaction")
            ):
                self.problems.append(f"attribute {name}")
            if name == "href":
                cleaned = "".join(ch for ch in (value or "") if ch.isprintable() and not ch.isspace()).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.problems.append(f"href {value!r}")
            if name not in ("href", "rel"):
                self.problems.append(f"attribute {name}")

    handle_startendtag = handle_starttag


def problems_in(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_the_corpus_is_large_and_public():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("payload", CORPUS)
def test_no_payload_survives_the_pipeline(payload):
    assert problems_in(text.render_markdown(payload)) == []


@pytest.mark.parametrize("payload", CORPUS[::15])
def test_no_payload_survives_inside_markdown_constructs(payload):
    for wrapped in (f"[click]({payload})", f"> {payload}", f"- {payload}", f"**{payload}**", f"`{payload}`"):
        assert problems_in(text.render_markdown(wrapped)) == []


def test_links_get_safe_rel_and_only_safe_schemes():
    html = text.render_markdown(
        "[a](https://example.org) [b](javascript:alert(1)) [c](data:text/html,x) www.x.org"
    )
    links = parse(html).find_all("a")
    safe = [a for a in links if a.get("href") == "https://example.org"]
    assert len(safe) == 1 and safe[0]["rel"] == ["nofollow", "ugc", "noopener", "noreferrer"]
    assert not [a for a in links if a.get("href", "").startswith(("javascript:", "data:"))]
    assert "javascript:" not in html.replace("[b](javascript:alert(1))", "")


def test_allowed_markdown_renders():
    html = text.render_markdown("*em* **strong**\n\n> quote\n\n1. one\n2. two\n\n```\ncode\n```")
    page = parse(html)
    for css in ("em", "strong", "blockquote", "ol > li", "pre > code"):
        assert page.select(css), css
    assert [li.get_text() for li in page.select("ol > li")] == ["one", "two"]


def test_payloads_posted_through_the_app_never_reach_the_page_alive(client):
    join_via_http(client)
    token = csrf_of(client, "/new")
    sample = CORPUS[::20]
    r = client.post(
        "/new",
        data={
            "title": sample[0][:150].ljust(3, "x"),
            "body": "\n\n".join(sample),
            "category": "general",
            "content_note": sample[1][:120],
            "csrf_token": token,
        },
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    body = by_id(page, "main").decode_contents()
    inspector = Inspector()
    inspector.feed(body)
    # The page's own markup is allowed; anything from the corpus must not be.
    alive = [
        p
        for p in inspector.problems
        if p.startswith(
            (
                "tag <script",
                "tag <svg",
                "tag <iframe",
                "tag <style",
                "tag <img",
                "attribute on",
                "href 'javascript",
            )
        )
    ]
    assert alive == []
    assert "<script" not in body.lower()


def test_only_post_bodies_are_marked_safe_in_templates():
    templates = Path(__file__).parent.parent / "templates"
    uses = [
        (p.name, line.strip())
        for p in templates.rglob("*.html")
        for line in p.read_text().splitlines()
        if "|safe" in line
    ]
    assert uses and all("post.body_html|safe" in line for _, line in uses), uses
