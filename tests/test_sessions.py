"""A member's own sessions: changing the passphrase, signing out elsewhere or everywhere, a new
recovery code, the sessions on /me and in the export; and staying out of search engines."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.config import get_settings
from app.errors import InvalidInput
from app.models import LoginSession, Thread, User, utcnow
from app.services import accounts, membership
from app.web import SESSION_COOKIE
from tests.factories import PASSPHRASE, join_via_http, sign_in_via_http
from tests.http import csrf_of, htmx

NEW_PASSPHRASE = "a quiet morning walk"
CODE_RE = re.compile(r"<code>([A-Z2-9]{5}(?:-[A-Z2-9]{5}){3})</code>")


def _sessions_of(session, user_id: int) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).where(LoginSession.user_id == user_id))


def _member(session, name: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.pseudonym == name))


def _signed_in(client) -> bool:
    return client.get("/me").status_code == 200


def _two_browsers(client, other_client) -> str:
    """One member signed in on two clients; returns the pseudonym."""
    name = join_via_http(client)
    sign_in_via_http(other_client, name)
    return name


# --- the rules, through the services ------------------------------------------------------------


def _joined(session, name="Calm-River-12") -> accounts.Joined:
    return accounts.join(session, pseudonym=name, passphrase=PASSPHRASE, accepted_guidelines=True)


def test_changing_the_passphrase_keeps_this_session_and_ends_every_other(session):
    here = _joined(session)
    elsewhere = accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    accounts.change_passphrase(
        session, user=here.user, current=PASSPHRASE, passphrase=NEW_PASSPHRASE, token=here.token
    )
    assert accounts.member_for_token(session, here.token)
    assert accounts.member_for_token(session, elsewhere.token) is None
    assert accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=NEW_PASSPHRASE)
    with pytest.raises(InvalidInput):
        accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)


def test_a_wrong_current_passphrase_changes_nothing(session):
    here = _joined(session)
    elsewhere = accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    stored = here.user.passphrase_hash
    with pytest.raises(InvalidInput) as refused:
        accounts.change_passphrase(
            session, user=here.user, current="not my passphrase", passphrase=NEW_PASSPHRASE, token=here.token
        )
    assert refused.value.fields == {"current": accounts.WRONG_PASSPHRASE}
    assert _member(session, "Calm-River-12").passphrase_hash == stored
    assert accounts.member_for_token(session, elsewhere.token)


def test_a_too_short_new_passphrase_follows_the_rule_of_join(session):
    here = _joined(session)
    with pytest.raises(InvalidInput) as at_join:
        accounts.join(session, pseudonym="Other-Name-1", passphrase="short", accepted_guidelines=True)
    with pytest.raises(InvalidInput) as at_change:
        accounts.change_passphrase(
            session, user=here.user, current=PASSPHRASE, passphrase="short", token=here.token
        )
    assert at_change.value.fields == {"passphrase": at_join.value.fields["passphrase"]}


@pytest.mark.parametrize(("scope", "here_stays"), [("others", True), ("all", False)])
def test_ending_sessions_elsewhere_or_everywhere(session, scope, here_stays):
    here = _joined(session)
    elsewhere = accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    someone_else = _joined(session, "Other-Name-1")
    ended_here = accounts.end_sessions(session, user=here.user, token=here.token, scope=scope)
    assert ended_here is not here_stays
    assert bool(accounts.member_for_token(session, here.token)) is here_stays
    assert accounts.member_for_token(session, elsewhere.token) is None
    assert accounts.member_for_token(session, someone_else.token), "another member's sessions are theirs"


def test_an_unknown_scope_ends_nothing(session):
    here = _joined(session)
    with pytest.raises(InvalidInput):
        accounts.end_sessions(session, user=here.user, token=here.token, scope="everything")
    assert _sessions_of(session, here.user.id) == 1


def test_a_new_recovery_code_replaces_the_old_one_and_needs_the_passphrase(session):
    here = _joined(session)
    with pytest.raises(InvalidInput) as refused:
        accounts.renew_recovery_code(session, user=here.user, passphrase="not my passphrase")
    assert refused.value.fields == {"passphrase": accounts.WRONG_PASSPHRASE}
    code = accounts.renew_recovery_code(session, user=here.user, passphrase=PASSPHRASE)
    assert code != here.recovery_code and code not in _member(session, "Calm-River-12").recovery_hash
    with pytest.raises(InvalidInput):
        accounts.recover(
            session, pseudonym="Calm-River-12", recovery_code=here.recovery_code, passphrase=NEW_PASSPHRASE
        )
    assert accounts.recover(
        session, pseudonym="Calm-River-12", recovery_code=code, passphrase=NEW_PASSPHRASE
    ).token


def test_open_sessions_are_days_oldest_first_with_this_one_marked(session):
    here = _joined(session)
    later = accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    gone = accounts.sign_in(session, pseudonym="Calm-River-12", passphrase=PASSPHRASE)
    then = utcnow() - timedelta(days=19)
    session.execute(update(LoginSession).where(LoginSession.user_id == here.user.id).values(created_at=then))
    session.execute(
        update(LoginSession)
        .where(
            LoginSession.user_id == here.user.id,
            LoginSession.id == session.scalar(select(func.max(LoginSession.id))),
        )
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    seen = accounts.open_sessions(session, user=here.user, token=later.token)
    assert [(s.began, s.current) for s in seen] == [(then.date(), False), (then.date(), True)]
    assert accounts.member_for_token(session, gone.token) is None


# --- over HTTP, without JS and with htmx --------------------------------------------------------


def test_signing_out_everywhere_else_ends_the_other_browsers_session(client, other_client):
    _two_browsers(client, other_client)
    token = csrf_of(client, "/me")
    r = client.post("/me/sessions/end", data={"scope": "others", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/me?done=others"
    assert not _signed_in(other_client), "the other browser's next request is signed out"
    page = client.get(r.headers["location"]).text
    assert "You are signed out everywhere else" in page and "Signed in on 1 device:" in page


def test_signing_out_everywhere_with_htmx_signs_this_browser_out_too(client, other_client):
    _two_browsers(client, other_client)
    r = client.post("/me/sessions/end", data={"scope": "all"}, headers=htmx(csrf_of(client, "/me")))
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/"
    cleared = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "Max-Age=0" in cleared or "expires=" in cleared.lower()
    assert not _signed_in(client) and not _signed_in(other_client)


def test_signing_out_everywhere_without_js_lands_on_the_front_page(client, other_client):
    _two_browsers(client, other_client)
    r = client.post("/me/sessions/end", data={"scope": "all", "csrf_token": csrf_of(client, "/me")})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert SESSION_COOKIE not in client.cookies
    assert not _signed_in(client) and not _signed_in(other_client)


def test_signing_out_elsewhere_with_htmx_goes_back_to_the_members_page(client, other_client):
    _two_browsers(client, other_client)
    r = client.post("/me/sessions/end", data={"scope": "others"}, headers=htmx(csrf_of(client, "/me")))
    assert r.status_code == 204 and r.headers["HX-Location"] == "/me?done=others"
    assert _signed_in(client) and not _signed_in(other_client)


def test_an_unknown_scope_is_refused_with_422_and_nobody_is_signed_out(client, other_client):
    _two_browsers(client, other_client)
    token = csrf_of(client, "/me")
    r = client.post("/me/sessions/end", data={"scope": "everything", "csrf_token": token})
    assert r.status_code == 422 and "sign out everywhere else" in r.text
    r = client.post("/me/sessions/end", data={"scope": ""}, headers=htmx(token))
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#flash"
    assert _signed_in(client) and _signed_in(other_client)


def test_changing_the_passphrase_without_js_signs_out_the_other_browser(client, other_client, session):
    name = _two_browsers(client, other_client)
    assert 'id="passphrase-form"' in client.get("/me/passphrase").text
    token = csrf_of(client, "/me/passphrase")
    data = {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE, "csrf_token": token}
    r = client.post("/me/passphrase", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/me?done=passphrase"
    assert "Your passphrase is changed" in client.get(r.headers["location"]).text
    assert not _signed_in(other_client)
    assert accounts.sign_in(session, pseudonym=name, passphrase=NEW_PASSPHRASE)


def test_changing_the_passphrase_with_htmx_goes_back_to_the_members_page(client, other_client):
    _two_browsers(client, other_client)
    data = {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE}
    r = client.post("/me/passphrase", data=data, headers=htmx(csrf_of(client, "/me")))
    assert r.status_code == 204 and r.headers["HX-Location"] == "/me?done=passphrase"
    assert _signed_in(client) and not _signed_in(other_client)


def test_a_wrong_current_passphrase_is_422_and_sends_no_passphrase_back(client, other_client, session):
    name = _two_browsers(client, other_client)
    stored = _member(session, name).passphrase_hash
    token = csrf_of(client, "/me/passphrase")
    data = {"current": "my wrong guess here", "passphrase": NEW_PASSPHRASE}
    r = client.post("/me/passphrase", data={**data, "csrf_token": token})
    assert r.status_code == 422 and accounts.WRONG_PASSPHRASE in r.text and "<html" in r.text
    assert "my wrong guess here" not in r.text and NEW_PASSPHRASE not in r.text
    r = client.post("/me/passphrase", data=data, headers=htmx(token))
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#passphrase-form"
    assert r.text.lstrip().startswith('<form id="passphrase-form"')
    assert "my wrong guess here" not in r.text and NEW_PASSPHRASE not in r.text
    assert _member(session, name).passphrase_hash == stored
    assert _signed_in(client) and _signed_in(other_client)


def test_a_too_short_new_passphrase_is_422_with_the_join_rule(client):
    join_via_http(client)
    token = csrf_of(client, "/me/passphrase")
    r = client.post(
        "/me/passphrase", data={"current": PASSPHRASE, "passphrase": "short", "csrf_token": token}
    )
    assert r.status_code == 422 and "at least 10 characters" in r.text


def test_the_passphrase_pages_ask_a_visitor_to_sign_in(client):
    assert client.get("/me/passphrase").headers["location"].startswith("/login")
    assert client.get("/me/recovery-code").headers["location"].startswith("/login")


def test_a_new_recovery_code_is_shown_once_without_js_and_with_htmx(client, session):
    name = join_via_http(client)
    token = csrf_of(client, "/me")
    assert 'id="recovery-code-form"' in client.get("/me").text
    r = client.post("/me/recovery-code", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 200 and "<html" in r.text
    first = CODE_RE.search(r.text).group(1)
    r = client.post("/me/recovery-code", data={"passphrase": PASSPHRASE}, headers=htmx(token))
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="recovery-code-form"')
    second = CODE_RE.search(r.text).group(1)
    assert first != second and second not in _member(session, name).recovery_hash
    assert first not in client.get("/me").text and second not in client.get("/me").text


def test_a_new_recovery_code_with_a_wrong_passphrase_is_422(client):
    join_via_http(client)
    token = csrf_of(client, "/me")
    r = client.post("/me/recovery-code", data={"passphrase": "not it at all", "csrf_token": token})
    assert r.status_code == 422 and accounts.WRONG_PASSPHRASE in r.text and not CODE_RE.search(r.text)
    r = client.post("/me/recovery-code", data={"passphrase": "not it at all"}, headers=htmx(token))
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#recovery-code-form"


def test_the_members_page_shows_each_session_by_day_only(client, other_client, session):
    name = _two_browsers(client, other_client)
    member = _member(session, name)
    first = session.scalar(select(func.min(LoginSession.id)).where(LoginSession.user_id == member.id))
    long_ago = utcnow().replace(year=2026, month=11, day=12, hour=7, minute=15)
    session.execute(update(LoginSession).where(LoginSession.id == first).values(created_at=long_ago))
    session.commit()
    today = utcnow()
    page = client.get("/me").text
    assert "Signed in on 2 devices:" in page
    # `client` joined (its session now began on 12 Nov 2026); `other_client` signed in today.
    assert "since 12 Nov 2026 (this one)," in page
    assert f"since {today.day} {today.strftime('%b %Y')}." in page
    assert "07:15" not in page
    assert f"since {today.day} {today.strftime('%b %Y')} (this one)." in other_client.get("/me").text


def test_the_export_lists_each_session_by_the_day_it_began_and_nothing_else(client, other_client, session):
    name = _two_browsers(client, other_client)
    r = client.get("/me/export")
    sessions = r.json()["sessions"]
    assert sessions == [{"began": utcnow().date().isoformat()}] * 2
    assert membership.export(session, user=_member(session, name))["sessions"] == sessions


def test_passphrase_checks_are_rate_limited_like_sign_in(client, limits_on):
    join_via_http(client)
    token = csrf_of(client, "/me")
    for _ in range(10):
        r = client.post("/me/passphrase", data={"current": "guess again!", "passphrase": NEW_PASSPHRASE,
                                                "csrf_token": token})  # fmt: skip
        assert r.status_code == 422
    r = client.post("/me/recovery-code", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 429 and "tried your passphrase many times" in r.text and r.headers["Retry-After"]


# --- staying out of search engines ----------------------------------------------------------------


def test_every_response_asks_search_engines_to_stay_out_by_default(client):
    for path in ("/", "/t/999", "/static/css/site.css", "/healthz", "/robots.txt"):
        assert client.get(path).headers["X-Robots-Tag"] == "noindex, nofollow", path
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.text == "User-agent: *\nDisallow: /\n"
    assert r.headers["content-type"].startswith("text/plain")


def test_an_operator_can_let_search_engines_in(app, monkeypatch):
    from fastapi.testclient import TestClient

    monkeypatch.setenv("PEERBEARING_ALLOW_INDEXING", "true")
    get_settings.cache_clear()
    with TestClient(app) as c:
        assert "X-Robots-Tag" not in c.get("/").headers
        r = c.get("/robots.txt")
    assert r.status_code == 200 and r.text == "User-agent: *\nAllow: /\n"
    assert "X-Robots-Tag" not in r.headers


# --- signing out asks the browser to forget this site ---------------------------------------------

CLEAR_SITE_DATA = '"cookies", "storage"'


@pytest.mark.parametrize("fragment", [False, True])
def test_every_way_of_signing_out_asks_the_browser_to_clear_the_sites_data(client, fragment):
    def post(path, data):
        token = csrf_of(client, "/me")
        if fragment:
            return client.post(path, data=data, headers=htmx(token))
        return client.post(path, data={**data, "csrf_token": token})

    for path, data in (
        ("/logout", {}),
        ("/me/sessions/end", {"scope": "all"}),
        ("/me/delete", {"passphrase": PASSPHRASE}),
    ):
        join_via_http(client)
        r = post(path, data)
        assert r.status_code == (204 if fragment else 303), path
        assert r.headers["Clear-Site-Data"] == CLEAR_SITE_DATA, path
        assert not _signed_in(client), path


def test_signing_out_elsewhere_only_clears_nothing_here(client, other_client):
    _two_browsers(client, other_client)
    r = client.post("/me/sessions/end", data={"scope": "others", "csrf_token": csrf_of(client, "/me")})
    assert r.status_code == 303 and "Clear-Site-Data" not in r.headers


# --- an ended session's cookie, replayed, opens nothing ------------------------------------------


@pytest.fixture
def replay(app):
    """replay(cookie) -> (GET /me, POST /new) sent by a new browser carrying an old session cookie."""
    from fastapi.testclient import TestClient

    def send(cookie: str):
        with TestClient(app, follow_redirects=False, cookies={SESSION_COOKIE: cookie}) as thief:
            page = thief.get("/me")
            form = {"title": "Not mine", "body": "words", "category": "general"}
            wrote = thief.post("/new", data={**form, "csrf_token": csrf_of(thief, "/guidelines")})
        return page, wrote

    return send


def _refused(replay, session, cookie: str) -> None:
    before = session.scalar(select(func.count()).select_from(Thread))
    page, wrote = replay(cookie)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert wrote.status_code == 303 and wrote.headers["location"].startswith("/login")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Thread)) == before


def _accepted(replay, cookie: str) -> None:
    page, _wrote = replay(cookie)
    assert page.status_code == 200


def test_a_cookie_replayed_after_signing_out_opens_nothing(client, session, replay):
    join_via_http(client)
    old = client.cookies[SESSION_COOKIE]
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/me")}).status_code == 303
    _refused(replay, session, old)


def test_after_a_passphrase_change_the_other_browsers_cookie_opens_nothing(
    client, other_client, session, replay
):
    _two_browsers(client, other_client)
    elsewhere = other_client.cookies[SESSION_COOKIE]
    data = {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE, "csrf_token": csrf_of(client, "/me")}
    assert client.post("/me/passphrase", data=data).status_code == 303
    _refused(replay, session, elsewhere)
    _accepted(replay, client.cookies[SESSION_COOKIE])


@pytest.mark.parametrize("scope", ["others", "all"])
def test_after_signing_out_elsewhere_or_everywhere_the_ended_cookies_open_nothing(
    client, other_client, session, replay, scope
):
    _two_browsers(client, other_client)
    here, elsewhere = client.cookies[SESSION_COOKIE], other_client.cookies[SESSION_COOKIE]
    r = client.post("/me/sessions/end", data={"scope": scope, "csrf_token": csrf_of(client, "/me")})
    assert r.status_code == 303
    _refused(replay, session, elsewhere)
    if scope == "all":
        _refused(replay, session, here)
    else:
        _accepted(replay, here)


def test_after_recovery_every_earlier_cookie_opens_nothing(client, other_client, session, replay):
    name = join_via_http(client)
    old = client.cookies[SESSION_COOKIE]
    # The welcome page showed the first code once; a new one is made here to recover with.
    data = {"passphrase": PASSPHRASE, "csrf_token": csrf_of(client, "/me")}
    code = CODE_RE.search(client.post("/me/recovery-code", data=data).text).group(1)
    form = {"pseudonym": name, "recovery_code": code, "passphrase": NEW_PASSPHRASE}
    r = other_client.post("/recover", data={**form, "csrf_token": csrf_of(other_client, "/recover")})
    assert r.status_code == 200, r.text
    _refused(replay, session, old)
    _accepted(replay, other_client.cookies[SESSION_COOKIE])


def test_after_erasure_the_cookie_opens_nothing(client, session, replay):
    join_via_http(client)
    old = client.cookies[SESSION_COOKIE]
    r = client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": csrf_of(client, "/me")})
    assert r.status_code == 303
    _refused(replay, session, old)
