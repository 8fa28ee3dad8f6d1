"""Background jobs for work that takes longer than a page should wait for (imports, publishing, PDFs).

A view calls ``submit``: the job row is written in the request's transaction and the job is put on the task queue
(``auditapp.worker.queue``) only once that transaction commits. The worker runs it as the user who asked, in its
own transaction, which ``unit_of_work.run_job`` commits. A job that fails unexpectedly, or whose worker died, is
tried again, up to ``MAX_ATTEMPTS`` times; a refusal (a ``DomainError``, a bad file) is not retried. Progress is
kept in the queue's storage, which every web process sees. With ``JOBS_SYNCHRONOUS`` (most tests) the job runs
inside the request instead.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from auditapp.domain.context import ActorContext
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.importers import ImportFailed
from auditapp.models import Job, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import JobStatus
from auditapp.worker.queue import forget_progress as forget_shared
from auditapp.worker.queue import get_progress, put_progress

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
JobFunction = Callable[[dict[str, Any], Progress], tuple[str, str | None]]  # -> (message, result endpoint)
_FUNCTIONS: dict[str, JobFunction] = {}
_PROGRESS: dict[int, tuple[int, int]] = {}
TO_START = "auditapp_jobs_to_start"
MAX_ATTEMPTS = 3
_RUNNING: ContextVar[Job | None] = ContextVar("auditapp_running_job", default=None)
RETRY_DELAYS = (30.0, 120.0)  # seconds before the second and third attempts


def job(kind: str) -> Callable[[JobFunction], JobFunction]:
    """Register the function that does a kind of job."""

    def register(function: JobFunction) -> JobFunction:
        _FUNCTIONS[kind] = function
        return function

    return register


def submit(*, kind: str, payload: dict[str, Any], user_id: int) -> Job:
    """Record a job and start it once the current transaction commits (or now, in synchronous mode)."""
    record = Job(kind=kind, payload=payload, user_id=user_id, status=JobStatus.QUEUED)
    db.session.add(record)
    db.session.flush()
    if current_app.config.get("JOBS_SYNCHRONOUS"):
        record.attempts, record.started_at = 1, utcnow()
        _execute(record, progress=lambda done, total: None)
    else:
        db.session.info.setdefault(TO_START, []).append((current_app._get_current_object(), record.id))
    return record


def this_process() -> str:
    """Names this process so that a later one can tell whether it still runs: host, pid and its start time."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{_started(os.getpid())}"


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the same one;
    "" when the process has ended, including a killed worker that is a zombie until its parent reaps it."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return "" if fields[0] in ("Z", "X") else fields[19]


def _owner_gone(owner: str | None) -> bool:
    """True when the job's process on this host has ended (killed, restarted); other hosts' jobs are left alone."""
    if not owner or owner.count(":") < 2:
        return False
    host, pid, started = owner.rsplit(":", 2)
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False
    if not started:  # no /proc here: ask the kernel whether the pid exists
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return _started(int(pid)) != started


INTERRUPTED = (
    "Interrupted: the worker stopped while this was running, so nothing from it was saved, and it was tried "
    f"{MAX_ATTEMPTS} times. Start it again."
)
RETRYING = "Attempt {attempt} did not finish ({why}). It will be tried again in {delay:.0f} seconds."


def recover_interrupted() -> list[int]:
    """The running jobs whose worker has gone (killed, restarted): put back to queued, to run again, or failed once
    they have had ``MAX_ATTEMPTS`` (the caller commits, then enqueues the ids returned)."""
    running = db.session.scalars(select(Job).where(Job.status == JobStatus.RUNNING))
    again: list[int] = []
    for record in running:
        if not _owner_gone(record.owner):
            continue
        log.warning("Job interrupted: its worker stopped", extra={"job_id": record.id, "kind": record.kind})
        if record.attempts >= MAX_ATTEMPTS:
            record.status, record.message, record.finished_at = JobStatus.FAILED, INTERRUPTED, utcnow()
        else:
            record.status, record.owner = JobStatus.QUEUED, None
            record.message = f"Attempt {record.attempts} was interrupted: the worker stopped. Trying again."
            again.append(record.id)
    db.session.flush()
    return again


