"""The guard middleware: every answer's headers, the size limit, and a calm page for any crash."""

from fastapi import Form
from fastapi.testclient import TestClient


def test_a_crash_while_posting_shows_the_words_typed_with_the_page_headers(app):
    def boom(body: str = Form("")):
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/boom", data={"body": "Words I do not want to lose."})
    assert r.status_code == 500 and "Something went wrong on our side" in r.text
    assert "Words I do not want to lose." in r.text and "secret internals" not in r.text
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached_and_pages_may_not(client):
    css = client.get("/static/css/site.css")
    assert css.status_code == 200 and css.headers["Cache-Control"] == "public, max-age=3600"
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/guidelines").headers["Cache-Control"] == "no-store"


def test_a_too_large_body_is_refused_before_the_app_reads_it_with_the_page_headers(client):
    r = client.post("/login", content=b"x" * 300_000, headers={"Content-Type": "text/plain"})
    assert r.status_code == 413 and "too large" in r.text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert r.headers["X-Robots-Tag"] == "noindex, nofollow"
