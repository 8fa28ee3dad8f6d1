"""Background jobs for work that takes longer than a page should wait for (large imports, report builds).

A view calls ``submit``: the job row is written in the request's transaction and its thread starts only once that
transaction commits. The thread works as the user who asked, in its own transaction: this runner is the one place
that commits for a job, as the request hook is for requests. Progress is kept in memory (read by the status page
of the same process) and, on PostgreSQL, also written to the job row through a separate connection so every
worker can show it. With ``JOBS_SYNCHRONOUS`` (tests) the job runs inside the request instead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.importers import ImportFailed
from auditapp.models import Job, User
from auditapp.models.types import utcnow

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
    record = Job(kind=kind, payload=payload, user_id=user_id, status="queued", owner=this_process())
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
        jobs = list(db.session.scalars(select(Job).where(Job.status.in_(["queued", "running"]))))
    gone = [record for record in jobs if record.status in ("queued", "running") and _owner_gone(record.owner)]
    for record in gone:
        record.status, record.message, record.finished_at = "failed", INTERRUPTED, utcnow()
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
    record.status, record.message, record.result_url, record.finished_at = "done", message, url, utcnow()
    db.session.flush()


def _progress_writer(job_id: int) -> Progress:
    shared = db.engine.dialect.name != "sqlite"  # SQLite has one writer: the job's own transaction

    def report(done: int, total: int) -> None:
        _PROGRESS[job_id] = (done, total)
        if shared:
            with db.engine.begin() as connection:
                connection.execute(update(Job).where(Job.id == job_id).values(done=done, total=total))

    return report


def _run(app: Flask, job_id: int) -> None:
    with app.app_context():
        record = db.session.get(Job, job_id)
        user = db.session.get(User, record.user_id) if record.user_id else None
        actor = ActorContext(
            user_id=user.id if user else None,
            email=user.email if user else None,
            role=user.role.value if user else None,
            request_id=f"job-{job_id}",
            channel="job",
        )
        with acting_as(actor):
            record.status = "running"
            db.session.commit()
            try:
                _execute(db.session.get(Job, job_id), progress=_progress_writer(job_id))
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                failed = db.session.get(Job, job_id)
                failed.status, failed.finished_at = "failed", utcnow()
                failed.message = (
                    str(error)
                    if isinstance(error, DomainError | ImportFailed)
                    else "Something went wrong: nothing was saved. Try again."
                )
                if not isinstance(error, DomainError | ImportFailed):
                    log.exception("Job failed", extra={"job_id": job_id, "kind": failed.kind})
                db.session.commit()
            finally:
                _PROGRESS.pop(job_id, None)
                db.session.remove()


@event.listens_for(Session, "after_commit")
def _start_committed_jobs(session: Session) -> None:
    for app, job_id in session.info.pop(TO_START, []):
        threading.Thread(target=_run, args=(app, job_id), name=f"auditapp-job-{job_id}", daemon=True).start()


@event.listens_for(Session, "after_rollback")
def _forget_jobs(session: Session) -> None:
    session.info.pop(TO_START, None)


def recover_at_start(app: Flask) -> None:
    """At server start: fail the jobs whose process has gone. Quietly does nothing before the first migration."""
    from sqlalchemy.exc import SQLAlchemyError

    with app.app_context():
        try:
            if recover_interrupted():
                db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("Could not check for interrupted jobs (is the database migrated?)")
        finally:
            db.session.remove()
