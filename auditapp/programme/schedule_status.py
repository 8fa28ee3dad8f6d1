"""Where a planned round stands against what was done (issue 17), from plain facts, so that the schedule's pages
and the dashboard say the same.

- dropped: the coordinator took it out of the plan (with a reason);
- done: the round that carries it out has a current, full (not interim) published report;
- started: a round carries it out and has been drawn (its report is not yet published in full);
- late: its month has ended and no drawn round carries it out (a linked round that was cancelled does not count);
- planned: otherwise.
"""

from __future__ import annotations

from datetime import date

from auditapp.vocabulary import PlannedStatus


def month_ended(month: date, today: date) -> bool:
    """Whether the month starting on ``month`` (its first day) is over by ``today``."""
    return (today.year, today.month) > (month.year, month.month)


def planned_status(
    *, month: date, today: date, dropped: bool, round_drawn: bool, round_cancelled: bool, fully_published: bool
) -> PlannedStatus:
    if dropped:
        return PlannedStatus.DROPPED
    if round_drawn and not round_cancelled:
        return PlannedStatus.DONE if fully_published else PlannedStatus.STARTED
    return PlannedStatus.LATE if month_ended(month, today) else PlannedStatus.PLANNED
