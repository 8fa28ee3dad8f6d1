"""Test-only work for the real worker (tests/test_worker.py), imported only by the test's worker process
(``tests.worker_process.LAUNCH``): never by the application, so nothing here is reachable in production.

``TEST_WORKER_DIR`` (the test's directory) holds the files that steer it: each attempt of slow work writes
``started-<n>`` and then waits for ``gate`` to exist; each finished run appends to ``runs``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from auditapp import jobs, unit_of_work
from auditapp.jobs import Progress, job
from auditapp.reports import render
from auditapp.reports.document_jobs import Document, document

WAIT_SECONDS = 20


def _dir() -> Path:
    return Path(os.environ["TEST_WORKER_DIR"])


def _started_then_wait() -> None:
    """Say this attempt has started (the test then kills the worker, or opens the gate), and wait for the gate."""
    attempt = len(list(_dir().glob("started-*"))) + 1
    (_dir() / f"started-{attempt}").touch()
    deadline = time.monotonic() + WAIT_SECONDS
    while not (_dir() / "gate").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test did not open the gate")
        time.sleep(0.05)


def _ran(name: str) -> None:
    with open(_dir() / "runs", "a", encoding="utf-8") as runs:
        runs.write(name + "\n")


@document("test_waits")
def make_waiting_document(payload: dict[str, Any]) -> Document:
    _started_then_wait()
    _ran("test_waits")
    return Document(name="waited.pdf", content=b"%PDF-1.7 waited", summary="1 page")


@job("test_progress")
def run_with_progress(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    progress(3, 10)
    # End the job's transaction (it has only read) before waiting: on SQLite every transaction holds the write lock
    # (BEGIN IMMEDIATE), so the web app's pages would wait for this one instead of showing its progress.
    unit_of_work.rollback()
    _started_then_wait()
    progress(10, 10)
    _ran("test_progress")
    return "Counted to ten", None


@job("test_fails")
def run_and_fail(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    _ran("test_fails")
    raise RuntimeError("an unexpected failure")


_render_report_pdf = render.render_report_pdf


def _slow_render_report_pdf(*args: Any, **kwargs: Any) -> tuple[bytes, int]:
    """The publishing job's PDF, once the test lets it go on (to kill the worker while it publishes)."""
    _started_then_wait()
    return _render_report_pdf(*args, **kwargs)


if os.environ.get("TEST_WORKER_DIR"):  # only in the test's worker process, never in the suite's own process
    jobs.RETRY_DELAYS = (0.0, 0.0)  # retry at once, so one --until-idle run shows every attempt
    render.render_report_pdf = _slow_render_report_pdf  # reports.jobs imports it when each publishing job runs
