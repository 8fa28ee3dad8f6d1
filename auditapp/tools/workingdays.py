"""Working days in England and Wales.

How working days are counted (this is the rule every timescale in a tool uses):

- A working day is a Monday to Friday that is not a bank holiday in England and Wales. Bank holidays come
  from the maintained ``holidays`` package (``holidays.country_holidays("GB", subdiv="ENG")``; England and
  Wales share one list), including substitute days ("observed") and one-off days such as the 2023 coronation.
- The start date is day 0 and is never counted, whatever day it is. The first working day *after* the start
  date is day 1. The end date is counted if it is a working day. So a referral on Monday 8 January 2024 and
  an assessment completed on Tuesday 9 January 2024 is 1 working day; the same day is 0.
- "Within N working days" means the count is N or less: the last day on time is the Nth working day after the
  start (:func:`add_working_days`).

This matches how the statutory timescales are usually read (Working Together: "within 45 working days from
the point of referral"): it counts the working days in the half-open range (start, end].
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# The tool's "calendar" setting mapped to the holidays package's country and subdivision.
_CALENDARS: dict[str, tuple[str, str]] = {"england_and_wales": ("GB", "ENG")}
DEFAULT_CALENDAR = "england_and_wales"


@lru_cache(maxsize=256)
def bank_holidays(year: int, calendar: str = DEFAULT_CALENDAR) -> frozenset[date]:
    """Return the bank holidays of one year (cached, immutable, so safe to share between threads)."""
    try:
        country, subdiv = _CALENDARS[calendar]
    except KeyError:
        raise ValueError(f"Unknown working-day calendar {calendar!r}") from None
    import holidays  # 0.1 s to import: only when a date is first checked

    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


def is_working_day(day: date, *, calendar: str = DEFAULT_CALENDAR) -> bool:
    """True for a Monday to Friday that is not a bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year, calendar)


def working_days_between(*, start: date, end: date, calendar: str = DEFAULT_CALENDAR) -> int:
    """Count the working days after ``start`` up to and including ``end`` (the day after the start is day 1).

    Returns 0 when ``end`` is ``start``. Raises ValueError when ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"end date {end.isoformat()} is before start date {start.isoformat()}")
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, calendar=calendar):
            count += 1
        day += timedelta(days=1)
    return count


def add_working_days(*, start: date, days: int, calendar: str = DEFAULT_CALENDAR) -> date:
    """Return the date of the ``days``-th working day after ``start`` (the last day within a timescale).

    ``days`` must be 0 or more; 0 returns ``start`` itself.
    """
    if days < 0:
        raise ValueError("days must be 0 or more")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, calendar=calendar):
            remaining -= 1
    return day
