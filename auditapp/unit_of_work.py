"""The unit of work: the one module that commits or rolls back, and what happens around a commit.

Four callers end a unit of work, and each does it here:

- a web request (``finish_request``, the app's ``after_request`` hook): a response under 400 commits, any other
  rolls back and then keeps the refusals recorded during the request (``domain.trail.events.record_refusal``);
- a CLI command (``transactional``);
- a background job (``run_job``) and a message's delivery (``run_delivery``), in the worker (``auditapp.worker``);
- the worker's periodic sweep (``in_transaction``).

Around each commit, in this order (the ``BEFORE_COMMIT`` and ``AFTER_COMMIT`` lists below are the whole of it):

1. before the commit, seal the audit trail: link the transaction's new events into the hash chain;
2. after the commit, put the jobs the transaction submitted on the task queue;
3. after the commit, put the messages the transaction made (``domain.notifications.notify``) on the task queue;
   with ``JOBS_SYNCHRONOUS`` (tests) they are sent by ``commit`` itself, once the commit has returned;
4. after the commit, send the mail the transaction queued (the older direct path, when ``MAIL_SERVER`` is set
   and the message is not one of the notifications).

A rollback discards what each step was holding (``ON_ROLLBACK``), so a rolled-back change seals, starts and sends
nothing. Domain code never commits: it flushes, and uses a savepoint (``session.begin_nested()``) where it must
undo part of its own work.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click
from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from auditapp import jobs
from auditapp.domain import mail, notifications
from auditapp.domain.context import acting_as, cli_actor, worker_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail import chain
from auditapp.domain.trail.events import forget_kept, write_kept
from auditapp.extensions import db
from auditapp.worker.queue import HANDLERS, enqueue_delivery, enqueue_job

Step = Callable[[Session], None]


def _enqueue_jobs(session: Session) -> None:
    for app, job_id in jobs.take_committed(session):
        enqueue_job(app, job_id)


SEND_NOW = "auditapp_notifications_to_send_now"


def _enqueue_notifications(session: Session) -> None:
    """Put the committed transaction's messages on the queue; in synchronous mode keep them for ``commit`` to send
    (SQLAlchemy allows no SQL inside this hook, and sending records its outcome)."""
    committed = notifications.take_committed(session)
    if not committed or not has_app_context():  # no app (a test's direct commit): the sweep's recovery queues them
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_SYNCHRONOUS"):
        session.info.setdefault(SEND_NOW, []).extend(committed)
        return
    for notification_id in committed:
        enqueue_delivery(app, notification_id)


#: Run inside the transaction, just before it commits.
BEFORE_COMMIT: tuple[Step, ...] = (chain.seal,)
#: Run once the commit has succeeded, in this order.
AFTER_COMMIT: tuple[Step, ...] = (_enqueue_jobs, _enqueue_notifications, mail.send_outbox)
#: Run after a rollback: each step forgets what it was holding for the transaction.
ON_ROLLBACK: tuple[Step, ...] = (chain.forget, jobs.forget_submitted, notifications.forget, mail.discard_outbox)


def _run_all(steps: tuple[Step, ...]) -> Step:
    def run(session: Session) -> None:
        if session.in_nested_transaction():  # a SAVEPOINT (``notify``'s, say) ends: the transaction goes on
            return
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
    _send_now()


def _send_now() -> None:
    """Synchronous mode (tests): send the messages the commit made, each in its own transaction, as the worker
    would (a message made while sending one is sent too)."""
    pending = db.session.info.pop(SEND_NOW, None)
    while pending:
        for notification_id in pending:
            _deliver(notification_id)
        pending = db.session.info.pop(SEND_NOW, None)


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


def run_job(app: Flask, job_id: int) -> float | None:
    """Run a queued job in the worker, as the user who asked, in transactions of its own.

    The job is marked running (one attempt more) and committed; its work is then one transaction, committed when
    it ends. When it fails, its work is rolled back and the failure is recorded (and committed) instead: the
    seconds before it is tried again, or None (done, failed for good, or not this worker's to run).
    """
    with app.app_context():
        retry_in = None
        try:
            actor = jobs.start(job_id)
            if actor is None:
                rollback()
                return None
            with acting_as(actor):
                commit()
                try:
                    jobs.execute(job_id)
                    commit()
                except Exception as error:  # a job must always end in a recorded state
                    rollback()
                    retry_in = jobs.record_failure(job_id, error)
                    commit()
        finally:
            jobs.forget_progress(job_id)
            db.session.remove()
        return retry_in


def _deliver(notification_id: int) -> float | None:
    """Send one message: claim it and commit, send it (no transaction is open while the network is used), then
    record how it went and commit. The seconds before the next attempt, or None."""
    from auditapp.notify import delivery

    with acting_as(worker_actor()):
        claimed = delivery.claim(notification_id)
        commit()
        if claimed is None:
            return None
        outcome = delivery.send(claimed, current_app.config)
        retry_in = delivery.record(notification_id, outcome)
        commit()
        return retry_in


def run_delivery(app: Flask, notification_id: int) -> float | None:
    """The worker's task: send one message (see ``_deliver``)."""
    with app.app_context():
        try:
            return _deliver(notification_id)
        finally:
            db.session.remove()


HANDLERS.update(run_job=run_job, deliver=run_delivery)


@contextlib.contextmanager
def in_transaction(app: Flask) -> Iterator[None]:
    """One step of the worker's sweep as a transaction of its own, acting as the worker: committed when the block
    ends, rolled back (and re-raised) on any error."""
    with app.app_context(), acting_as(worker_actor()):
        try:
            yield
            commit()
        except BaseException:
            rollback()
            raise
        finally:
            db.session.remove()
