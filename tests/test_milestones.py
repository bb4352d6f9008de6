"""Private milestones: the start date, the optional "N days" badge, reset and the longest stretch."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.models import ModAction, User
from app.services import milestones, posting
from tests.factories import PASSPHRASE, join_via_http, load, make_thread, make_user, sign_in_via_http
from tests.html import by_id, form_values, one, parse, root, text_of
from tests.http import csrf_of, htmx

D = date.fromisoformat


def _member(session, name):
    session.rollback()
    return session.scalar(select(User).where(User.pseudonym == name))


def _save(session, user, start, *, show_days=False, keep_longest=False, today):
    return milestones.save(
        session, user=user, recovery_start=start, show_days=show_days, keep_longest=keep_longest, today=today
    )


# --- the day arithmetic (pure, `today` injected) -------------------------------------------------


def test_the_start_day_is_day_0_and_the_first_year_milestones_are_day_counts():
    start = D("2026-05-10")
    assert milestones.days_counted(start, start) == 0
    assert milestones.milestone_on(start, start) is None
    assert milestones.milestone_on(start, D("2026-05-11")) == "1 day"
    assert milestones.milestone_on(start, D("2026-05-17")) == "7 days"
    assert milestones.milestone_on(start, D("2026-05-18")) is None
    for days in (30, 60, 90, 180):
        assert milestones.milestone_on(start, start + timedelta(days=days)) == f"{days} days"
    assert milestones.milestone_on(start, D("2027-05-10")) == "1 year"
    assert milestones.milestone_on(start, D("2029-05-10")) == "3 years"
    assert milestones.milestone_on(start, D("2029-05-11")) is None


def test_a_start_on_a_leap_day_has_its_anniversaries_on_28_february_and_on_29_in_leap_years():
    start = D("2028-02-29")
    assert milestones.milestone_on(start, D("2028-03-01")) == "1 day"
    assert milestones.days_counted(start, D("2029-02-28")) == 365
    assert milestones.milestone_on(start, D("2029-02-28")) == "1 year"  # day 365 too: named in years
    assert milestones.milestone_on(start, D("2029-03-01")) is None
    assert milestones.milestone_on(start, D("2030-02-28")) == "2 years"
    assert milestones.milestone_on(start, D("2031-03-01")) is None
    assert milestones.milestone_on(start, D("2032-02-28")) is None  # a leap year: the 29th is the day
    assert milestones.milestone_on(start, D("2032-02-29")) == "4 years"


def test_a_year_that_crosses_a_leap_day_has_day_365_before_the_anniversary():
    start = D("2027-03-01")
    assert milestones.days_counted(start, D("2028-02-29")) == 365
    assert milestones.milestone_on(start, D("2028-02-29")) == "365 days"
    assert milestones.days_counted(start, D("2028-03-01")) == 366
    assert milestones.milestone_on(start, D("2028-03-01")) == "1 year"
    assert milestones.milestone_on(start, D("2028-02-28")) is None


# --- the rules, through the service ---------------------------------------------------------------


def test_saving_a_start_date_counts_days_and_keeps_the_badge_off_by_default(session):
    user = make_user(session)
    assert (user.recovery_start, user.show_days, user.keep_longest) == (None, False, False)
    shown = _save(session, user, "2026-01-01", today=D("2026-01-31"))
    assert (shown.days, shown.milestone, shown.show_days, shown.longest) == (30, "30 days", False, None)
    assert shown.thread_title == "30 days today"
    assert load(User, user.id).recovery_start == D("2026-01-01")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2026-02-30", milestones.UNREADABLE),
        ("next tuesday", milestones.UNREADABLE),
        ("1066-10-14", milestones.UNREADABLE),
        ("2026-02-03", milestones.FUTURE),
    ],
)
def test_an_unreadable_or_future_start_is_refused_with_422_and_nothing_changes(session, typed, words):
    user = make_user(session)
    _save(session, user, "2026-01-01", today=D("2026-01-31"))
    with pytest.raises(milestones.InvalidInput) as refused:
        _save(session, user, typed, show_days=True, today=D("2026-02-01"))
    assert refused.value.status_code == 422 and refused.value.fields == {"recovery_start": words}
    session.rollback()
    assert load(User, user.id).recovery_start == D("2026-01-01") and not load(User, user.id).show_days


def test_tomorrow_in_utc_is_accepted_for_members_already_on_the_next_day(session):
    user = make_user(session)
    shown = _save(session, user, "2026-02-02", today=D("2026-02-01"))
    assert shown.days == 0


def test_reset_with_keep_longest_keeps_the_longer_stretch_only(session):
    user = make_user(session)
    _save(session, user, "2026-01-01", keep_longest=True, today=D("2026-01-01"))
    shown = _save(session, user, "2026-03-01", keep_longest=True, today=D("2026-03-01"))  # 59 days end
    assert (shown.days, shown.longest) == (0, 59)
    shown = _save(session, user, "2026-03-11", keep_longest=True, today=D("2026-03-11"))  # 10 days end
    assert (shown.days, shown.longest) == (0, 59)
    assert load(User, user.id).longest_days == 59
    # The current stretch counts as the longest once it passes the kept one.
    assert milestones.summary(user=load(User, user.id), today=D("2026-06-01")).longest == 82


def test_reset_without_keep_longest_keeps_no_stretch_and_unticking_forgets_a_kept_one(session):
    user = make_user(session)
    _save(session, user, "2026-01-01", today=D("2026-01-01"))
    shown = _save(session, user, "2026-03-01", today=D("2026-03-01"))
    assert shown.longest is None and load(User, user.id).longest_days is None
    _save(session, user, "2026-03-01", keep_longest=True, today=D("2026-03-01"))
    _save(session, user, "2026-04-01", keep_longest=True, today=D("2026-04-01"))
    assert load(User, user.id).longest_days == 31
    _save(session, user, "2026-04-01", keep_longest=False, today=D("2026-04-02"))
    assert load(User, user.id).longest_days is None


def test_an_empty_date_stops_the_count_and_the_badge(session):
    user = make_user(session)
    _save(session, user, "2026-01-01", show_days=True, today=D("2026-01-05"))
    shown = _save(session, user, "", show_days=True, today=D("2026-01-06"))
    assert (shown.start, shown.days, shown.show_days) == (None, None, False)


# --- over HTTP -------------------------------------------------------------------------------------


def test_milestones_page_asks_a_visitor_to_sign_in(client):
    r = client.get("/me/milestones")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_saving_without_js_answers_303_back_to_the_page_which_shows_the_count(client, session):
    join_via_http(client, "Steady-Oak")
    start = (milestones.today() - timedelta(days=12)).isoformat()
    token = csrf_of(client, "/me/milestones")
    r = client.post("/me/milestones", data={"recovery_start": start, "show_days": "on", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/me/milestones?done=saved"
    page = client.get(r.headers["location"]).text
    assert "12 days" in text_of(page, "milestones-count") and "Saved." in page
    form = one(page, "#milestones-form form[action='/me/milestones']:has(#milestones-form-recovery_start)")
    assert form_values(form) | {"csrf_token": ""} == {
        "csrf_token": "",
        "recovery_start": start,
        "show_days": "on",
    }
    assert _member(session, "Steady-Oak").show_days is True


def test_saving_with_htmx_answers_the_form_fragment(client):
    join_via_http(client)
    token = csrf_of(client, "/me/milestones")
    start = (milestones.today() - timedelta(days=3)).isoformat()
    r = client.post(
        "/me/milestones", data={"recovery_start": start, "keep_longest": "on"}, headers=htmx(token)
    )
    assert r.status_code == 200 and root(r.text) == "div#milestones-form"
    assert r.headers["vary"] == "HX-Request"
    assert "3 days" in text_of(r.text, "milestones-count") and "Saved." in r.text


def test_a_future_date_is_a_422_page_with_the_form_as_typed(client):
    join_via_http(client)
    token = csrf_of(client, "/me/milestones")
    data = {"recovery_start": "2099-01-01", "show_days": "on", "csrf_token": token}
    r = client.post("/me/milestones", data=data)
    assert r.status_code == 422 and milestones.FUTURE in r.text
    field = by_id(r.text, "milestones-form-recovery_start")
    assert field["value"] == "2099-01-01" and field["aria-invalid"] == "true"
    assert by_id(r.text, "milestones-form-show_days").has_attr("checked")


def test_an_unreadable_date_with_htmx_is_a_422_fragment_retargeted_to_the_form(client):
    join_via_http(client)
    token = csrf_of(client, "/me/milestones")
    r = client.post("/me/milestones", data={"recovery_start": "31/12/2025"}, headers=htmx(token))
    assert r.status_code == 422 and root(r.text) == "div#milestones-form"
    assert r.headers["HX-Retarget"] == "#milestones-form"
    assert (
        milestones.UNREADABLE in r.text
        and by_id(r.text, "milestones-form-recovery_start")["value"] == "31/12/2025"
    )


def test_the_reset_button_starts_again_from_today_and_keeps_the_boxes(client, session):
    join_via_http(client, "Steady-Oak")
    user = _member(session, "Steady-Oak")
    _save(
        session,
        user,
        (milestones.today() - timedelta(days=40)).isoformat(),
        show_days=True,
        keep_longest=True,
        today=milestones.today(),
    )
    page = client.get("/me/milestones").text
    reset = one(page, "#milestones-form form:not(:has(#milestones-form-recovery_start))")
    r = client.post("/me/milestones", data=form_values(reset))
    assert r.status_code == 303
    page = client.get("/me/milestones").text
    assert "0 days" in text_of(page, "milestones-count") and "longest stretch: 40 days" in page
    assert _member(session, "Steady-Oak").show_days is True


# --- the badge on thread pages ----------------------------------------------------------------------


def _author_of(html, post_id):
    return " ".join(one(html, f"#p{post_id} .author").get_text(" ").split())


def test_the_badge_shows_on_named_posts_only_never_on_a_post_made_as_a_member(client, session):
    counter = make_user(session, "Steady-Oak")
    quiet = make_user(session, "Quiet-Elm")
    start = milestones.today() - timedelta(days=45)
    _save(session, counter, start.isoformat(), show_days=True, today=milestones.today())
    _save(session, quiet, start.isoformat(), show_days=False, today=milestones.today())
    thread = make_thread(session, counter, title="Forty-five")
    named = posting.reply(session, thread_id=thread.id, author=counter, body="Named reply")
    hidden = posting.reply(session, thread_id=thread.id, author=counter, body="As a member", anonymous=True)
    other = posting.reply(session, thread_id=thread.id, author=quiet, body="No badge chosen")
    html = client.get(f"/t/{thread.id}").text
    assert _author_of(html, named.id) == "Steady-Oak 45 days"
    assert one(html, f"#p{named.id} .days-badge").get_text() == "45 days"
    assert _author_of(html, hidden.id) == "a member"
    assert _author_of(html, other.id) == "Quiet-Elm"
    assert len(parse(html).select(".days-badge")) == 2  # the opening post and the named reply
    # The author sees their own "a member" post by name, still without the badge.
    sign_in_via_http(client, "Steady-Oak")
    own = client.get(f"/t/{thread.id}").text
    assert one(own, f"#p{hidden.id} .author").select(".days-badge") == []


def test_front_page_and_lists_carry_no_badge(client, session):
    counter = make_user(session)
    _save(session, counter, "2026-01-01", show_days=True, today=milestones.today())
    make_thread(session, counter)
    assert "days-badge" not in client.get("/").text


def test_a_reset_leaves_nothing_public_but_the_new_number(client, session):
    counter = make_user(session, "Steady-Oak")
    today = milestones.today()
    _save(
        session,
        counter,
        (today - timedelta(days=90)).isoformat(),
        show_days=True,
        keep_longest=True,
        today=today,
    )
    thread = make_thread(session, counter)
    before = client.get(f"/t/{thread.id}").text
    _save(session, counter, today.isoformat(), show_days=True, keep_longest=True, today=today)
    after = client.get(f"/t/{thread.id}").text
    assert "90 days" in before and "90 days" not in after
    assert before.replace("90 days", "0 days") == after
    assert session.scalar(select(func.count()).select_from(ModAction)) == 0


# --- /me: the quiet celebration and the prefilled thread ---------------------------------------------


def test_me_celebrates_a_milestone_day_with_a_link_to_a_prefilled_milestones_thread(client, session):
    join_via_http(client, "Steady-Oak")
    today = milestones.today()
    _save(session, _member(session, "Steady-Oak"), (today - timedelta(days=7)).isoformat(), today=today)
    page = client.get("/me").text
    celebration = one(page, ".celebration")
    assert "7 days today." in celebration.get_text()
    link = celebration.find("a")["href"]
    assert link == "/new?category=milestones&title=7+days+today"
    form = by_id(client.get(link).text, "thread-form")
    assert form_values(form)["title"] == "7 days today" and form_values(form)["category"] == "milestones"


def test_me_is_quiet_on_other_days(client, session):
    join_via_http(client, "Steady-Oak")
    today = milestones.today()
    _save(session, _member(session, "Steady-Oak"), (today - timedelta(days=8)).isoformat(), today=today)
    page = client.get("/me").text
    assert parse(page).select(".celebration") == [] and "8 days" in page


# --- export and erasure -------------------------------------------------------------------------------


def test_export_holds_the_milestones_and_erasure_takes_them(client, session):
    join_via_http(client, "Steady-Oak")
    today = milestones.today()
    user = _member(session, "Steady-Oak")
    _save(session, user, (today - timedelta(days=20)).isoformat(), keep_longest=True, today=today)
    _save(session, user, today.isoformat(), show_days=True, keep_longest=True, today=today)
    data = client.get("/me/export").json()
    assert data["milestones"] == {
        "recovery_start": today.isoformat(),
        "show_days": True,
        "keep_longest": True,
        "longest_days": 20,
    }
    token = csrf_of(client, "/me/delete")
    assert client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token}).status_code == 303
    assert _member(session, "Steady-Oak") is None  # the milestones lived on the erased row


def test_a_reply_sent_with_htmx_carries_the_badge_but_not_when_made_as_a_member(client, session):
    join_via_http(client, "Steady-Oak")
    today = milestones.today()
    _save(
        session,
        _member(session, "Steady-Oak"),
        (today - timedelta(days=2)).isoformat(),
        show_days=True,
        today=today,
    )
    thread = make_thread(session, make_user(session))
    token = csrf_of(client, f"/t/{thread.id}")
    named = client.post(f"/t/{thread.id}/reply", data={"body": "Two days"}, headers=htmx(token))
    assert named.status_code == 200 and one(named.text, ".days-badge").get_text() == "2 days"
    hidden = client.post(
        f"/t/{thread.id}/reply", data={"body": "Quietly", "anonymous": "on"}, headers=htmx(token)
    )
    assert hidden.status_code == 200 and parse(hidden.text).select(".days-badge") == []
