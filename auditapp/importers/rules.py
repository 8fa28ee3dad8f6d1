"""Checks across the values of one case that every format shares, and the status rules for LA returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from auditapp.importers.records import DATE_ORDER, Issues

LABELS = {
    "assessment_start_date": "assessment start date",
    "assessment_completed_date": "assessment completed date",
    "cp_plan_start_date": "child protection plan start date",
    "cp_plan_end_date": "child protection plan end date",
    "referral_date": "referral date",
    "closure_date": "closure date",
}


def date_order_problems(
    fields: Mapping[str, object], pairs: tuple[tuple[str, str], ...] = DATE_ORDER
) -> list[tuple[str, str]]:
    """(field, message) for each end date that is before its start date."""
    problems = []
    for earlier, later in pairs:
        end = fields.get(later)
        if end is None:  # the usual case (no closure, no plan end), so looked at first: this runs for every row
            continue
        start = fields.get(earlier)
        if isinstance(start, date) and isinstance(end, date) and end < start:
            problems.append(
                (later, f"The {LABELS[later]} {end.isoformat()} is before the {LABELS[earlier]} {start.isoformat()}")
            )
    return problems


def check_date_order(
    fields: Mapping[str, object], issues: Issues, file: str, sheet: str | None, row: int | None
) -> bool:
    """Add an issue for each end-before-start pair in a row; True when there were none."""
    problems = date_order_problems(fields)
    for column, message in problems:
        issues.add(file, message, sheet=sheet, row=row, column=column)
    return not problems
