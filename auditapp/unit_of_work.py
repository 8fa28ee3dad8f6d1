"""The unit of work: the one module that commits or rolls back, and what happens around a commit.

Three callers end a unit of work, and each does it here:

- a web request (``finish_request``, the app's ``after_request`` hook): a response under 400 commits, any other
  rolls back and then keeps the refusals recorded during the request (``domain.trail.events.record_refusal``);
- a CLI command (``transactional``);
- a background job (``run_job``), in the thread that runs it.

Around each commit, in this order (the ``BEFORE_COMMIT`` and ``AFTER_COMMIT`` lists below are the whole of it):

1. before the commit, seal the audit trail: link the transaction's new events into the hash chain;
2. after the commit, start the jobs the transaction submitted;
3. after the commit, send the mail the transaction queued.

A rollback discards what each step was holding (``ON_ROLLBACK``), so a rolled-back change seals, starts and sends
nothing. Domain code never commits: it flushes, and uses a savepoint (``session.begin_nested()``) where it must
undo part of its own work.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, Response, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from auditapp import jobs
from auditapp.domain import mail
from auditapp.domain.context import acting_as, cli_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail import chain
from auditapp.domain.trail.events import forget_kept, write_kept
from auditapp.extensions import db

Step = Callable[[Session], None]


def _start_jobs(session: Session) -> None:
    for app, job_id in jobs.take_committed(session):
        threading.Thread(target=run_job, args=(app, job_id), name=f"auditapp-job-{job_id}", daemon=True).start()


#: Run inside the transaction, just before it commits.
BEFORE_COMMIT: tuple[Step, ...] = (chain.seal,)
#: Run once the commit has succeeded, in this order.
AFTER_COMMIT: tuple[Step, ...] = (_start_jobs, mail.send_outbox)
#: Run after a rollback: each step forgets what it was holding for the transaction.
ON_ROLLBACK: tuple[Step, ...] = (chain.forget, jobs.forget_submitted, mail.discard_outbox)


def _run_all(steps: tuple[Step, ...]) -> Step:
    def run(session: Session) -> None:
        for step in steps:
            step(session)

    return run


_installed = False


def install() -> None:
    """Attach the steps to every SQLAlchemy session (once per process; the app factory calls it)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_commit", _run_all(BEFORE_COMMIT))
    event.listen(Session, "after_commit", _run_all(AFTER_COMMIT))
    event.listen(Session, "after_rollback", _run_all(ON_ROLLBACK))
    _installed = True


def commit() -> None:
    db.session.commit()


def rollback() -> None:
    db.session.rollback()


def finish_request(response: Response) -> Response:
    """The request's end: a successful response keeps the request's writes, any other discards them.

    Views therefore answer invalid forms with 400, and errors raise, so half-done work never commits. Refused
    attempts (403, 404, CSRF, lock-outs, limits) are then written again in a transaction of their own.
    """
    if response.status_code < 400:
        commit()
        forget_kept()
    else:
        rollback()
        if write_kept():
            commit()
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def transactional(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a CLI command as one transaction: commit when it succeeds, roll back on any error.

    What the command prints on standard output is held back until the commit has succeeded, so "Imported ..."
    is never printed for work that a failed commit or a killed process did not keep (errors and progress go to
    standard error straight away).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        held = io.StringIO()
        with acting_as(cli_actor()):
            try:
                with contextlib.redirect_stdout(held):
                    result = command(*args, **kwargs)
                commit()
            except DomainError as error:
                rollback()
                raise click.ClickException(error.message) from None
            except BaseException:
                rollback()
                raise
        sys.stdout.write(held.getvalue())
        sys.stdout.flush()
        return result

    return wrapper


def run_job(app: Flask, job_id: int) -> None:
    """Run a submitted job in this thread, as the user who asked, in transactions of its own.

    The job is marked running and committed; its work is then one transaction, committed when it ends. When it
    fails, its work is rolled back and the failure is recorded (and committed) instead.
    """
    with app.app_context():
        try:
            with acting_as(jobs.start(job_id)):
                commit()
                try:
                    jobs.execute(job_id)
                    commit()
                except Exception as error:  # a job must always end in a recorded state
                    rollback()
                    jobs.record_failure(job_id, error)
                    commit()
        finally:
            jobs.forget_progress(job_id)
            db.session.remove()


def recover_at_start(app: Flask) -> None:
    """At server start: fail the jobs whose process has gone. Quietly does nothing before the first migration."""
    from sqlalchemy.exc import SQLAlchemyError

    with app.app_context():
        try:
            if jobs.recover_interrupted():
                commit()
        except SQLAlchemyError:
            rollback()
            jobs.log.warning("Could not check for interrupted jobs (is the database migrated?)")
        finally:
            db.session.remove()
