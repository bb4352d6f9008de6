"""Rate limits: 429 in plain words with Retry-After and the typed text kept; client keys; Redis."""

import os
import re
import uuid
from datetime import date

import pytest
import redis
from limits import parse

from app.config import get_settings
from app.errors import TooMany
from app.services import ratelimit, timewords
from tests.factories import PASSPHRASE, join_via_http, make_thread, make_user, start_thread_via_http
from tests.html import by_id, form_values, post_ids, root
from tests.html import parse as parse_html
from tests.http import csrf_of, htmx, submit

REDIS_URL = "redis://127.0.0.1:6379"


def test_a_second_quick_reply_is_refused_with_429_and_the_page_keeps_the_typed_text(client, limits_on):
    join_via_http(client)
    path = start_thread_via_http(client)
    token = csrf_of(client, path)
    first = client.post(f"{path}/reply", data={"body": "First reply.", "csrf_token": token})
    assert first.status_code == 303
    typed = "Second thought <right away> & more"
    second = client.post(f"{path}/reply", data={"body": typed, "csrf_token": token})
    assert second.status_code == 429
    assert 1 <= int(second.headers["Retry-After"]) <= 30
    assert "Please wait" in second.text and "then try again" in second.text
    page = parse_html(second.text)
    assert page.html and form_values(by_id(page, "reply-form"))["body"] == typed


def test_a_second_quick_reply_over_htmx_gets_the_reply_form_fragment_with_the_text(client, limits_on):
    join_via_http(client)
    path = start_thread_via_http(client)
    token = csrf_of(client, path)
    assert client.post(f"{path}/reply", data={"body": "First."}, headers=htmx(token)).status_code == 200
    second = client.post(f"{path}/reply", data={"body": "Typed again, kept"}, headers=htmx(token))
    assert second.status_code == 429
    assert second.headers["HX-Retarget"] == "#reply-form"
    assert "Retry-After" in second.headers and second.headers["Vary"] == "HX-Request"
    assert root(second.text) == "form#reply-form" and "Please wait" in second.text
    assert form_values(by_id(second.text, "reply-form"))["body"] == "Typed again, kept"


