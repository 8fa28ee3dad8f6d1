"""Issue 16 (worker): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation: a set of roles allowed, or a dict with an answer for every role)."""

from __future__ import annotations

# A job's file is for the person who started it (anyone else: 404, as for its status page). The table's job is the
# coordinator's finished case import, which made no file: 404 for them too (downloads: tests/test_worker.py).
ROWS: dict[str, set[str] | dict[str, str]] = {
    "main.job_file": {
        "anonymous": "login",
        "admin": "status 404",
        "qa_coordinator": "status 404",
        "auditor": "status 404",
        "board_member": "status 404",
        "action_owner": "status 404",
    },
}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id), made for the access test: none (``job_id`` is the
    table's own job)."""
    return {}
