"""Issue 17 (dashboard): the programme dashboard, its spreadsheet and the Board's programme page (a POST: a document
made by the worker), for the QA coordinator and the Board; merged into tests/test_access.py's table (same notation
as tests/access_rows_actions.py)."""

from __future__ import annotations

COORDINATOR_AND_BOARD = {"qa_coordinator", "board_member"}

ROWS: dict[str, set[str] | dict[str, str]] = {
    "programme.dashboard": COORDINATOR_AND_BOARD,
    "programme.dashboard_xlsx": COORDINATOR_AND_BOARD,
    "programme.board_page": COORDINATOR_AND_BOARD,
}


def extra_objects(org, users) -> dict:
    """The URL arguments these routes need: none."""
    return {}
