"""Issue 16 (sso): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation: a set of roles allowed, or a dict with an answer for every role)."""

from __future__ import annotations

ROWS: dict[str, set[str] | dict[str, str]] = {}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id), made for the access test."""
    return {}
