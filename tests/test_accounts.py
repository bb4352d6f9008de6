import re

import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput
from app.models import LoginSession, User
from app.services import accounts, pseudonyms
from app.web import SESSION_COOKIE
from tests.factories import PASSPHRASE, join_via_http, make_user, sign_in_via_http
from tests.html import one, root
from tests.http import csrf_of, submit

CODE_FORMAT = re.compile(r"[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}")


def recovery_code(html: str) -> str:
    """The recovery code shown once, in its own <code>; fails if it is missing or not of the right form."""
    code = one(html, "p.recovery-code > code").get_text()
    assert CODE_FORMAT.fullmatch(code), code
    return code


def post_join(client, *, htmx: bool = False, **fields: str | None):
    """POST /join with a valid form, changed by `fields` (None leaves a field out); htmx sends the
    CSRF token as a header, a plain form as a field."""
    token = csrf_of(client, "/join")
    form = {"pseudonym": "Calm-River-12", "passphrase": PASSPHRASE, "guidelines": "yes", **fields}
    data = {name: value for name, value in form.items() if value is not None}
    if htmx:
        return client.post("/join", data=data, headers={"HX-Request": "true", "X-CSRF-Token": token})
    return client.post("/join", data={**data, "csrf_token": token})


def test_join_page_offers_a_generated_pseudonym_and_the_guidelines(client):
    page = client.get("/join").text
    suggested = one(page, 'input[name="pseudonym"]')["value"]
    assert re.fullmatch(r"[A-Z][a-z]+-[A-Z][a-z]+-\d\d", suggested)
    assert one(page, 'form#join-form a[href="/guidelines"]') and one(page, 'input[name="guidelines"]')


def test_joining_signs_in_and_shows_a_recovery_code_once(client, session):
    r = post_join(client)
    assert r.status_code == 200
    code = recovery_code(r.text)
    assert r.headers["cache-control"] == "no-store"
    assert "Calm-River-12" in client.get("/me").text
    user = session.scalar(select(User).where(User.pseudonym == "Calm-River-12"))
    assert user.passphrase_hash.startswith("$argon2id$")
    assert code not in user.recovery_hash


def test_join_without_accepting_guidelines_keeps_what_was_typed(client):
    r = post_join(client, guidelines=None)
    assert r.status_code == 422
    assert "tick the box" in r.text
    assert one(r.text, 'input[name="pseudonym"]')["value"] == "Calm-River-12"


def test_join_with_a_short_passphrase_is_refused(client):
    r = post_join(client, passphrase="short")
    assert r.status_code == 422 and "at least 10 characters" in r.text


def test_join_errors_come_back_as_the_form_fragment_for_htmx(client):
    r = post_join(client, htmx=True, pseudonym="admin")
    assert r.status_code == 422
    assert root(r.text) == "form#join-form"
    assert r.headers["HX-Retarget"] == "#join-form" and r.headers["Vary"] == "HX-Request"


def test_join_with_htmx_answers_the_welcome_fragment(client):
    r = post_join(client, htmx=True)
    assert r.status_code == 200 and root(r.text) == "section#welcome" and recovery_code(r.text)


def test_session_cookie_is_httponly_lax_and_secure_by_default(app, monkeypatch):
    from fastapi.testclient import TestClient

    from app.config import get_settings

    monkeypatch.setenv("PEERBEARING_SECURE_COOKIES", "true")
    get_settings.cache_clear()
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    r = post_join(client)
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


def test_sign_in_issues_a_new_session_id_each_time(client, session):
    name = join_via_http(client)
    first = client.cookies.get(SESSION_COOKIE)
    sign_in_via_http(client, name)
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    # The session held before sign-in was ended, not reused.
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_wrong_passphrase_is_refused_and_keeps_the_pseudonym(client, session):
    make_user(session, "Calm-River-12")
    token = csrf_of(client, "/login")
    r = client.post(
        "/login", data={"pseudonym": "Calm-River-12", "passphrase": "not the one at all", "csrf_token": token}
    )
    assert r.status_code == 422
    assert "do not match" in r.text and one(r.text, 'input[name="pseudonym"]')["value"] == "Calm-River-12"
    assert SESSION_COOKIE not in client.cookies


