"""The admins' delivery log: every message, newest first (or the failed ones first), and "Send again"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import joinedload

from auditapp.domain.errors import DomainError
from auditapp.domain.notifications import requeue
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Notification
from auditapp.vocabulary import DeliveryStatus

PER_PAGE = 50
FAILED_FIRST = "failed_first"


def list_messages(*, page: int, status: str | None) -> tuple[list[Notification], int]:
    """One page of messages and how many there are. ``status``: a ``DeliveryStatus`` value to show only those,
    ``FAILED_FIRST`` for every message with the failed ones first, or None for every message."""
    query = select(Notification)
    if status in set(DeliveryStatus):
        query = query.where(Notification.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order: list[ColumnElement[Any]] = [Notification.created_at.desc(), Notification.id.desc()]
    if status == FAILED_FIRST:
        order.insert(0, case((Notification.status == DeliveryStatus.FAILED, 0), else_=1))
    rows = db.session.scalars(
        query.options(joinedload(Notification.user)).order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )
    return list(rows), total


def send_again(message: Notification) -> None:
    """Queue a failed message again (sent once the request commits), recorded in the audit trail."""
    if message.status != DeliveryStatus.FAILED:
        raise DomainError(
            f"Only a failed message can be sent again: this one is {DeliveryStatus(message.status).label.lower()}"
        )
    requeue(message)
    record_event(
        "notification_resent", object_type="notification", object_id=message.id, details={"event": message.event}
    )
