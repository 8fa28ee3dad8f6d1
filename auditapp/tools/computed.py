"""Proposed answers for computed questions, worked out from the case's imported dates.

The auditor sees the proposal and its explanation, then confirms it or gives another answer with a reason.
A proposal's answer is None when the dates do not settle the question (the auditor answers from the file).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .model import CASE_DATE_FIELDS, AuditTool, ComputedRule, Proposal
from .workingdays import add_working_days, working_days_between

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(day: date) -> str:
    """GOV.UK style date: "3 January 2024" (no leading zero, month in full, independent of locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _label(field: str, *, capital: bool = False) -> str:
    text = CASE_DATE_FIELDS[field]
    return text[:1].upper() + text[1:] if capital else text


def anniversary(start: date, years: int) -> date:
    """The date ``years`` years after ``start``; a 29 February start reaches it on 1 March in a common
    year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def cannot_be_computed(fields: list[str]) -> Proposal:
    """The proposal for a rule whose date ``fields`` the case population does not carry: no answer, and why."""
    missing = " or ".join(_label(name) for name in fields)
    return Proposal(
        None, f"Cannot be computed: the case population has no {missing} (no import provides it). Answer from the file."
    )


def compute_proposals(*, tool: AuditTool, case_dates: Mapping[str, date | None], as_at: date) -> dict[str, Proposal]:
    """Work out a :class:`Proposal` for every computed question of ``tool``.

    ``case_dates`` maps case date field names (see ``CASE_DATE_FIELDS``) to dates. A key that is there with None
    means the date is not recorded for this case; a key that is not there at all means the case population does
    not carry that date (no import provides it), so the question cannot be computed for any case: the proposal
    then says so and proposes nothing (never a "no" or late, and ``when_start_missing`` does not apply). ``as_at``
    is the date the audit looks at the case (used while an end date is blank, for example a plan still open).
    Working days use the tool's calendar (England and Wales).
    """
    proposals = {}
    for question in tool.computed_questions:
        rule = question.computed
        assert rule is not None  # computed_questions only yields questions with a rule
        start, end = case_dates.get(rule.start), case_dates.get(rule.end)
        absent = [name for name in (rule.start, rule.end) if name not in case_dates]
        if absent:
            proposals[question.id] = cannot_be_computed(absent)
        elif start is None:
            proposals[question.id] = Proposal(
                rule.when_start_missing, f"No {_label(rule.start)} is recorded for this case."
            )
        elif end is not None and end < start:
            proposals[question.id] = Proposal(
                None,
                f"The {_label(rule.end)} ({format_date(end)}) is before the {_label(rule.start)} "
                f"({format_date(start)}). Check the case's dates and answer from the file.",
            )
        elif rule.kind == "working_days_within":
            proposals[question.id] = _working_days(rule, start, end, as_at, tool.calendar)
        else:
            proposals[question.id] = _duration(rule, start, end, as_at)
    return proposals


def _working_days(rule: ComputedRule, start: date, end: date | None, as_at: date, calendar: str) -> Proposal:
    limit = rule.limit or 0
    due = add_working_days(start=start, days=limit, calendar=calendar)
    timescale = f"timescale {_plural(limit, 'working day')} (due by {format_date(due)})"
    opening = f"{_label(rule.start, capital=True)} {format_date(start)}"
    if end is not None:
        count = working_days_between(start=start, end=end, calendar=calendar)
        answer = "yes" if count <= limit else "no"
        ended = f"{_label(rule.end)} {format_date(end)}"
        return Proposal(answer, f"{opening}, {ended}: {_plural(count, 'working day')}, {timescale}.")
    so_far = working_days_between(start=start, end=max(as_at, start), calendar=calendar)
    missing = f"no {_label(rule.end)} as at {format_date(as_at)}"
    text = f"{opening}, {missing}: {_plural(so_far, 'working day')} so far"
    if so_far > limit:
        return Proposal("no", f"{text}, {timescale}.")
    return Proposal(None, f"{text}, {timescale}. Not yet overdue: answer from the file.")


def _duration(rule: ComputedRule, start: date, end: date | None, as_at: date) -> Proposal:
    years = rule.years or 0
    reached = anniversary(start, years)
    until = end if end is not None else as_at
    opening = f"{_label(rule.start, capital=True)} {format_date(start)}"
    if end is not None:
        opening += f", {_label(rule.end)} {format_date(end)}"
    else:
        opening += f", no {_label(rule.end)} as at {format_date(as_at)}"
    span = _plural(max((until - start).days, 0), "day")
    period = _plural(years, "year")
    mark = f"{period} from the start is {format_date(reached)}"
    if until >= reached:
        return Proposal("yes", f"{opening}: {span}, {period} or more ({mark}).")
    return Proposal("no", f"{opening}: {span}, less than {period} ({mark}).")
