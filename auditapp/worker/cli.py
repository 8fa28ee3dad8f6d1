"""``auditapp worker``: run the task queue's consumer until stopped, or ``--until-idle``: what is queued and due,
then exit (deployments without a resident worker, such as a cron job, and the tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from auditapp.worker.queue import queue_for
from auditapp.worker.sweep import run_sweep


def run_until_idle(app, *, now: datetime | None = None, limit: int = 10_000) -> int:  # type: ignore[no-untyped-def]
    """Sweep once, then run every queued task and every scheduled task already due, until none is left (tasks may
    queue others: a published report's messages). Retries scheduled for later are left for the next run. How many
    tasks ran."""
    queue = queue_for(app)
    huey = queue.huey
    run_sweep(app, now=now)
    ran = 0
    while ran < limit:
        for due in huey.read_schedule(datetime.now(UTC).replace(tzinfo=None)):
            huey.enqueue(due)
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    return ran


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give a date and time such as 2026-12-07T08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Run what is queued and due, then exit.")
@click.option("--now", "now_text", help="With --until-idle: sweep as if it were this UTC time (tests, catching up).")
@click.option("--workers", default=2, show_default=True, help="Threads running tasks at once.")
@with_appcontext
def worker_command(until_idle: bool, now_text: str | None, workers: int) -> None:
    """Run background work: imports, publishing, PDFs, messages and the reminders' schedule."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = _parse_now(now_text)
    if until_idle:
        ran = run_until_idle(app, now=now)
        click.echo(f"Worker: ran {ran} task{'s' if ran != 1 else ''}; nothing else is queued or due.")
        return
    if now is not None:
        raise click.UsageError("--now is only for --until-idle")
    queue = queue_for(app)
    click.echo(f"Worker: {workers} threads on {type(queue.huey.storage).__name__}; Ctrl+C to stop.", err=True)
    run_sweep(app)  # at start: take back what a worker killed before this one left running
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