def test_unknown_pseudonym_gets_the_same_answer_as_a_wrong_passphrase(client):
    token = csrf_of(client, "/login")
    r = client.post(
        "/login", data={"pseudonym": "Nobody-Here", "passphrase": PASSPHRASE, "csrf_token": token}
    )
    assert r.status_code == 422 and accounts.WRONG_SIGN_IN in r.text


def test_sign_in_goes_back_where_the_member_was_but_never_off_site(client, session):
    make_user(session, "Calm-River-12")
    r = submit(client, "/login", {"pseudonym": "calm-river-12", "passphrase": PASSPHRASE, "next": "/t/1"})
    assert r.status_code == 303 and r.headers["location"] == "/t/1"
    form = {"pseudonym": "calm-river-12", "passphrase": PASSPHRASE, "next": "//evil.example/"}
    r = submit(client, "/login", form)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_with_htmx_redirects_through_htmx(client, session):
    make_user(session, "Calm-River-12")
    token = csrf_of(client, "/login")
    r = client.post(
        "/login",
        data={"pseudonym": "Calm-River-12", "passphrase": PASSPHRASE},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/"


def test_logout_revokes_the_session_in_the_database(client, app, session):
    from fastapi.testclient import TestClient

    join_via_http(client, "Calm-River-12")
    stolen = client.cookies.get(SESSION_COOKIE)
    token = csrf_of(client, "/me")
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
    # A copy of the old cookie is worth nothing now.
    with TestClient(app, follow_redirects=False, cookies={SESSION_COOKIE: stolen}) as thief:
        r = thief.get("/me")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_logout_with_htmx(client):
    join_via_http(client)
    token = csrf_of(client, "/me")
    r = client.post("/logout", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/"
    assert client.get("/me").status_code == 303


def test_recovery_code_sets_a_new_passphrase_once_and_ends_old_sessions(client, other_client, session):
    r = post_join(client)
    code = recovery_code(r.text)
    new = "a brand new passphrase"
    form = {"pseudonym": "Calm-River-12", "recovery_code": code.lower(), "passphrase": new}
    r = submit(other_client, "/recover", form)
    assert r.status_code == 200 and recovery_code(r.text) != code
    assert client.get("/me").status_code == 303, "the old session was ended"
    accounts.authenticate(session, pseudonym="Calm-River-12", passphrase="a brand new passphrase")
    form = {"pseudonym": "Calm-River-12", "recovery_code": code, "passphrase": "yet another passphrase"}
    r = submit(other_client, "/recover", form)
    assert r.status_code == 422 and "do not match" in r.text, "a used code does not work twice"


def test_set_role_promotes_an_existing_member(session):
    make_user(session, "Calm-River-12")
    assert accounts.set_role(session, pseudonym="calm-river-12", role="moderator").role == "moderator"
    with pytest.raises(InvalidInput):
        accounts.set_role(session, pseudonym="calm-river-12", role="overlord")


def test_recovery_with_htmx_answers_the_recovered_fragment(client, other_client):
    r = post_join(client)
    code = recovery_code(r.text)
    token = csrf_of(other_client, "/recover")
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    r = other_client.post(
        "/recover",
        data={
            "pseudonym": "Calm-River-12",
            "recovery_code": "WRONG-CODE",
            "passphrase": "a brand new passphrase",
        },
        headers=headers,
    )
    assert r.status_code == 422 and root(r.text) == "form#recover-form"
    r = other_client.post(
        "/recover",
        data={"pseudonym": "Calm-River-12", "recovery_code": code, "passphrase": "a brand new passphrase"},
        headers=headers,
    )
    assert r.status_code == 200 and root(r.text) == "section#recovered"
    assert r.headers["Vary"] == "HX-Request"


def _sessions_of(session, user) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).where(LoginSession.user_id == user.id))


