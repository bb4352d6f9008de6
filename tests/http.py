"""Talking to the app over HTTP as a browser does: the CSRF token a page gives, HTMX headers, forms."""

import re

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
HEADER_TOKEN_RE = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


def csrf_of(client, path: str = "/guidelines") -> str:
    """The CSRF token a page gives this client (each page carries it in the logout or action forms)."""
    html = client.get(path).text
    match = CSRF_RE.search(html) or HEADER_TOKEN_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def htmx(token: str) -> dict[str, str]:
    """The headers htmx sends with a form: the fragment request and the CSRF token."""
    return {"HX-Request": "true", "X-CSRF-Token": token}


def submit(client, path: str, data: dict[str, str], *, page: str | None = None, **kwargs):
    """Post a form the way a browser without JavaScript does: the token from `page` (default `path`)."""
    token = csrf_of(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)
