"""Background jobs for work that takes longer than a page should wait for (large imports, report builds).

A view calls ``submit``: the job row is written in the request's transaction and its thread starts only once that
transaction commits. The thread works as the user who asked, in its own transaction, which
``unit_of_work.run_job`` commits (as ``unit_of_work.finish_request`` does for requests). Progress is kept in
memory (read by the status page of the same process) and, on PostgreSQL, also written to the job row through a
separate connection so every worker can show it. With ``JOBS_SYNCHRONOUS`` (tests) the job runs inside the
request instead.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auditapp.domain.context import ActorContext
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.importers import ImportFailed
from auditapp.models import Job, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import JobStatus

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
JobFunction = Callable[[dict[str, Any], Progress], tuple[str, str | None]]  # -> (message, result endpoint)
_FUNCTIONS: dict[str, JobFunction] = {}
_PROGRESS: dict[int, tuple[int, int]] = {}
TO_START = "auditapp_jobs_to_start"


def job(kind: str) -> Callable[[JobFunction], JobFunction]:
    """Register the function that does a kind of job."""

    def register(function: JobFunction) -> JobFunction:
        _FUNCTIONS[kind] = function
        return function

    return register


def submit(*, kind: str, payload: dict[str, Any], user_id: int) -> Job:
    """Record a job and start it once the current transaction commits (or now, in synchronous mode)."""
    record = Job(kind=kind, payload=payload, user_id=user_id, status=JobStatus.QUEUED, owner=this_process())
    db.session.add(record)
    db.session.flush()
    if current_app.config.get("JOBS_SYNCHRONOUS"):
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


INTERRUPTED = "Interrupted: the server stopped while this was running, so nothing from it was saved. Start it again."


def recover_interrupted(jobs: list[Job] | None = None) -> int:
    """Mark as failed the queued or running jobs whose process has gone (the caller commits); how many."""
    if jobs is None:
        jobs = list(db.session.scalars(select(Job).where(Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))))
    gone = [
        record
        for record in jobs
        if record.status in (JobStatus.QUEUED, JobStatus.RUNNING) and _owner_gone(record.owner)
    ]
    for record in gone:
        record.status, record.message, record.finished_at = JobStatus.FAILED, INTERRUPTED, utcnow()
        log.warning("Job interrupted by a restart", extra={"job_id": record.id, "kind": record.kind})
    if gone:
        db.session.flush()
    return len(gone)


def progress_of(record: Job) -> tuple[int, int]:
    recover_interrupted([record])
    return _PROGRESS.get(record.id, (record.done, record.total))


def _execute(record: Job, *, progress: Progress) -> None:
    """Run the job's function in the current transaction and record how it ended (the caller commits)."""
    message, url = _FUNCTIONS[record.kind](record.payload, progress)
    record.status, record.message, record.result_url, record.finished_at = JobStatus.DONE, message, url, utcnow()
    db.session.flush()


def _progress_writer(job_id: int) -> Progress:
    shared = db.engine.dialect.name != "sqlite"  # SQLite has one writer: the job's own transaction

    def report(done: int, total: int) -> None:
        _PROGRESS[job_id] = (done, total)
        if shared:
            with db.engine.begin() as connection:
                connection.execute(update(Job).where(Job.id == job_id).values(done=done, total=total))

    return report


def start(job_id: int) -> ActorContext:
    """Mark a submitted job running (the caller commits); the actor it runs as: the user who asked."""
    record = db.session.get(Job, job_id)
    user = db.session.get(User, record.user_id) if record.user_id else None
    record.status = JobStatus.RUNNING
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


def record_failure(job_id: int, error: Exception) -> None:
    """Record why a job failed, after its work was rolled back (the caller commits)."""
    failed = db.session.get(Job, job_id)
    failed.status, failed.finished_at = JobStatus.FAILED, utcnow()
    expected = isinstance(error, DomainError | ImportFailed)
    failed.message = str(error) if expected else "Something went wrong: nothing was saved. Try again."
    if not expected:
        log.error("Job failed", exc_info=error, extra={"job_id": job_id, "kind": failed.kind})


def forget_progress(job_id: int) -> None:
    _PROGRESS.pop(job_id, None)


def take_committed(session: Session) -> list[tuple[Flask, int]]:
    """The jobs submitted in the transaction that has just committed, to start now (see ``unit_of_work``)."""
    return session.info.pop(TO_START, [])


def forget_submitted(session: Session) -> None:
    """The transaction rolled back: its jobs were never recorded, so none starts."""
    session.info.pop(TO_START, None)
