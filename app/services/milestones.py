"""A member's private recovery count: the day arithmetic (pure, `today` injected) and its one form.

Dates are calendar days. The server's `today` is the UTC date; a member east of UTC may already be
on the next day, so a start of "tomorrow" (UTC) is accepted and counts as day 0 until then.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import User, utcnow

# The day counts celebrated in the first year; every anniversary after that is one too.
MILESTONE_DAYS = (1, 7, 30, 60, 90, 180, 365)
EARLIEST_START = date(1900, 1, 1)
UNREADABLE = "Please give the date as year-month-day, for example 2026-03-14."
FUTURE = "That date is still to come. Your count starts on a day that has already begun."


def today() -> date:
    return utcnow().date()


def days_counted(start: date, today: date) -> int:
    """Whole days since the start: 0 on the start day itself (never negative)."""
    return max(0, (today - start).days)


def anniversary(start: date, years: int) -> date:
    """The start's date `years` later; a 29 February start has its anniversary on 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def milestone_on(start: date, today: date) -> str | None:
    """The words for the milestone this day is ("30 days", "2 years"), or None on other days.

    An anniversary is named in years even when it is also day 365 (a start on 29 February).
    """
    years = today.year - start.year
    if years >= 1 and today == anniversary(start, years):
        return "1 year" if years == 1 else f"{years} years"
    days = (today - start).days
    if days in MILESTONE_DAYS:
        return days_words(days)
    return None


def days_words(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class Summary:
    """What /me and /me/milestones show the member (nobody else sees any of it)."""

    today: date  # the day it was computed for (the reset form offers it as the new start)
    start: date | None
    days: int | None
    longest: int | None  # the longest stretch, this one included; only when keep_longest is on
    milestone: str | None  # today's milestone words, or None
    show_days: bool
    keep_longest: bool

    @property
    def thread_title(self) -> str:
        """The prefilled title of the Milestones thread a milestone day offers to start."""
        return f"{self.milestone} today" if self.milestone else ""


def summary(*, user: User, today: date) -> Summary:
    """Pure: reads only the user row already loaded."""
    start = user.recovery_start
    days = days_counted(start, today) if start else None
    longest = None
    if user.keep_longest:
        longest = max(user.longest_days or 0, days or 0)
    return Summary(
        today=today,
        start=start,
        days=days,
        longest=longest,
        milestone=milestone_on(start, today) if start else None,
        show_days=user.show_days,
        keep_longest=user.keep_longest,
    )


def parse_start(typed: str, *, today: date) -> date | None:
    """The typed start date, or None for an empty field; InvalidInput (422) when unreadable or to come."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        start = date.fromisoformat(typed)
    except ValueError:
        start = None
    if start is None or len(typed) != 10 or start < EARLIEST_START:
        raise InvalidInput("Your count was not changed.", fields={"recovery_start": UNREADABLE})
    if start > today + timedelta(days=1):
        raise InvalidInput("Your count was not changed.", fields={"recovery_start": FUTURE})
    return start


def ended_stretch(old_start: date | None, new_start: date | None, today: date) -> int:
    """The days of the stretch a reset ends: from the old start to the new one (or today, if none)."""
    if old_start is None:
        return 0
    return max(0, ((new_start or today) - old_start).days)


def save(
    session: Session,
    *,
    user: User,
    recovery_start: str,
    show_days: bool,
    keep_longest: bool,
    today: date,
) -> Summary:
    """Set the start (a new date is a reset), the badge and the longest stretch; one transaction.

    A reset leaves no trace anywhere but the new number: nothing is logged, no post changes.
    Turning keep_longest off forgets the longest stretch at once.
    """
    start = parse_start(recovery_start, today=today)
    if start != user.recovery_start:
        stretch = ended_stretch(user.recovery_start, start, today)
        if keep_longest:
            user.longest_days = max(user.longest_days or 0, stretch) or None
    if not keep_longest:
        user.longest_days = None
    user.recovery_start = start
    user.show_days = show_days and start is not None
    user.keep_longest = keep_longest
    session.add(user)
    session.commit()
    return summary(user=user, today=today)