def test_join_sign_in_and_recovery_each_give_a_working_session_in_one_service_call(session):
    joined = accounts.join(
        session, pseudonym="Calm-River-12", passphrase=PASSPHRASE, accepted_guidelines=True
    )
    assert accounts.member_for_token(session, joined.token).user.id == joined.user.id
    signed_in = accounts.sign_in(
        session, pseudonym="Calm-River-12", passphrase=PASSPHRASE, old_token=joined.token
    )
    # The session held before sign-in ended in the same transaction that made the new one.
    assert accounts.member_for_token(session, joined.token) is None
    assert accounts.member_for_token(session, signed_in.token) and _sessions_of(session, joined.user) == 1
    accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    assert _sessions_of(session, joined.user) == 2
    recovered = accounts.recover(
        session,
        pseudonym="Calm-River-12",
        recovery_code=joined.recovery_code,
        passphrase="a brand new passphrase",
    )
    assert _sessions_of(session, joined.user) == 1
    assert accounts.member_for_token(session, recovered.token).user.id == joined.user.id


def test_a_refused_sign_in_leaves_the_session_this_browser_held(session):
    joined = accounts.join(
        session, pseudonym="Calm-River-12", passphrase=PASSPHRASE, accepted_guidelines=True
    )
    with pytest.raises(InvalidInput):
        accounts.sign_in(session, pseudonym="Calm-River-12", passphrase="wrong one!!", old_token=joined.token)
    assert accounts.member_for_token(session, joined.token)


# --- look-alike, held and revealing names over HTTP ---------------------------------------------


def test_a_cyrillic_look_alike_cannot_join_beside_the_original_with_or_without_js(client, session):
    make_user(session, "Quiet-Author")
    twin = "Quiet-\u0410uthor"  # Cyrillic А
    r = post_join(client, pseudonym=twin)
    assert r.status_code == 422 and pseudonyms.MIXED_SCRIPTS in r.text and f'value="{twin}"' in r.text
    r = post_join(client, htmx=True, pseudonym=twin)
    assert r.status_code == 422 and r.text.lstrip().startswith('<form id="join-form"')
    assert pseudonyms.MIXED_SCRIPTS in r.text
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_a_look_alike_of_admin_is_refused_as_reserved_with_or_without_js(client):
    for htmx in (False, True):
        r = post_join(client, htmx=htmx, pseudonym="\u0410dmin")
        assert r.status_code == 422 and "kept for the people who run the forum" in r.text


def test_a_whole_script_look_alike_is_told_only_that_the_name_is_taken(client, session):
    make_user(session, "coco")
    for htmx in (False, True):
        r = post_join(client, htmx=htmx, pseudonym="\u0441\u043e\u0441\u043e")  # "сосо", Cyrillic
        assert (
            r.status_code == 422
            and "That name is taken." in r.text
            and 'value="\u0441\u043e\u0441\u043e"' in r.text
        )
        assert "coco" not in r.text  # no hint of whose name it looks like


def test_an_erased_members_name_is_taken_for_newcomers(client, other_client):
    join_via_http(client, "Calm-River-12")
    token = csrf_of(client, "/me/delete")
    r = client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 303
    for htmx in (False, True):
        r = post_join(other_client, htmx=htmx, pseudonym="calm river 12")
        assert r.status_code == 422 and "That name is taken." in r.text


def test_six_digits_are_refused_kindly_and_five_join(client):
    r = post_join(client, pseudonym="Sam 071234")
    assert r.status_code == 422 and "phone number or a birth date" in r.text
    assert 'value="Sam 071234"' in r.text
    r = post_join(client, htmx=True, pseudonym="Sam 07123")
    assert r.status_code == 200 and 'id="welcome"' in r.text


def test_a_greek_name_joins_and_a_mixed_word_is_refused_over_htmx(client, other_client):
    r = post_join(client, htmx=True, pseudonym="Ελένη")
    assert r.status_code == 200 and 'id="welcome"' in r.text
    r = post_join(other_client, htmx=True, pseudonym="Ελέν" + "a")  # a Latin a at the end
    assert r.status_code == 422 and pseudonyms.MIXED_SCRIPTS in r.text
