"""Issue 17 (schedule): the year's audit schedule and its planned rounds, for the QA coordinator only; merged into
tests/test_access.py's table (same notation as tests/access_rows_actions.py)."""

from __future__ import annotations

QA = {"qa_coordinator"}

ROWS: dict[str, set[str] | dict[str, str]] = {
    "programme.schedule": QA,
    "programme.schedule_new": QA,
    "programme.schedule_edit": QA,
    "programme.schedule_link": QA,
    "programme.schedule_drop": QA,
}


def extra_objects(org, users) -> dict:
    """A planned round for the routes' ``planned_id``."""
    from datetime import date

    from auditapp.programme.schedule import add_planned_round

    planned = add_planned_round(
        month=date(2026, 9, 1), theme="Neglect", agencies=[org.social.name], note=None, created_by_id=None
    )
    return {"planned_id": planned.id}
