"""Issue 16 (actions): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation: a set of roles allowed, or a dict with an answer for every role). The action's own page and its progress
form (findings.action, findings.action_update) are in the main table, which makes the fixture's action the action
owner's."""

from __future__ import annotations

SIGNED_IN = {"admin", "qa_coordinator", "auditor", "board_member", "action_owner"}

ROWS: dict[str, set[str] | dict[str, str]] = {
    "findings.my_actions": SIGNED_IN,  # everyone's own actions (most own none: an empty list)
    "findings.my_actions_xlsx": SIGNED_IN,
    "findings.action_plan_xlsx": {"qa_coordinator", "board_member"},  # the board: published rounds only
    "findings.action_plan_pdf": {"qa_coordinator", "board_member"},  # a POST: a document made by the worker
}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id): none (the fixture's action is in the main table)."""
    return {}
