"""What "nothing active survives" means on a page, read with a real HTML parser (BeautifulSoup)."""

import re

from bs4 import BeautifulSoup, Tag

from tests.html import parse

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet", "svg", "math"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcset", "background", "poster"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
# Elements whose insides are a member's words: nothing in them may carry htmx or form controls.
USER_TEXT = ".post-body, .snapshot"
_SPACES = re.compile(r"[\s\x00-\x1f]+")
_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")  # the page's CSRF token (hex SHA-256), different per visitor


def _blur(value: str) -> str:
    return re.sub(r"\d+", "N", _TOKEN.sub("TOKEN", value))


def _is_hx(name: str) -> bool:
    return name.startswith(("hx-", "data-hx-"))


def hx_shapes(soup: BeautifulSoup) -> set[tuple[str, str, str]]:
    """Every htmx attribute on the page as (tag, name, value with numbers and the token blurred)."""
    return {
        (el.name, name, _blur(str(value)))
        for el in soup.find_all(True)
        for name, value in el.attrs.items()
        if _is_hx(name)
    }


def problems(html: str, *, baseline: set[tuple[str, str, str]]) -> list[str]:
    """Anything active on the page; `baseline` is hx_shapes() of the same page without the payload."""
    soup = parse(html)
    found: list[str] = []
    for el in soup.find_all(True):
        assert isinstance(el, Tag)
        if el.name in ACTIVE_TAGS and not (el.name == "script" and el.get("src", "").startswith("/static/")):
            found.append(f"<{el.name}>")
        for name, value in el.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.startswith("on"):
                found.append(f"{el.name}[{name}]")
            if name in URL_ATTRS and _SPACES.sub("", value).lower().startswith(BAD_SCHEMES):
                found.append(f"{el.name}[{name}={value[:40]}]")
            if _is_hx(name) and (el.name, name, _blur(value)) not in baseline:
                found.append(f"new {el.name}[{name}]")
    for container in soup.select(USER_TEXT):
        for el in container.find_all(True):
            if any(_is_hx(name) for name in el.attrs) or el.name in {"form", "input", "button", "textarea"}:
                found.append(f"{el.name} inside user text")
    return found
