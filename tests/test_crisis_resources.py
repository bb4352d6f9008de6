"""The operator's crisis resources: /help, the header link, the compose forms, and refusing a broken file."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import DEFAULT_CRISIS_RESOURCES, get_settings
from app.main import create_app
from app.services import crisis_resources
from app.services.crisis_resources import ResourceFileError
from tests.factories import join_via_http, make_moderator, make_thread, make_user, sign_in_via_http
from tests.html import by_id, one, parse
from tests.http import csrf_of, htmx
from tests.live import APP_ENV, PROJECT_ROOT, free_port

LEVELS = """
[levels.low]
guidance = "Write to them within a day."

[levels.medium]
guidance = "Write to them within the hour."

[levels.high]
guidance = "Write to them now and share the emergency number."
"""
RIVERSIDE = """
[[line]]
name = "Riverside Crisis Line"
contact = "Call 0800 000 111"
url = "https://crisis.example.org/talk"
hours = "24/7"
region = "Riverside County"
"""
NIGHT_TEXT = """
[[line]]
name = "Night Text Service"
contact = "Text HOME to 85258"
hours = "8 pm to 8 am"
"""
HARBOUR = """
[[line]]
name = "Harbour Drop-in"
contact = "Walk in at 4 Quay Street"
region = "Old Town"
"""
INTRO = 'intro = "If tonight is too much, these people answer."\n'


@pytest.fixture
def resources_file(database_url, tmp_path, monkeypatch):
    """write(text) -> the path of a crisis resources file the settings now point at."""
    path = tmp_path / "crisis_resources.toml"

    def write(text: str | bytes) -> Path:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("PEERBEARING_CRISIS_RESOURCES", str(path))
        get_settings.cache_clear()
        crisis_resources.current.cache_clear()
        return path

    return write


@pytest.fixture
def app_with(resources_file):
    """app_with(text) -> a TestClient on an app started with that crisis resources file."""

    def start(text: str) -> TestClient:
        resources_file(text)
        return TestClient(create_app(), follow_redirects=False)

    return start


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **APP_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _names(container) -> list[str]:
    return [" ".join(tag.get_text(" ").split()) for tag in container.select(".crisis-line .crisis-name")]


# --- the happy path ------------------------------------------------------------------------------


def test_help_shows_the_operators_lines_in_order_with_links_hours_and_regions(app_with):
    client = app_with(INTRO + RIVERSIDE + NIGHT_TEXT + LEVELS)
    page = parse(client.get("/help").text)
    article = one(page, "article.crisis-help")
    assert "If tonight is too much, these people answer." in article.get_text()
    assert _names(article) == ["Riverside Crisis Line", "Night Text Service"]
    first, second = article.select(".crisis-line")
    link = first.find("a")
    assert link["href"] == "https://crisis.example.org/talk"
    assert "noopener" in link["rel"]
    assert "Call 0800 000 111" in first.get_text() and "Text HOME to 85258" in second.get_text()
    assert "Riverside County" in first.get_text() and "24/7" in first.get_text()
    assert "8 pm to 8 am" in second.get_text()
    assert second.find("a") is None  # no url, no link
    # The words are the operator's; nothing of the shipped examples is left on the page.
    assert "Samaritans" not in page.get_text()


def test_the_levels_guidance_is_read_from_the_same_file(resources_file):
    resources_file(RIVERSIDE + LEVELS)
    levels = crisis_resources.current().levels
    assert list(levels) == ["low", "medium", "high"]
    assert levels["high"].guidance == "Write to them now and share the emergency number."
    assert levels["low"].name == "low"


def test_what_was_read_cannot_change_while_the_server_runs(resources_file):
    path = resources_file(RIVERSIDE + LEVELS)
    resources = crisis_resources.current()
    with pytest.raises(dataclasses.FrozenInstanceError):
        resources.lines[0].name = "changed"
    with pytest.raises(TypeError):
        resources.levels["high"] = resources.levels["low"]
    path.write_text("broken = ", encoding="utf-8")
    assert crisis_resources.current() is resources  # read once at start, never half-read later


def test_the_shipped_file_is_headed_as_examples_and_puts_emergency_services_first(database_url):
    assert get_settings().crisis_resources == DEFAULT_CRISIS_RESOURCES
    assert "EXAMPLES" in DEFAULT_CRISIS_RESOURCES.read_text().splitlines()[0]
    shipped = crisis_resources.load(DEFAULT_CRISIS_RESOURCES)
    assert shipped.lines[0].name == "Emergency services"
    assert {"Samaritans", "988 Suicide & Crisis Lifeline", "Lifeline"} <= {
        line.name for line in shipped.lines
    }
    assert set(shipped.levels) == {"low", "medium", "high"}


# --- always one tap away ---------------------------------------------------------------------------


def test_every_page_kind_has_the_need_help_now_link_in_its_header(session, client):
    author = make_user(session, "Still-Water-3")
    thread = make_thread(session, author)
    make_moderator(session, "Keeper-Of-Calm")
    pages = {
        "front": client.get("/"),
        "thread": client.get(f"/t/{thread.id}"),
        "error": client.get("/t/99999"),
    }
    join_via_http(client)
    pages["me"] = client.get("/me")
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    sign_in_via_http(client, "Keeper-Of-Calm")
    pages["mod"] = client.get("/mod")
    assert pages["error"].status_code == 404
    for kind, response in pages.items():
        link = one(parse(response.text), "header.site-header a#help-now")
        assert link["href"] == "/help", kind
        assert link.get_text(strip=True) == "Need help now?", kind
    help_link = by_id(client.get("/help").text, "help-now")
    assert help_link["aria-current"] == "page"


def test_the_new_thread_form_shows_the_first_two_lines_and_not_the_third(app_with, session):
    client = app_with(RIVERSIDE + NIGHT_TEXT + HARBOUR + LEVELS)
    join_via_http(client)
    form = by_id(client.get("/new").text, "thread-form")
    assert _names(form) == ["Riverside Crisis Line", "Night Text Service"]
    assert "Harbour Drop-in" not in form.get_text()
    assert form.select_one('.compose-help a[href="/help"]')


def test_the_reply_form_shows_the_first_two_lines_also_when_it_comes_back_with_htmx(app_with, session):
    client = app_with(RIVERSIDE + NIGHT_TEXT + HARBOUR + LEVELS)
    thread = make_thread(session, make_user(session, "Open-Door-8"))
    join_via_http(client)
    form = by_id(client.get(f"/t/{thread.id}").text, "reply-form")
    assert _names(form) == ["Riverside Crisis Line", "Night Text Service"]
    assert "Harbour Drop-in" not in form.get_text()
    token = csrf_of(client)
    answer = client.post(f"/t/{thread.id}/reply", data={"body": ""}, headers=htmx(token))
    assert answer.status_code == 422
    assert _names(by_id(answer.text, "reply-form")) == ["Riverside Crisis Line", "Night Text Service"]


# --- a missing or broken file stops the start -----------------------------------------------------


def test_a_missing_file_stops_create_app_naming_the_file(resources_file, tmp_path):
    path = resources_file(RIVERSIDE + LEVELS)
    path.unlink()
    with pytest.raises(ResourceFileError) as raised:
        create_app()
    assert str(path) in str(raised.value) and "no such file" in str(raised.value)


def test_a_missing_file_stops_serve_and_check_config_naming_the_file(database_url, tmp_path):
    missing = tmp_path / "nowhere" / "crisis_resources.toml"
    env = {"DATABASE_URL": database_url, "PEERBEARING_CRISIS_RESOURCES": str(missing)}
    for args in (("check-config",), ("serve", "--port", str(free_port()))):
        done = _cli(*args, env=env)
        assert done.returncode == 1, (args, done.stderr)
        assert str(missing) in done.stderr, args
        assert "Traceback" not in done.stderr, args


def test_check_config_says_ok_in_one_line(database_url, tmp_path):
    path = tmp_path / "crisis_resources.toml"
    path.write_text(INTRO + RIVERSIDE + NIGHT_TEXT + LEVELS, encoding="utf-8")
    done = _cli("check-config", env={"DATABASE_URL": database_url, "PEERBEARING_CRISIS_RESOURCES": str(path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("OK")
    assert "2 crisis lines" in done.stdout and str(path) in done.stdout


def test_check_config_refuses_unsafe_settings_in_plain_words(database_url):
    done = _cli("check-config", env={"DATABASE_URL": database_url, "PEERBEARING_ENVIRONMENT": "production"})
    assert done.returncode == 1
    assert "development secret" in done.stderr and "Traceback" not in done.stderr


BROKEN = {
    "missing contact": (
        INTRO + RIVERSIDE + '\n[[line]]\nname = "No Number"\nhours = "24/7"\n' + LEVELS,
        10,
        "a [[line]] needs a contact",
    ),
    "javascript url": (
        INTRO + RIVERSIDE + NIGHT_TEXT + 'url = "javascript:alert(1)"\n' + LEVELS,
        14,
        "url must start with https:// or http://",
    ),
    "toml syntax": (INTRO + '\n[[line]]\nname = "A"\ncontact = Call 988\n' + LEVELS, 5, "Invalid value"),
    "missing name": (INTRO + '\n[[line]]\ncontact = "Call 1"\n' + LEVELS, 3, "a [[line]] needs a name"),
    "misspelt key": (
        INTRO + RIVERSIDE + '\n[[line]]\nname = "B"\ncontcat = "Call 2"\n' + LEVELS,
        12,
        "no key 'contcat'",
    ),
    "empty contact": (INTRO + '\n[[line]]\nname = "B"\ncontact = "  "\n' + LEVELS, 5, "must be some words"),
    "no lines": (INTRO + LEVELS, None, "at least one [[line]]"),
    "unknown level": (RIVERSIDE + LEVELS + '\n[levels.urgent]\nguidance = "x"\n', 18, "no level 'urgent'"),
    "level without guidance": (
        RIVERSIDE + LEVELS.replace('guidance = "Write to them within the hour."', ""),
        12,
        "needs a guidance",
    ),
    "a level missing": (RIVERSIDE + LEVELS.split("[levels.high]")[0], None, "[levels.high]"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_naming_the_file_and_the_line(resources_file, case):
    text, line, words = BROKEN[case]
    path = resources_file(text)
    with pytest.raises(ResourceFileError) as raised:
        crisis_resources.load(path)
    error = raised.value
    assert error.line == line, str(error)
    assert words in error.message
    where = f"{path}, line {line}: " if line else f"{path}: "
    assert str(error).startswith(where)


def test_a_file_not_saved_as_utf8_names_the_line_with_the_bad_byte(resources_file):
    path = resources_file(
        RIVERSIDE.encode() + b'\n[[line]]\nname = "Caf\xe9"\ncontact = "x"\n' + LEVELS.encode()
    )
    with pytest.raises(ResourceFileError, match="UTF-8") as raised:
        crisis_resources.load(path)
    assert raised.value.line == 10


def test_check_config_names_the_line_of_a_broken_file(database_url, tmp_path):
    path = tmp_path / "crisis_resources.toml"
    path.write_text(BROKEN["javascript url"][0], encoding="utf-8")
    done = _cli("check-config", env={"DATABASE_URL": database_url, "PEERBEARING_CRISIS_RESOURCES": str(path)})
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"{path}, line 14: a [[line]]'s url must start with https://")
