"""Open redirects: every place where input becomes a Location ends on a same-site path.

Input that can become a redirect: `next` on GET /login (the hidden field), on POST /login (303,
HX-Redirect, and the hidden field of the 422 form), and the Referer / HX-Current-URL of a signed-out
POST (the sign-in answer's `next`). test_no_other_route_takes_a_redirect_parameter fails on a new
route parameter that looks like one, until it has its row here.
"""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from app.web import safe_next
from tests.factories import PASSPHRASE, make_thread, make_user
from tests.html import parse
from tests.http import csrf_of
from tests.security.test_authorization import endpoints

EVIL = "evil.example"
PAYLOADS = [
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}/x",
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\/{EVIL}",
    f"https://{EVIL}",
    f"https:/{EVIL}",
    f"https:{EVIL}",
    f"http:{EVIL}",
    f"HTTPS://{EVIL}",
    f"//{EVIL}/%2F..",
    f"/%2f%2f{EVIL}",
    f"/%2F%2F{EVIL}",
    f"%2f%2f{EVIL}",
    f"/%5c{EVIL}",
    f"/%5C%5C{EVIL}",
    f"/%252f%252f{EVIL}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r/{EVIL}",
    f"\t//{EVIL}",
    f"/ /{EVIL}",
    f" //{EVIL}",
    f"//{EVIL} ",
    f"\x00//{EVIL}",
    f"/\x00/{EVIL}",
    f"\x01//{EVIL}",
    f"/\x7f/{EVIL}",
    f"/\x85/{EVIL}",
    f"/%09/{EVIL}",
    "/%0d%0aSet-Cookie:%20pb_session=stolen",
    "/\r\nSet-Cookie: pb_session=stolen",
    "/\r\nLocation: https://evil.example",
    "/" + "a" * 10_000,
    f"//{EVIL}/" + "a" * 5_000,
    f"/\uff0f{EVIL}",
    f"\uff0f\uff0f{EVIL}",
    f"/\u2215{EVIL}",
    f"\u2215\u2215{EVIL}",
    f"/\u2044{EVIL}",
    f"/\uff3c{EVIL}",
    f"/.//{EVIL}",
    f"/./{EVIL}",
    f"/..//{EVIL}",
    f"/@{EVIL}",
    f"//user@{EVIL}",
    f"//:pass@{EVIL}",
    f"/{EVIL}@site",
    f"https://site@{EVIL}",
    f"//{EVIL}%00",
    f"//{EVIL}?next=/",
    f"/?next=//{EVIL}",
    f"/#//{EVIL}",
    "/me\u202e",
    "",
    " ",
    "/",
    "/t/1",
]
# What the sign-in form leaves alone: a same-site path, with its query and anchor.
KEPT = ["/", "/t/1", "/t/1?after=50#p7", "/search?q=first+day", "/c/stories", "/me/settings#mutes"]


def assert_same_site(location: str | None, given: str = "") -> None:
    """A Location a browser follows to this site only.

    It is plain printable ASCII (a header cannot carry more unambiguously, and a browser drops tab,
    line breaks and controls), starts with exactly one `/` then neither `/` nor `\\`, and has no scheme
    and no host when read as a browser reads it (`\\` is `/`), nor once its percent-escapes are undone.
    """
    where = f"{given!r} -> {location!r}"
    assert location is not None, where
    assert re.fullmatch(r"[\x21-\x7e]+", location), where
    assert location == "/" or re.match(r"/[^/\\]", location), where
    for form in (location, unquote(location)):
        browser = form.replace("\\", "/")
        assert re.match(r"/(?![/\\])|/$", browser), where
        parts = urlsplit(browser)
        assert parts.scheme == "" and parts.netloc == "", where


def next_field(html: str) -> str:
    field = parse(html).select_one('form#login-form input[name="next"]')
    assert field is not None
    return field["value"]


def sign_in(client, next_value: str, *, passphrase: str = PASSPHRASE, headers: dict | None = None):
    data = {"pseudonym": "Redirected", "passphrase": passphrase, "next": next_value}
    return client.post("/login", data={**data, "csrf_token": csrf_of(client, "/login")}, headers=headers)


