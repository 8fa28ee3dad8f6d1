"""Working days in England and Wales: the day after the start is day 1, weekends and bank holidays skipped.

Every expected count below was worked out by hand from a calendar; the bank holidays themselves come from the
holidays package, so these tests also catch a change in how that package reports them.
"""

from __future__ import annotations

from datetime import date

import pytest

from auditapp.tools import add_working_days, bank_holidays, is_working_day, working_days_between


def test_the_start_date_is_not_counted_and_the_next_working_day_is_day_1() -> None:
    # Mon 8 Jan 2024 -> Tue 9 Jan 2024: only the 9th is counted.
    assert working_days_between(start=date(2024, 1, 8), end=date(2024, 1, 9)) == 1
    assert working_days_between(start=date(2024, 1, 8), end=date(2024, 1, 8)) == 0


def test_a_weekend_start_counts_from_the_monday() -> None:
    # Sat 6 Jan 2024 -> Mon 8 Jan 2024: Sunday is not a working day, Monday is day 1.
    assert working_days_between(start=date(2024, 1, 6), end=date(2024, 1, 8)) == 1


def test_christmas_and_new_year_are_skipped() -> None:
    # Fri 22 Dec 2023 -> Tue 2 Jan 2024: 23/24 weekend, 25 Christmas, 26 Boxing Day, 27 (1), 28 (2), 29 (3),
    # 30/31 weekend, Mon 1 Jan New Year's Day, Tue 2 Jan (4).
    assert working_days_between(start=date(2023, 12, 22), end=date(2024, 1, 2)) == 4


def test_substitute_bank_holidays_are_skipped() -> None:
    # Christmas 2022 fell on a Sunday: Boxing Day Mon 26 and the substitute Christmas Day Tue 27 are holidays.
    # Fri 23 Dec 2022 -> Fri 30 Dec 2022: 28 (1), 29 (2), 30 (3).
    assert working_days_between(start=date(2022, 12, 23), end=date(2022, 12, 30)) == 3
    assert date(2022, 12, 27) in bank_holidays(2022)


def test_easter_is_skipped() -> None:
    # Thu 28 Mar 2024 -> Thu 4 Apr 2024: Good Friday 29 Mar, weekend, Easter Monday 1 Apr, then 2 (1), 3 (2), 4 (3).
    assert working_days_between(start=date(2024, 3, 28), end=date(2024, 4, 4)) == 3


def test_one_off_bank_holidays_are_skipped() -> None:
    # Fri 28 Apr 2023 -> Fri 12 May 2023: Mon 1 May (early May) and Mon 8 May (coronation) are holidays:
    # 2-5 May (4), 9-12 May (8).
    assert working_days_between(start=date(2023, 4, 28), end=date(2023, 5, 12)) == 8


def test_the_45th_working_day_after_a_december_referral_allows_for_christmas() -> None:
    # Referral Mon 4 Dec 2023. Dec: 5-8 (4), 11-15 (9), 18-22 (14), 27-29 (17); Jan: 2-5 (21), 8-12 (26),
    # 15-19 (31), 22-26 (36), 29-31 (39); Feb: 1-2 (41), 5-8 (45). Without the three bank holidays it would be
    # Mon 5 Feb.
    assert add_working_days(start=date(2023, 12, 4), days=45) == date(2024, 2, 8)
    assert working_days_between(start=date(2023, 12, 4), end=date(2024, 2, 8)) == 45


def test_add_working_days_zero_is_the_start() -> None:
    assert add_working_days(start=date(2024, 1, 6), days=0) == date(2024, 1, 6)


def test_is_working_day() -> None:
    assert is_working_day(date(2024, 1, 2))  # Tuesday
    assert not is_working_day(date(2024, 1, 1))  # New Year's Day
    assert not is_working_day(date(2024, 1, 6))  # Saturday


def test_an_end_before_the_start_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        working_days_between(start=date(2024, 1, 9), end=date(2024, 1, 8))


def test_negative_days_are_an_error() -> None:
    with pytest.raises(ValueError):
        add_working_days(start=date(2024, 1, 9), days=-1)


def test_an_unknown_calendar_is_an_error() -> None:
    with pytest.raises(ValueError, match="calendar"):
        bank_holidays(2024, "narnia")
