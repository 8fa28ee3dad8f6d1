"""The task queue: Huey, with SQLite storage for the embedded default and Redis in production.

``TASK_QUEUE_URL`` chooses: ``redis://host:6379/0`` for Redis, ``sqlite:////path/tasks.db`` for a file; unset, a
SQLite file beside the embedded database (``instance/tasks.db``). Web processes only enqueue (after the commit
that made the work: ``unit_of_work``); the worker (``auditapp worker``) runs the tasks. Job progress is kept in
the queue's storage, which every web process and worker shares (a job's own database transaction cannot show it
before it commits).

Three tasks. Their bodies are registered in ``HANDLERS`` by the modules that own them (``unit_of_work`` for
``run_job`` and ``deliver``, ``worker.sweep`` for ``sweep``), so this module imports none of the application:

- ``run_job(job_id)``: a submitted job (import, publishing, a PDF); a failure is retried (``jobs.MAX_ATTEMPTS``);
- ``deliver(notification_id)``: send one message; a failure is retried with a growing delay;
- ``sweep()``: every few minutes (and once per ``--until-idle`` run): recover work whose worker died, send the
  reminders that are due, escalate unacknowledged concerns.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from huey import Huey  # imported when a queue is first used (about 0.3-0.8 s): commands that queue nothing skip it

log = logging.getLogger(__name__)
EXTENSION = "auditapp_queue"
SWEEP_MINUTES = 5
#: name -> body(app, *args) -> seconds before a retry, or None.
HANDLERS: dict[str, Callable[..., float | None]] = {}


@dataclass
class Queue:
    """The app's Huey instance and its tasks (Huey task wrappers: call ``.schedule`` or use ``enqueue_*``)."""

    huey: Huey
    run_job: Any
    deliver: Any
    sweep: Any


def _huey(app: Flask) -> Huey:
    from huey import RedisHuey, SqliteHuey

    url = app.config.get("TASK_QUEUE_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("auditapp", url=url, results=False)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
    elif url:
        raise ValueError(f"TASK_QUEUE_URL={url!r}: use redis://host:port/db or sqlite:////path/tasks.db")
    else:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "tasks.db")
    return SqliteHuey("auditapp", filename=path, results=False)


def queue_for(app: Flask) -> Queue:
    """The app's queue, built once per app."""
    existing: Queue | None = app.extensions.get(EXTENSION)
    if existing is not None:
        return existing
    from huey import crontab

    huey = _huey(app)

    def run_job(job_id: int) -> None:
        retry_in = HANDLERS["run_job"](app, job_id)
        if retry_in is not None:
            tasks.run_job.schedule(args=(job_id,), delay=retry_in)

    def deliver(notification_id: int) -> None:
        retry_in = HANDLERS["deliver"](app, notification_id)
        if retry_in is not None:
            tasks.deliver.schedule(args=(notification_id,), delay=retry_in)

    def sweep() -> None:
        HANDLERS["sweep"](app)

    tasks = Queue(
        huey=huey,
        run_job=huey.task(name="run_job")(run_job),
        deliver=huey.task(name="deliver")(deliver),
        sweep=huey.periodic_task(crontab(minute=f"*/{SWEEP_MINUTES}"), name="sweep")(sweep),
    )
    app.extensions[EXTENSION] = tasks
    return tasks


def enqueue_job(app: Flask, job_id: int) -> None:
    queue_for(app).run_job(job_id)


def enqueue_delivery(app: Flask, notification_id: int) -> None:
    queue_for(app).deliver(notification_id)


def put_progress(app: Flask, job_id: int, done: int, total: int) -> None:
    """A running job's progress, where every process sees it (the queue's storage, not the job's transaction)."""
    queue_for(app).huey.put(f"progress:{job_id}", (done, total))


def get_progress(app: Flask, job_id: int) -> tuple[int, int] | None:
    value = queue_for(app).huey.get(f"progress:{job_id}", peek=True)
    return (int(value[0]), int(value[1])) if value else None


def forget_progress(app: Flask, job_id: int) -> None:
    queue_for(app).huey.delete(f"progress:{job_id}")
