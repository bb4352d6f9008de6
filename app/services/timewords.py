"""The one wording of time: a length of time, a date at each precision, and coarse "when" for readers.

Readers see coarse times only (a pattern of posting times to the minute can match a pseudonym to
a person's shifts or bedtime); moderators and the member's own export keep exact ones.

Coarse wording of a moment `age` before `now` (boundaries are exact: the lower one is included):

| age                     | words                   |
|-------------------------|-------------------------|
| under 10 minutes        | just now (also a moment in the future, from clock skew) |
| 10 to 60 minutes        | less than an hour ago   |
| 1 to 24 hours           | 1 hour ago, 23 hours ago (whole hours, rounded down) |
| 24 to 48 hours          | yesterday               |
| 48 hours and more       | the day: 12 Nov 2026    |

How long a reporter has been a member, for moderators (`member_for`; boundaries exact, lower included):

| account age                   | words                                       |
|-------------------------------|---------------------------------------------|
| under the minimum (`new`)     | new account                                 |
| under 1 day                   | member for less than a day                  |
| 1 to 60 days                  | member for 1 day, member for 59 days         |
| 60 to 365 days                | member for 2 months ... 12 months (30-day months, rounded down) |
| 365 days and more             | member for 1 year, 2 years (365-day years, rounded down) |
"""

import math
from datetime import UTC, date, datetime, timedelta

JUST_NOW = timedelta(minutes=10)
AN_HOUR = timedelta(hours=1)
A_DAY = timedelta(days=1)
TWO_DAYS = timedelta(days=2)
TWO_MONTHS = timedelta(days=60)
A_YEAR = timedelta(days=365)

DAY = "%-d %b %Y"  # 12 Nov 2026
MONTH = "%b %Y"  # Nov 2026
EXACT = "%-d %b %Y, %H:%M UTC"  # 12 Nov 2026, 20:11 UTC (moderators, and a member's own standing)
DAY_ISO = "%Y-%m-%d"  # a <time datetime> for readers
EXACT_ISO = "%Y-%m-%dT%H:%MZ"  # a <time datetime> for moderators: to the minute, as shown


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def duration(seconds: float, *, round_up: bool = False) -> str:
    """A length of time: "1 minute", "59 minutes", "1 hour", "47 hours", "3 days".

    Minutes below an hour, hours below two days, then days; rounded down (how long something
    has waited) or up (how long to wait: never less than needed).
    """
    step = math.ceil if round_up else math.floor
    minutes = max(0, step(seconds / 60))
    if minutes < 60:
        return _plural(minutes, "minute")
    hours = step(seconds / 3600)
    if hours < 48:
        return _plural(hours, "hour")
    return _plural(step(seconds / 86400), "day")


def wait(seconds: float) -> str:
    """How long to wait before trying again: "a few seconds", "about 45 seconds", "about 2 minutes"."""
    if seconds < 60:
        return "a few seconds" if seconds <= 10 else f"about {math.ceil(seconds)} seconds"
    return f"about {duration(seconds, round_up=True)}"


def waited(since: datetime, now: datetime) -> str:
    """How long something has waited: "less than a minute", "1 minute", "47 hours", "3 days"."""
    seconds = (now - since).total_seconds()
    return "less than a minute" if seconds < 60 else duration(seconds)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value: date | datetime) -> str:
    """A datetime is read in UTC; a date (a session's first day, a recovery start) is taken as it is."""
    return (_utc(value) if isinstance(value, datetime) else value).strftime(DAY)


def month(value: datetime) -> str:
    return _utc(value).strftime(MONTH)


def exact(value: datetime) -> str:
    return _utc(value).strftime(EXACT)


def day_iso(value: datetime) -> str:
    return _utc(value).strftime(DAY_ISO)


def exact_iso(value: datetime) -> str:
    return _utc(value).strftime(EXACT_ISO)


def ago(value: datetime, *, now: datetime) -> str:
    """Coarse words for readers: "just now", "less than an hour ago", "3 hours ago", "yesterday", the day."""
    age = _utc(now) - _utc(value)
    if age < JUST_NOW:
        return "just now"
    if age < AN_HOUR:
        return "less than an hour ago"
    if age < A_DAY:
        return f"{duration(age.total_seconds())} ago"
    if age < TWO_DAYS:
        return "yesterday"
    return day(value)


def member_for(joined: datetime, *, now: datetime, new: timedelta) -> str:
    """A reporter's account age, coarsely: "new account" under `new`, then days, months, years."""
    age = _utc(now) - _utc(joined)
    if age < new:
        return "new account"
    if age < A_DAY:
        return "member for less than a day"
    if age < TWO_MONTHS:
        return f"member for {_plural(age.days, 'day')}"
    if age < A_YEAR:
        return f"member for {_plural(age.days // 30, 'month')}"
    return f"member for {_plural(age.days // 365, 'year')}"
