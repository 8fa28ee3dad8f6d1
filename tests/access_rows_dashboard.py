"""Issue 17 (dashboard): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation as tests/access_rows_actions.py)."""

from __future__ import annotations

ROWS: dict[str, set[str] | dict[str, str]] = {}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id)."""
    return {}
