import pytest
from sqlalchemy import func, select

from app.models import Post, Reaction, Thread, User
from tests.factories import PASSPHRASE, join_via_http, make_thread, make_user, opening_post
from tests.http import csrf_of, htmx


@pytest.fixture
def signed_in(client, session):
    join_via_http(client, "Calm-River-12")
    thread = make_thread(session, make_user(session))
    return thread, opening_post(session, thread)


def _count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def _actions(thread, post):
    return [
        ("/new", {"title": "A title", "body": "words", "category": "stories"}, Thread),
        (f"/t/{thread.id}/reply", {"body": "words"}, Post),
        (f"/p/{post.id}/react/hug", {}, Reaction),
        (f"/p/{post.id}/edit", {"body": "changed"}, None),
        (f"/p/{post.id}/delete", {}, None),
        ("/logout", {}, None),
    ]


@pytest.mark.parametrize("token", ["", "0" * 64, "forged"])
def test_a_post_without_a_valid_token_is_refused_and_changes_nothing(client, session, signed_in, token):
    thread, post = signed_in
    before = {m: _count(session, m) for m in (Thread, Post, Reaction)}
    for path, data, _model in _actions(thread, post):
        r = client.post(path, data={**data, "csrf_token": token})
        assert r.status_code == 403, path
        assert "did not come from this site" in r.text
    assert {m: _count(session, m) for m in (Thread, Post, Reaction)} == before
    assert "Calm-River-12" in client.get("/me").text, "still signed in: logout was refused too"


def test_a_token_from_another_session_is_refused(client, other_client, session, signed_in):
    thread, _post = signed_in
    join_via_http(other_client)
    foreign = csrf_of(other_client, "/guidelines")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "words", "csrf_token": foreign})
    assert r.status_code == 403


def test_the_refusal_page_gives_back_what_was_typed(client, signed_in):
    thread, _post = signed_in
    r = client.post(f"/t/{thread.id}/reply", data={"body": "Words I do not want to lose"})
    assert r.status_code == 403 and "Words I do not want to lose" in r.text


def test_htmx_sends_the_token_in_a_header(client, session, signed_in):
    thread, _post = signed_in
    token = csrf_of(client, f"/t/{thread.id}")
    r = client.post(f"/t/{thread.id}/reply", data={"body": "words"}, headers=htmx(token))
    assert r.status_code == 200
    r = client.post(f"/t/{thread.id}/reply", data={"body": "words"}, headers=htmx("bad"))
    assert r.status_code == 403 and r.headers["HX-Retarget"] == "#flash"


def test_join_and_login_forms_are_protected_too(client, session):
    for path, data in (
        ("/join", {"pseudonym": "Some-One", "passphrase": PASSPHRASE, "guidelines": "yes"}),
        ("/login", {"pseudonym": "Some-One", "passphrase": PASSPHRASE}),
    ):
        assert client.post(path, data=data).status_code == 403
    assert _count(session, User) == 0


# --- in depth: where the browser says the request came from ---------------------------------------

REFUSED_HEADERS = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},  # the fetch metadata decides
    {"Origin": "https://evil.example"},
    {"Origin": "http://testserver:8080"},
    {"Origin": "null"},
]
ALLOWED_HEADERS = [
    {},  # old browsers and the test client send neither
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},  # fetch metadata wins
    {"Origin": "http://testserver"},
]


def _state(session):
    return {m: _count(session, m) for m in (Thread, Post, Reaction)}


@pytest.mark.parametrize("headers", REFUSED_HEADERS)
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(client, session, signed_in, headers):
    thread, post = signed_in
    token = csrf_of(client, f"/t/{thread.id}")
    before = _state(session)
    for path, data, _model in _actions(thread, post):
        r = client.post(path, data={**data, "csrf_token": token}, headers=headers)
        assert r.status_code == 403, path
        assert "did not come from this site" in r.text and "<html" in r.text
        r = client.post(path, data=data, headers={**htmx(token), **headers})
        assert r.status_code == 403 and r.headers["HX-Retarget"] == "#flash", path
        assert "did not come from this site" in r.text
    assert _state(session) == before
    assert "Calm-River-12" in client.get("/me").text, "still signed in: logout was refused too"


@pytest.mark.parametrize("headers", ALLOWED_HEADERS)
def test_a_post_from_this_site_passes_without_js_and_with_htmx(client, session, signed_in, headers):
    thread, _post = signed_in
    token = csrf_of(client, f"/t/{thread.id}")
    before = _count(session, Post)
    r = client.post(f"/t/{thread.id}/reply", data={"body": "words", "csrf_token": token}, headers=headers)
    assert r.status_code == 303
    r = client.post(f"/t/{thread.id}/reply", data={"body": "more words"}, headers={**htmx(token), **headers})
    assert r.status_code == 200
    assert _count(session, Post) == before + 2


def test_a_cross_site_refusal_gives_back_what_was_typed(client, signed_in):
    thread, _post = signed_in
    token = csrf_of(client, f"/t/{thread.id}")
    data = {"body": "Words I do not want to lose", "csrf_token": token}
    r = client.post(f"/t/{thread.id}/reply", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "Words I do not want to lose" in r.text


def test_a_cross_site_join_is_refused_and_nobody_joins(client, session):
    token = csrf_of(client, "/join")
    data = {"pseudonym": "Some-One", "passphrase": PASSPHRASE, "guidelines": "yes", "csrf_token": token}
    r = client.post("/join", data=data, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert _count(session, User) == 0
