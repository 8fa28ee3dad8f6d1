"""Quarters of the financial year, as a safeguarding partnership and its Board count them (issue 17).

The year runs from 1 April to 31 March and is named by the year it starts in: 2026 is "2026-27", April 2026 to
March 2027. Its quarters are April-June (Q1), July-September (Q2), October-December (Q3) and January-March
(Q4). An instant falls in the quarter of its date in England (Europe/London): a submission at 23:30 UTC on
30 June 2026 is 00:30 on 1 July in England, so it counts in Q2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from auditapp.vocabulary import ReturnStatus

UK = ZoneInfo("Europe/London")
_KEY = re.compile(r"^(\d{4})-q([1-4])$")
_MONTHS = ("April to June", "July to September", "October to December", "January to March")


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter: ``year`` is the financial year's starting year, ``number`` 1 to 4 (Q1 is April to June)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"A quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a date falls in."""
        number = (day.month - 4) % 12 // 3 + 1
        return cls(day.year if day.month >= 4 else day.year - 1, number)

    @classmethod
    def of_instant(cls, moment: datetime) -> Quarter:
        """The quarter of an instant (UTC, or naive meaning UTC), by its date in England."""
        return cls.of(uk_date(moment))

    @classmethod
    def parse(cls, key: str) -> Quarter:
        """From its key, such as ``2026-q1``; ValueError for anything else."""
        match = _KEY.match(key.strip().lower())
        if not match:
            raise ValueError(f"{key!r} is not a quarter: write it as 2026-q1 (April to June 2026)")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year}-q{self.number}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        return self.next().start - timedelta(days=1)

    @property
    def year_label(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """``2026-27 Q1``."""
        return f"{self.year_label} Q{self.number}"

    @property
    def long_label(self) -> str:
        """``2026-27 Q1 (April to June 2026)``."""
        return f"{self.label} ({_MONTHS[self.number - 1]} {self.end.year})"

    def starts_at(self) -> datetime:
        """The first instant of the quarter (midnight in England), in UTC."""
        return datetime.combine(self.start, datetime.min.time(), tzinfo=UK).astimezone(UTC)

    def ends_at(self) -> datetime:
        """The first instant after the quarter (midnight in England at the next quarter's start), in UTC."""
        return self.next().starts_at()

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)


def uk_date(moment: datetime) -> date:
    """The date in England at ``moment`` (naive means UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK).date()


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last``, both included, oldest first (empty when last is before first)."""
    out: list[Quarter] = []
    quarter = first
    while quarter <= last:
        out.append(quarter)
        quarter = quarter.next()
    return out


def financial_year(year: int) -> list[Quarter]:
    """The four quarters of the financial year starting in April of ``year``."""
    return [Quarter(year, number) for number in range(1, 5)]


def return_due_date(quarter: Quarter) -> date:
    """When an agency's single-agency audit return for ``quarter`` is due: the last day of the month after the
    quarter (the return for April to June is due by 31 July)."""
    after = quarter.next().start  # the first day of the month after the quarter
    first_of_next = date(after.year + (after.month == 12), after.month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def return_status(quarter: Quarter, *, received: bool, today: date) -> ReturnStatus:
    """Where an agency's return for ``quarter`` stands on ``today``: received; not yet due (the quarter has not
    ended); due (until its due date, included); overdue after that."""
    if received:
        return ReturnStatus.RECEIVED
    if today <= quarter.end:
        return ReturnStatus.NOT_YET_DUE
    return ReturnStatus.DUE if today <= return_due_date(quarter) else ReturnStatus.OVERDUE
