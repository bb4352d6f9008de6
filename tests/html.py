"""Reading the HTML the app answers with a real parser (BeautifulSoup): elements by id, fragment roots.

Structure (ids, roots of fragments, attributes, forms) is checked here; a plain "this phrase is on
the page" stays a substring check in the test.
"""

from bs4 import BeautifulSoup, Tag


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _soup(html: str | BeautifulSoup | Tag) -> BeautifulSoup | Tag:
    return parse(html) if isinstance(html, str) else html


def ids(html: str | BeautifulSoup | Tag) -> list[str]:
    """Every id on the page, in document order."""
    return [tag["id"] for tag in _soup(html).find_all(id=True)]


def post_ids(html: str | BeautifulSoup | Tag) -> list[int]:
    """The ids of the posts shown (their <article id="p{id}">), in page order."""
    return [int(i[1:]) for i in ids(html) if i[:1] == "p" and i[1:].isdigit()]


def by_id(html: str | BeautifulSoup | Tag, element_id: str) -> Tag:
    """The one element with this id (fails if there is none, or more than one)."""
    found = _soup(html).find_all(id=element_id)
    assert len(found) == 1, f"{len(found)} elements with id={element_id!r}"
    return found[0]


def one(html: str | BeautifulSoup | Tag, css: str) -> Tag:
    """The one element this CSS selector matches (fails if none or several do)."""
    found = _soup(html).select(css)
    assert len(found) == 1, f"{len(found)} elements match {css!r}"
    return found[0]


def has_id(html: str | BeautifulSoup | Tag, element_id: str) -> bool:
    return _soup(html).find(id=element_id) is not None


def text_of(html: str | BeautifulSoup | Tag, element_id: str) -> str:
    """The text of the element with this id, with runs of white space made one space."""
    return " ".join(by_id(html, element_id).get_text(" ").split())


def roots(html: str) -> list[Tag]:
    """The top-level elements of a fragment (the swapped root first, then any out-of-band swaps)."""
    return [node for node in parse(html).contents if isinstance(node, Tag)]


def shape(tag: Tag) -> str:
    """`name#id` of an element, e.g. "form#join-form"."""
    return f"{tag.name}#{tag.get('id', '')}"


def root(html: str) -> str:
    """The fragment's root element as `name#id`; a whole page (<html>) is not a fragment."""
    top = roots(html)
    assert top, "the answer has no element"
    assert top[0].name != "html" and not any(t.name == "html" for t in top), "a whole page, not a fragment"
    return shape(top[0])


def form_values(form: Tag) -> dict[str, str]:
    """What a form would send as it stands: inputs' values and textareas' text, by field name."""
    values = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name:
            continue
        if field.name == "textarea":
            values[name] = field.get_text()
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[name] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif field.get("type") not in ("checkbox", "radio") or field.has_attr("checked"):
            values[name] = field.get("value", "")
    return values
