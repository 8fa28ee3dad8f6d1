"""Delivering one message: claim it, send it, record how it went (``unit_of_work._deliver`` commits between).

HOOK(notify-helper): implement claim, send and record; keep their signatures (unit_of_work calls them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Claimed:
    """What the sender needs, read inside the claiming transaction: no database access while sending."""

    notification_id: int
    event: str
    email: str
    name: str
    link: str  # a path; the sender makes it absolute with SERVICE_URL
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class Outcome:
    sent: bool
    channel: str | None
    reference: str | None = None
    error: str | None = None  # in words, without a child's data
    permanent: bool = False  # a failure that retrying cannot mend (an invalid address, a bad API key)


def claim(notification_id: int) -> Claimed | None:
    """Mark the message sending by this worker, one attempt more (the caller commits); None when it is not queued
    (sent already, failed for good, or being sent by another worker)."""
    raise NotImplementedError


def send(claimed: Claimed, config: Mapping[str, Any]) -> Outcome:
    """Send through GOV.UK Notify (``NOTIFY_API_KEY``) or SMTP (``MAIL_SERVER``); neither configured: not sent."""
    raise NotImplementedError


def record(notification_id: int, outcome: Outcome) -> float | None:
    """Record the outcome (the caller commits): sent; failed and retried (the seconds to wait); or failed for good
    after its attempts, shown in the admins' delivery log."""
    raise NotImplementedError
