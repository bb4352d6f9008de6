import pytest

from tests.factories import join_via_http, make_moderator, make_thread, make_user, start_thread_via_http
from tests.html import by_id, one, parse
from tests.http import csrf_of


def test_pages_carry_a_strict_csp_and_no_third_party_assets(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "http://" not in r.text.split("<body", 1)[0] and "https://" not in r.text.split("<body", 1)[0]


def test_htmx_is_vendored_pinned_and_configured_safely(client):
    js = client.get("/static/js/htmx.min.js")
    assert js.status_code == 200 and "htmx 2.0.11" in js.text[:200]
    page = client.get("/").text
    for setting in (
        "&#34;allowEval&#34;: false",
        "&#34;allowScriptTags&#34;: false",
        "&#34;historyCacheSize&#34;: 0",
        "&#34;includeIndicatorStyles&#34;: false",
    ):
        assert setting in page


def test_rendered_posts_sit_inside_an_hx_disable_container(client):
    join_via_http(client)
    path = start_thread_via_http(client, title="Hello there", body="hi")
    body = one(client.get(path).text, "article .post-body")
    assert body.name == "div" and body.has_attr("hx-disable") and body.get_text().strip() == "hi"


def test_every_page_links_the_guidelines_and_help(client):
    for path in ("/", "/c/stories", "/join", "/login", "/guidelines", "/help", "/nowhere"):
        html = client.get(path).text
        page = parse(html)
        assert page.select('a[href="/guidelines"]') and page.select('a[href="/help"]'), path


def test_a_server_error_shows_a_calm_page_without_a_trace(app):
    from fastapi.testclient import TestClient

    def boom():
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert "Something went wrong on our side" in r.text
    assert "secret internals" not in r.text and "Traceback" not in r.text
    # Even this answer carries the page headers: no framing, no scripts from elsewhere, no indexing.
    assert r.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert r.headers["Cache-Control"] == "no-store"


def test_an_oversized_request_gets_413(client):
    join_via_http(client)
    token = csrf_of(client, "/guidelines")
    r = client.post("/t/1/reply", data={"body": "x" * 300_000, "csrf_token": token})
    assert r.status_code == 413 and "too large" in r.text


def test_method_not_allowed_is_a_calm_page(client):
    r = client.post("/guidelines")
    assert r.status_code == 405 and "cannot be used that way" in r.text


def test_health_answers_when_the_database_does(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_pages_are_not_stored_by_shared_caches(client):
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_health_answers_503_when_the_database_does_not(monkeypatch, database_url):
    from fastapi.testclient import TestClient

    from app import db
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-folder/forum.db")
    get_settings.cache_clear()
    db.reset_engine()
    with TestClient(create_app()) as c:
        r = c.get("/healthz")
    assert r.status_code == 503 and r.json()["database"] == "unreachable"


TOO_BIG = "9" * 23  # longer than any row id; once overflowed the database driver (a 500)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/t/{TOO_BIG}", 404),
        ("/t/2147483648", 404),
        (f"/p/{TOO_BIG}/report", 404),
        (f"/p/{TOO_BIG}/edit", 404),
        (f"/t/1?after={TOO_BIG}", 422),
        (f"/mod/log?before={TOO_BIG}", 422),
        (f"/mod?page={TOO_BIG}", 422),
        ("/mod?page=0", 422),
        ("/mod?page=two", 422),
    ],
)
def test_numbers_in_addresses_that_cannot_be_ids_get_a_calm_page_not_a_server_error(
    session, browsers, path, status
):
    make_moderator(session, "Mod-Willow")
    make_thread(session, make_user(session))
    session.commit()
    r = browsers("Mod-Willow").get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html") and by_id(r.text, "error-title").name == "h1"


@pytest.mark.parametrize("action", ["/p/{id}/react/hug", "/mod/reports/{id}", "/mod/threads/{id}/lock"])
def test_actions_on_ids_that_cannot_exist_are_404(session, browsers, action):
    make_moderator(session, "Mod-Willow")
    moderator = browsers("Mod-Willow")
    data = {"csrf_token": csrf_of(moderator), "action": "dismiss"}
    r = moderator.post(action.format(id=TOO_BIG), data=data)
    assert r.status_code == 404 and "We could not find that page" in r.text
