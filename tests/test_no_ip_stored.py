"""No raw IP address is kept: not in any table, not in the server's output."""

import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import get_settings
from app.models import metadata
from app.services import ratelimit
from tests.factories import join_via_http, start_thread_via_http
from tests.html import post_ids
from tests.http import csrf_of
from tests.live import LiveServer

VISITOR_IP = "203.0.113.9"
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def test_no_table_holds_an_ip_after_joining_posting_and_reacting(app, session, monkeypatch):
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    get_settings.cache_clear()
    with TestClient(app, follow_redirects=False, client=(VISITOR_IP, 40000)) as visitor:
        join_via_http(visitor)
        path = start_thread_via_http(visitor, title="Week two", body="Still going.")
        token = csrf_of(visitor, path)
        assert (
            visitor.post(f"{path}/reply", data={"body": "A reply.", "csrf_token": token}).status_code == 303
        )
        post_id = post_ids(visitor.get(path).text)[0]
        assert visitor.post(f"/p/{post_id}/react/hug", data={"csrf_token": token}).status_code == 303
    key = ratelimit.client_key(VISITOR_IP)
    seen = []
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)):
            seen.extend(str(value) for value in row if value is not None)
    assert seen, "the walk found no rows"
    everything = "\n".join(seen)
    assert VISITOR_IP not in everything and key not in everything
    assert not IPV4.search(everything)
    get_settings.cache_clear()


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    return httpx.get(url, headers=headers, timeout=5).status_code


def test_serving_writes_no_client_address(database_url, tmp_path):
    # Only PATH is inherited: no PEERBEARING_* of this shell changes what the server logs.
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "PEERBEARING_SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
    }
    server = LiveServer(env, log_path=tmp_path / "serve.log", inherit=False).start()
    try:
        spoofed = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.8"}
        assert _get(f"{server.url}/", spoofed) == 200
        assert _get(f"{server.url}/no-such-page", spoofed) == 404
        assert _get(f"{server.url}/search?q=hello", spoofed) == 200
        assert _get(f"{server.url}/t/999999", spoofed) == 404
    finally:
        server.stop()
    port = server.port
    lines = server.log().splitlines()
    assert any(f"Uvicorn running on http://127.0.0.1:{port}" in line for line in lines), lines
    others = [line for line in lines if "Uvicorn running on" not in line]
    assert others, "expected some server output (startup and shutdown lines)"
    for line in others:
        assert "127.0.0.1" not in line and "198.51.100" not in line, line
        assert not IPV4.search(line), line
