"""One wording of time: lengths of time, dates per precision, and coarse times for readers."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from app.models import Post, Thread
from app.services import decisions, timewords
from tests.factories import make_moderator, make_thread, make_user, opening_post, report

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TO_THE_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (timedelta(0), "just now"),
        (timedelta(minutes=9, seconds=59), "just now"),
        (timedelta(minutes=10), "less than an hour ago"),
        (timedelta(minutes=59, seconds=59), "less than an hour ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=2, minutes=59), "2 hours ago"),
        (timedelta(hours=3), "3 hours ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(hours=24), "yesterday"),
        (timedelta(hours=47, minutes=59), "yesterday"),
        (timedelta(hours=48), "23 Nov 2026"),
        (timedelta(days=13), "12 Nov 2026"),
    ],
)
def test_readers_see_coarse_words_at_each_boundary(age, words):
    assert timewords.ago(NOW - age, now=NOW) == words


def test_dates_have_one_format_per_precision():
    moment = datetime(2026, 11, 12, 20, 11, 37, tzinfo=UTC)
    assert timewords.day(moment) == "12 Nov 2026"
    assert timewords.exact(moment) == "12 Nov 2026, 20:11 UTC"
    assert timewords.month(moment) == "Nov 2026"
    assert timewords.day_iso(moment) == "2026-11-12"
    assert timewords.exact_iso(moment) == "2026-11-12T20:11Z"


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, "less than a minute"), (1, "1 minute"), (59, "59 minutes"), (60, "1 hour"), (47 * 60, "47 hours"),
     (48 * 60, "2 days"), (72 * 60, "3 days")],
)  # fmt: skip
def test_waited_matches_the_queue_wording(minutes, words):
    since = NOW - timedelta(minutes=minutes)
    assert timewords.waited(since, NOW) == words


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(hours=23, minutes=59), "new account"),
        (timedelta(hours=24), "member for 1 day"),
        (timedelta(days=1, hours=23), "member for 1 day"),
        (timedelta(days=3), "member for 3 days"),
        (timedelta(days=59, hours=23), "member for 59 days"),
        (timedelta(days=60), "member for 2 months"),
        (timedelta(days=95), "member for 3 months"),
        (timedelta(days=364), "member for 12 months"),
        (timedelta(days=365), "member for 1 year"),
        (timedelta(days=729), "member for 1 year"),
        (timedelta(days=730), "member for 2 years"),
    ],
)
def test_reporters_account_age_is_coarse_with_exact_boundaries(age, words):
    assert timewords.member_for(NOW - age, now=NOW, new=timedelta(hours=24)) == words


def test_without_a_minimum_age_a_young_account_is_less_than_a_day_old():
    assert timewords.member_for(NOW, now=NOW, new=timedelta(0)) == "member for less than a day"
    assert timewords.member_for(NOW - timedelta(hours=2), now=NOW, new=timedelta(hours=1)) == (
        "member for less than a day"
    )
    assert timewords.member_for(NOW - timedelta(minutes=59), now=NOW, new=timedelta(hours=1)) == "new account"


def test_wait_rounds_up_so_nobody_is_told_to_wait_too_little():
    assert timewords.wait(10) == "a few seconds"
    assert timewords.wait(11) == "about 11 seconds"
    assert timewords.wait(60) == "about 1 minute"
    assert timewords.wait(61) == "about 2 minutes"
    assert timewords.wait(3600) == "about 1 hour"
    assert timewords.wait(3601) == "about 2 hours"
    assert timewords.wait(86400) == "about 24 hours"


# --- through HTTP ---------------------------------------------------------------------------------


def _times(html: str) -> list:
    return BeautifulSoup(html, "html.parser").find_all("time")


def _backdate(session, thread: Thread, hours: int) -> None:
    then = datetime.now(UTC) - timedelta(hours=hours, minutes=7)
    session.execute(update(Post).where(Post.thread_id == thread.id).values(created_at=then))
    session.execute(
        update(Thread).where(Thread.id == thread.id).values(created_at=then, last_activity_at=then)
    )
    session.commit()


@pytest.mark.parametrize("hx", [False, True])
def test_thread_pages_and_lists_show_readers_no_clock_time_and_only_the_day(session, client, hx):
    author = make_user(session)
    fresh = make_thread(session, author, title="Morning check-in")
    older = make_thread(session, author, title="Three hours back")
    _backdate(session, older, 3)
    headers = {"HX-Request": "true"} if hx else {}
    for path in (f"/t/{fresh.id}", f"/t/{older.id}", "/", "/c/stories"):
        html = client.get(path, headers=headers).text
        times = _times(html)
        assert times, path
        for t in times:
            assert DAY_ONLY.match(t["datetime"]), (path, t)
            assert not CLOCK.search(t.get_text()), (path, t)
        assert not CLOCK.search(BeautifulSoup(html, "html.parser").get_text()), path
    assert [t.get_text() for t in _times(client.get(f"/t/{fresh.id}").text)] == ["just now"]
    assert [t.get_text() for t in _times(client.get(f"/t/{older.id}").text)] == ["3 hours ago"]


def test_moderators_see_exact_times_in_the_queue_and_the_log(session, browsers):
    author = make_user(session)
    mod = make_moderator(session, "Steady-Mod")
    first = report(session, opening_post(session, make_thread(session, author)), make_user(session))
    decisions.decide(session, report_id=first.report.id, moderator=mod, action="dismiss")
    report(session, opening_post(session, make_thread(session, author, title="Second")), make_user(session))
    moderator = browsers("Steady-Mod")
    for path in ("/mod", "/mod/log"):
        times = _times(moderator.get(path).text)
        assert times, path
        for t in times:
            assert TO_THE_MINUTE.match(t["datetime"]), (path, t)
            assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC", t.get_text()), (path, t)