@pytest.fixture
def member(session):
    make_user(session, "Redirected")
    session.commit()


def test_the_corpus_covers_the_usual_tricks():
    assert len(PAYLOADS) >= 60 and len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("target", KEPT)
def test_a_same_site_path_is_kept_as_it_is(target):
    assert safe_next(target) == target
    assert safe_next(safe_next(target)) == target


def test_safe_next_always_answers_a_same_site_path():
    for payload in PAYLOADS:
        assert_same_site(safe_next(payload), payload)


def test_the_sign_in_page_hidden_next_is_always_same_site(client):
    for payload in PAYLOADS:
        page = client.get("/login", params={"next": payload})
        assert page.status_code == 200, payload
        assert_same_site(next_field(page.text), payload)


def test_signing_in_without_js_ends_on_a_same_site_path(client, member):
    for payload in PAYLOADS:
        r = sign_in(client, payload)
        assert r.status_code == 303, (payload, r.text[:300])
        assert_same_site(r.headers.get("location"), payload)
        assert "set-cookie" not in r.headers or "stolen" not in r.headers["set-cookie"]


def test_signing_in_with_htmx_gets_a_same_site_hx_redirect(client, member):
    for payload in PAYLOADS:
        r = sign_in(client, payload, headers={"HX-Request": "true"})
        assert r.status_code == 204, (payload, r.text[:300])
        assert "location" not in r.headers
        assert_same_site(r.headers.get("hx-redirect"), payload)


@pytest.mark.parametrize("fragment", [False, True], ids=["plain", "htmx"])
def test_a_refused_sign_in_keeps_only_a_same_site_next_in_its_form(client, member, fragment):
    headers = {"HX-Request": "true"} if fragment else {}
    for payload in PAYLOADS[::3]:  # a wrong passphrase costs a full hash: a third of the corpus
        r = sign_in(client, payload, passphrase="not the passphrase", headers=headers)
        assert r.status_code == 422, payload
        assert ("<html" in r.text) is not fragment
        assert_same_site(next_field(r.text), payload)


def _header_safe(payload: str) -> bool:
    # A browser cannot send line breaks or NUL in a header (and the client refuses to).
    return not re.search(r"[\r\n\x00]", payload)


@pytest.mark.parametrize("header", ["Referer", "HX-Current-URL"])
def test_a_signed_out_post_is_sent_to_sign_in_with_a_same_site_next(client, session, header):
    thread = make_thread(session, make_user(session, "Thread-Owner"))
    session.commit()
    token = csrf_of(client, "/login")
    for payload in filter(_header_safe, PAYLOADS):
        for sent in (payload, f"http://testserver{payload}", f"https://{EVIL}{payload}"):
            hx = {"HX-Request": "true"} if header == "HX-Current-URL" else {}
            r = client.post(
                f"/t/{thread.id}/reply",
                data={"body": "Hello", "csrf_token": token},
                headers={header: sent.encode(), **hx},
            )
            location = r.headers.get("hx-redirect" if hx else "location")
            assert r.status_code == (204 if hx else 303), (sent, r.status_code)
            assert_same_site(location, sent)
            assert urlsplit(location).path == "/login"
            (next_value,) = parse_qs(urlsplit(location).query).get("next", ["/"])
            assert_same_site(next_value, sent)
    assert client.get("/login").status_code == 200


REDIRECT_NAMES = re.compile(r"next|back|return|redirect|goto|url|dest|target|continue|came_from", re.I)
# (method, path, parameter): every route parameter that may become a Location, each tested above.
REDIRECT_INPUTS = {("GET", "/login", "next"), ("POST", "/login", "next")}


def test_no_other_route_takes_a_redirect_parameter(app):
    found = set()
    for method, path, route in endpoints(app.routes):
        dependant = route.dependant
        params = [*dependant.query_params, *dependant.body_params, *dependant.header_params]
        for sub in dependant.dependencies:
            params += [*sub.query_params, *sub.body_params, *sub.header_params]
        found |= {(method, path, p.alias) for p in params if REDIRECT_NAMES.search(p.alias)}
    assert found == REDIRECT_INPUTS
