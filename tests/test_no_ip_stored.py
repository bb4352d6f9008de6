"""No raw IP address is kept: not in any table, not in the server's output."""

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import PROJECT_ROOT, get_settings
from app.models import metadata
from app.services import ratelimit
from tests.conftest import csrf_of
from tests.factories import join_via_http

VISITOR_IP = "203.0.113.9"
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def test_no_table_holds_an_ip_after_joining_posting_and_reacting(app, session, monkeypatch):
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    get_settings.cache_clear()
    with TestClient(app, follow_redirects=False, client=(VISITOR_IP, 40000)) as visitor:
        join_via_http(visitor)
        token = csrf_of(visitor, "/new")
        r = visitor.post(
            "/new",
            data={"title": "Week two", "body": "Still going.", "category": "general", "csrf_token": token},
        )
        path = r.headers["location"]
        visitor.post(f"{path}/reply", data={"body": "A reply.", "csrf_token": token})
        post_id = re.search(r'id="p(\d+)"', visitor.get(path).text).group(1)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    return httpx.get(url, headers=headers, timeout=5).status_code


def test_serving_writes_no_client_address(database_url, tmp_path):
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "PEERBEARING_SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
    }
    out = tmp_path / "serve.log"
    with out.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if _get(f"{base}/healthz") == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start:\n" + out.read_text())
            spoofed = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.8"}
            assert _get(f"{base}/", spoofed) == 200
            assert _get(f"{base}/no-such-page", spoofed) == 404
            assert _get(f"{base}/search?q=hello", spoofed) in (200, 404)
            assert _get(f"{base}/t/999999", spoofed) == 404
        finally:
            server.terminate()
            server.wait(timeout=10)
    lines = out.read_text().splitlines()
    assert any(f"Uvicorn running on http://127.0.0.1:{port}" in line for line in lines), lines
    others = [line for line in lines if "Uvicorn running on" not in line]
    assert others, "expected some server output (startup and shutdown lines)"
    for line in others:
        assert "127.0.0.1" not in line and "198.51.100" not in line, line
        assert not IPV4.search(line), line