def progress_of(record: Job) -> tuple[int, int]:
    """How far the job has got: from the queue's storage while it runs (every process sees it), else the row."""
    if record.status == JobStatus.RUNNING and not current_app.config.get("JOBS_SYNCHRONOUS"):
        shared = get_progress(current_app._get_current_object(), record.id)
        if shared is not None:
            return shared
    return _PROGRESS.get(record.id, (record.done, record.total))


def running_job() -> Job:
    """The job whose function is running now (for a function that keeps a file on its job: a document)."""
    record = _RUNNING.get()
    if record is None:
        raise RuntimeError("no job is running")
    return record


def _execute(record: Job, *, progress: Progress) -> None:
    """Run the job's function in the current transaction and record how it ended (the caller commits)."""
    running = _RUNNING.set(record)
    try:
        message, url = _FUNCTIONS[record.kind](record.payload, progress)
    finally:
        _RUNNING.reset(running)
    record.status, record.message, record.result_url, record.finished_at = JobStatus.DONE, message, url, utcnow()
    db.session.flush()


def _progress_writer(job_id: int) -> Progress:
    app = current_app._get_current_object()

    def report(done: int, total: int) -> None:
        _PROGRESS[job_id] = (done, total)
        put_progress(app, job_id, done, total)

    return report


def start(job_id: int) -> ActorContext | None:
    """Mark a queued job running in this process, one attempt more (the caller commits); the actor it runs as (the
    user who asked), or None when the job is not queued (already done, failed, or taken by another worker)."""
    record = db.session.get(Job, job_id)
    if record is None or record.status != JobStatus.QUEUED:
        return None
    user = db.session.get(User, record.user_id) if record.user_id else None
    record.status, record.owner, record.started_at = JobStatus.RUNNING, this_process(), utcnow()
    record.attempts += 1
    return ActorContext(
        user_id=user.id if user else None,
        email=user.email if user else None,
        role=user.role.value if user else None,
        request_id=f"job-{job_id}",
        channel="job",
    )


def execute(job_id: int) -> None:
    """Do a running job's work in the current transaction (the caller commits)."""
    _execute(db.session.get(Job, job_id), progress=_progress_writer(job_id))


def record_failure(job_id: int, error: Exception) -> float | None:
    """Record why a job's attempt failed, after its work was rolled back (the caller commits). A refusal (a
    ``DomainError``, a bad file) fails the job at once; anything else is retried until ``MAX_ATTEMPTS``: the
    seconds to wait before the next attempt, or None when the job has failed for good."""
    failed = db.session.get(Job, job_id)
    expected = isinstance(error, DomainError | ImportFailed)
    if not expected:
        log.error("Job attempt failed", exc_info=error, extra={"job_id": job_id, "kind": failed.kind})
    if not expected and failed.attempts < MAX_ATTEMPTS and not current_app.config.get("JOBS_SYNCHRONOUS"):
        delay = RETRY_DELAYS[min(failed.attempts, len(RETRY_DELAYS)) - 1]
        failed.status, failed.owner = JobStatus.QUEUED, None
        failed.message = RETRYING.format(attempt=failed.attempts, why=type(error).__name__, delay=delay)
        return delay
    failed.status, failed.finished_at = JobStatus.FAILED, utcnow()
    failed.message = (
        str(error)
        if expected
        else f"Something went wrong ({failed.attempts} attempts): nothing was saved. Try again, or ask an admin."
    )
    return None


def forget_progress(job_id: int) -> None:
    _PROGRESS.pop(job_id, None)
    if not current_app.config.get("JOBS_SYNCHRONOUS"):
        forget_shared(current_app._get_current_object(), job_id)


def take_committed(session: Session) -> list[tuple[Flask, int]]:
    """The jobs submitted in the transaction that has just committed, to start now (see ``unit_of_work``)."""
    return session.info.pop(TO_START, [])


def forget_submitted(session: Session) -> None:
    """The transaction rolled back: its jobs were never recorded, so none starts."""
    session.info.pop(TO_START, None)