def test_sign_in_attempts_per_pseudonym_are_limited_and_say_when_to_try_again(client, limits_on):
    name = join_via_http(client)
    client.cookies.clear()
    token = csrf_of(client, "/login")
    for _ in range(10):
        r = client.post("/login", data={"pseudonym": name, "passphrase": "wrong one!!", "csrf_token": token})
        assert r.status_code == 422
    r = client.post("/login", data={"pseudonym": name.upper(), "passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 429
    assert re.search(r"You have tried to sign in many times\. Please wait about 1\d minutes", r.text)
    assert int(r.headers["Retry-After"]) > 800
    assert form_values(by_id(r.text, "login-form"))["pseudonym"] == name.upper()  # the typed name is kept


def test_joins_per_client_are_limited(client, limits_on):
    for _ in range(5):
        join_via_http(client)
        client.cookies.clear()
    token = csrf_of(client, "/join")
    r = client.post(
        "/join",
        data={
            "pseudonym": "One-More-Try",
            "passphrase": PASSPHRASE,
            "guidelines": "yes",
            "csrf_token": token,
        },
    )
    assert r.status_code == 429
    assert form_values(by_id(r.text, "join-form"))["pseudonym"] == "One-More-Try"


def test_new_accounts_start_two_threads_an_hour_then_wait(client, limits_on):
    join_via_http(client)
    start_thread_via_http(client)
    start_thread_via_http(client)
    r = submit(client, "/new", {"title": "A third one", "body": "Kept words", "category": "general"})
    assert r.status_code == 429
    kept = form_values(by_id(r.text, "thread-form"))
    assert (kept["title"], kept["body"], kept["category"]) == ("A third one", "Kept words", "general")


def test_reactions_over_the_limit_answer_429_as_a_flash_fragment(client, session, limits_on):
    author = make_user(session)
    thread = make_thread(session, author)
    join_via_http(client)
    token = csrf_of(client, f"/t/{thread.id}")
    (post_id,) = post_ids(client.get(f"/t/{thread.id}").text)
    for _ in range(60):
        assert client.post(f"/p/{post_id}/react/hug", headers=htmx(token)).status_code == 200
    r = client.post(f"/p/{post_id}/react/hug", headers=htmx(token))
    assert r.status_code == 429 and r.headers["HX-Retarget"] == "#flash"
    assert "encouragement" in r.text


def test_report_and_search_limits_count_and_refuse(database_url, limits_on, session):
    user = make_user(session)
    for _ in range(20):
        ratelimit.report(user=user)
    with pytest.raises(TooMany) as refused:
        ratelimit.report(user=user)
    assert "hours" in refused.value.message and refused.value.retry_after > 80_000
    for _ in range(30):
        ratelimit.search(client="k")
    with pytest.raises(TooMany):
        ratelimit.search(client="k")


def test_limits_are_off_when_disabled(database_url):
    for _ in range(50):
        ratelimit.hit("reply", "1", "1 per hour")


def test_the_client_key_rotates_daily_and_groups_ipv6_by_64(database_url):
    day, next_day = date(2026, 11, 25), date(2026, 11, 26)
    key = ratelimit.client_key("203.0.113.9", day=day)
    assert key == ratelimit.client_key("203.0.113.9", day=day)
    assert key != ratelimit.client_key("203.0.113.9", day=next_day)
    assert key != ratelimit.client_key("203.0.113.10", day=day)
    assert key == ratelimit.client_key("::ffff:203.0.113.9", day=day)
    assert "203" not in key and len(key) == 32
    home = ratelimit.client_key("2001:db8:1:2:aaaa::1", day=day)
    assert home == ratelimit.client_key("2001:db8:1:2:bbbb:cccc:dddd:eeee", day=day)
    assert home != ratelimit.client_key("2001:db8:1:3::1", day=day)
    assert ratelimit.normalise_ip("2001:DB8:1:2::9") == "2001:db8:1:2::/64"


def test_wait_words_are_plain():
    assert timewords.wait(4) == "a few seconds"
    assert timewords.wait(45) == "about 45 seconds"
    assert timewords.wait(61) == "about 2 minutes"
    assert timewords.wait(4 * 60) == "about 4 minutes"
    assert timewords.wait(20 * 3600) == "about 20 hours"


def _redis_or_fail():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI must provide it")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_two_processes_share_counts_through_redis():
    _redis_or_fail()
    prefix = f"pbtest-{uuid.uuid4().hex}"
    # Two limiter instances, each with its own storage and connection: two workers.
    first = ratelimit.make_limiter(REDIS_URL, key_prefix=prefix)
    second = ratelimit.make_limiter(REDIS_URL, key_prefix=prefix)
    item = parse("2 per minute")
    assert first.hit(item, "reply", "7")
    assert second.hit(item, "reply", "7")
    assert not first.hit(item, "reply", "7")
    assert not second.hit(item, "reply", "7")
    assert second.hit(item, "reply", "8")
    first.storage.reset()


def test_hit_uses_redis_when_configured(database_url, monkeypatch):
    _redis_or_fail()
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    monkeypatch.setenv("PEERBEARING_RATE_LIMIT_STORAGE", REDIS_URL)
    get_settings.cache_clear()
    scope = f"test-{uuid.uuid4().hex}"
    ratelimit.hit(scope, "k", "1 per minute")
    assert type(ratelimit.limiter().storage).__name__ == "RedisStorage"
    get_settings.cache_clear()  # a new settings object: a new limiter, the same shared counts
    with pytest.raises(TooMany) as refused:
        ratelimit.hit(scope, "k", "1 per minute")
    assert 1 <= refused.value.retry_after <= 60
    get_settings.cache_clear()


def test_an_unreachable_store_lets_people_through(database_url, monkeypatch, caplog):
    monkeypatch.setenv("PEERBEARING_RATE_LIMITS_ENABLED", "true")
    monkeypatch.setenv("PEERBEARING_RATE_LIMIT_STORAGE", "redis://127.0.0.1:1")
    get_settings.cache_clear()
    ratelimit.hit("reply", "1", "1 per hour")
    ratelimit.hit("reply", "1", "1 per hour")
    assert "rate-limit storage unavailable" in caplog.text
    get_settings.cache_clear()


def test_look_alike_spellings_of_a_name_share_one_sign_in_limit(client, limits_on):
    name = join_via_http(client, "Calm-River-12")
    client.cookies.clear()
    token = csrf_of(client, "/login")
    spellings = [
        "calm river 12",
        "Calm_River_12",
        "CALM-RIVER-l2",
        "Ｃａｌｍ-River-12",
        "Calm-Riv\u0435r-12",
    ]  # the last: a Cyrillic е
    for i in range(10):
        data = {"pseudonym": spellings[i % 5], "passphrase": "wrong one!!", "csrf_token": token}
        assert client.post("/login", data=data).status_code == 422
    r = client.post("/login", data={"pseudonym": name, "passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 429
