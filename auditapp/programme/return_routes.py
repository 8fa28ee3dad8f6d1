"""Issue 17: pages of the programme blueprint (see auditapp/programme/__init__.py). Filled in by its part."""

from __future__ import annotations

from auditapp.programme.blueprint import bp  # noqa: F401 - the pages below are added to it
