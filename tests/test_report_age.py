"""Reports from brand-new accounts reach the queue but do not hide a post on their own."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.config import Settings, get_settings
from app.models import FORMER_MEMBER, ModAction, Post, PostStatus, User
from app.services import membership, moderation_queue, reporting
from tests.factories import PASSPHRASE, load, make_thread, make_user, opening_post, report
from tests.html import by_id, parse

NEW = timedelta(0)  # make_user(age=NEW): joined just now


@pytest.fixture
def post(session, author) -> Post:
    found = opening_post(session, make_thread(session, author, body="My story, as it happened."))
    session.commit()
    return found


def status_of(post: Post) -> str:
    return load(Post, post.id).status


def test_the_minimum_account_age_is_24_hours_by_default(monkeypatch):
    monkeypatch.delenv("PEERBEARING_REPORT_HIDE_MIN_ACCOUNT_AGE_HOURS", raising=False)
    assert Settings().report_hide_min_account_age_hours == 24


def test_three_new_accounts_cannot_hide_a_story_but_their_reports_reach_the_queue(session, post):
    outcomes = [report(session, post, make_user(session, age=NEW)) for _ in range(3)]

    assert [o.hidden for o in outcomes] == [False, False, False]
    assert status_of(post) == PostStatus.visible
    [group] = moderation_queue.queue(session).groups
    assert len(group.reports) == 3
    assert session.scalar(select(ModAction).where(ModAction.post_id == post.id)) is None


def test_three_older_accounts_hide_it(session, post):
    outcomes = [report(session, post, make_user(session, age=timedelta(days=2))) for _ in range(3)]

    assert [o.hidden for o in outcomes] == [False, False, True]
    assert status_of(post) == PostStatus.hidden_pending_review


def test_new_accounts_do_not_count_even_alongside_older_ones(session, post):
    report(session, post, make_user(session))
    report(session, post, make_user(session))
    for _ in range(3):
        assert report(session, post, make_user(session, age=NEW)).hidden is False
    assert status_of(post) == PostStatus.visible
    assert report(session, post, make_user(session)).hidden is True


def _two_established_and_one_new(session, post) -> User:
    report(session, post, make_user(session))
    report(session, post, make_user(session))
    return load(User, make_user(session, age=NEW).id)  # created_at as stored


def test_an_account_exactly_24_hours_old_counts(session, post):
    """The boundary belongs to the older side: created_at <= now - 24 h counts."""
    third = _two_established_and_one_new(session, post)
    outcome = reporting.report(
        session, post=post, reporter=third, reason="unkind", now=third.created_at + timedelta(hours=24)
    )
    assert outcome.hidden is True
    assert status_of(post) == PostStatus.hidden_pending_review
    entry = session.scalar(select(ModAction).where(ModAction.post_id == post.id))
    assert (entry.action, entry.reason) == ("auto_hide", "Reported by 3 members")


def test_an_account_23_hours_59_minutes_old_does_not_count(session, post):
    third = _two_established_and_one_new(session, post)
    now = third.created_at + timedelta(hours=23, minutes=59)
    outcome = reporting.report(session, post=post, reporter=third, reason="unkind", now=now)
    assert outcome.hidden is False
    assert status_of(post) == PostStatus.visible


def test_the_minimum_age_follows_the_setting(session, post, monkeypatch):
    monkeypatch.setenv("PEERBEARING_REPORT_HIDE_MIN_ACCOUNT_AGE_HOURS", "0")
    get_settings.cache_clear()
    outcomes = [report(session, post, make_user(session, age=NEW)) for _ in range(3)]
    assert outcomes[-1].hidden is True


def test_a_new_moderators_report_still_hides_at_once(session, post):
    """The moderator's own report hides whatever the moderator account's age."""
    moderator = load(User, make_user(session, "Mod-Newcomer", role="moderator", age=NEW).id)
    outcome = reporting.report(
        session,
        post=post,
        reporter=moderator,
        reason="doxxing",
        now=moderator.created_at + timedelta(minutes=1),
    )
    assert outcome.hidden is True
    assert status_of(post) == PostStatus.hidden_pending_review


def test_at_risk_reports_from_older_accounts_still_never_hide(session, post):
    for _ in range(3):
        report(session, post, make_user(session), reason=reporting.AT_RISK)
    assert status_of(post) == PostStatus.visible


# --- the queue shows each reporter's account age ---------------------------------------------------


def test_the_queue_shows_each_reporters_account_age_beside_the_name(session, post, mod, browsers):
    report(session, post, make_user(session, "Fresh-Fern", age=NEW))
    report(session, post, make_user(session, "Steady-Oak", age=timedelta(days=95)))
    report(session, post, make_user(session, "Old-Cedar", age=timedelta(days=800)))
    page = parse(browsers("Mod-Willow").get("/mod").text)
    lines = [li.get_text(" ", strip=True) for li in by_id(page, f"report-group-p{post.id}").select("li")]
    text = " | ".join(lines)
    assert "from Fresh-Fern (new account)" in text
    assert "from Steady-Oak (member for 3 months)" in text
    assert "from Old-Cedar (member for 2 years)" in text


def test_an_erased_reporter_shows_no_age(session, post):
    gone = make_user(session, "Leaving-Soon")
    report(session, post, gone)
    membership.erase(session, user=load(User, gone.id), passphrase=PASSPHRASE, erase_posts=False)
    [line] = moderation_queue.queue(session).groups[0].reports
    assert (line.reporter_name, line.reporter_age) == (FORMER_MEMBER, "")
