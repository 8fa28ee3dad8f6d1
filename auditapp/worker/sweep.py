"""The worker's periodic sweep (every ``queue.SWEEP_MINUTES`` minutes, and once per ``--until-idle`` run).

Each step is a transaction of its own, so one failing step does not stop the others:

1. jobs whose worker died mid-job go back on the queue (or fail, after ``jobs.MAX_ATTEMPTS``);
2. messages whose worker died while sending, or that never reached the queue, are queued again;
3. reminders that are due are made (audits due in 3 working days or overdue, actions due in 5 or overdue);
4. immediate concerns not acknowledged within a working day are escalated.

Reminders and escalations are idempotent (each message has its key), so sweeping often sends nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from auditapp.models.types import clock_set_to, utcnow
from auditapp.worker.queue import HANDLERS, enqueue_delivery, enqueue_job

log = logging.getLogger(__name__)


def _recover_jobs() -> list[int]:
    from auditapp import jobs

    return jobs.recover_interrupted()


def _recover_messages() -> list[int]:
    from auditapp.notify.recovery import recover_interrupted

    return recover_interrupted()


def _reminders() -> list[int]:
    from auditapp.domain.reminders import send_due_reminders

    send_due_reminders(utcnow())
    return []


def _return_reminders() -> list[int]:
    from auditapp.domain.return_reminders import send_return_reminders

    send_return_reminders(utcnow())
    return []


def _escalations() -> list[int]:
    from auditapp.domain.reminders import escalate_concerns

    escalate_concerns(utcnow())
    return []


Requeue = Callable[[Flask, int], None]
#: (name, step, what to do with the ids it returns once its transaction has committed)
STEPS: tuple[tuple[str, Callable[[], list[int]], Requeue | None], ...] = (
    ("recover jobs", _recover_jobs, enqueue_job),
    ("recover messages", _recover_messages, enqueue_delivery),
    ("reminders", _reminders, None),
    ("return reminders", _return_reminders, None),  # issue 17: single-agency audit returns due or overdue
    ("escalations", _escalations, None),
)


def run_sweep(app: Flask, *, now: datetime | None = None) -> None:
    """Run each step in its own transaction (with ``now``: as if it were then; the tests' frozen clock)."""
    from auditapp.unit_of_work import in_transaction

    for name, step, requeue in STEPS:
        try:
            with clock_set_to(lambda: now) if now else contextlib.nullcontext(), in_transaction(app):
                ids = step()
        except Exception:
            log.exception("The sweep's step failed", extra={"step": name})
            continue
        if requeue is not None:
            for item in ids:
                requeue(app, item)


HANDLERS["sweep"] = run_sweep
