"""Messages that were claimed by a worker that then died, or that never reached the queue: queue them again.

A message is put back to queued when it is

- "sending" and its worker's process on this host has gone (``jobs._owner_gone``: killed, restarted);
- "sending" for longer than ``STUCK`` on another host (whose processes this one cannot see);
- "queued" for ``STUCK`` longer than it should have waited: its enqueue was lost (a Redis restart, a crash between
  the commit and the enqueue). A retried message waits its retry delay first (``delivery.retry_delay``).

A message interrupted on its last attempt fails instead. The sweep enqueues the ids returned once its transaction
has committed; ``delivery.claim`` takes each one only while it is queued, so a message enqueued twice is still
sent once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from auditapp.extensions import db
from auditapp.jobs import _owner_gone, this_process
from auditapp.models import Notification
from auditapp.models.types import utcnow
from auditapp.notify.delivery import MAX_ATTEMPTS, retry_delay
from auditapp.vocabulary import DeliveryStatus

log = logging.getLogger(__name__)
STUCK = timedelta(minutes=10)
INTERRUPTED = f"Interrupted: the worker stopped while sending this, and it was tried {MAX_ATTEMPTS} times"


def _on_this_host(owner: str | None) -> bool:
    return owner is not None and owner.rsplit(":", 2)[0] == this_process().rsplit(":", 2)[0]


def _interrupted(message: Notification, now: datetime) -> bool:
    if _owner_gone(message.owner):
        return True
    return not _on_this_host(message.owner) and (message.claimed_at is None or message.claimed_at < now - STUCK)


def _lost(message: Notification, now: datetime) -> bool:
    """Queued, and still waiting well after it should have been sent (or tried again)."""
    since = message.claimed_at or message.created_at
    wait = timedelta(seconds=retry_delay(message.attempts)) if message.attempts else timedelta(0)
    return since < now - wait - STUCK


def recover_interrupted() -> list[int]:
    """The ids of the messages to queue again (the caller commits, then enqueues them)."""
    now = utcnow()
    waiting = db.session.scalars(
        select(Notification)
        .where(Notification.status.in_((DeliveryStatus.SENDING, DeliveryStatus.QUEUED)))
        .order_by(Notification.id)
    )
    again: list[int] = []
    for message in waiting:
        if message.status == DeliveryStatus.QUEUED:
            if _lost(message, now):
                again.append(message.id)
            continue
        if not _interrupted(message, now):
            continue
        log.warning("A message's worker stopped while sending it", extra={"notification_id": message.id})
        message.owner = None
        if message.attempts >= MAX_ATTEMPTS:
            message.status, message.error = DeliveryStatus.FAILED, INTERRUPTED
        else:
            message.status = DeliveryStatus.QUEUED
            again.append(message.id)
    db.session.flush()
    return again
