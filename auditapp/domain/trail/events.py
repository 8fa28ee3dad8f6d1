"""Writing the audit trail, in the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from auditapp.domain.context import acting_as, current_actor
from auditapp.domain.trail.chain import remember
from auditapp.extensions import db
from auditapp.models import AuditEvent
from auditapp.models.types import utcnow


def record_event(
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    details: dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` to the current session (flushed with the change it records).

    The actor, IP address and request id come from the acting context unless given.
    """
    ctx = current_actor()
    audit_event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor_id if actor_id is not None else ctx.user_id,
        actor_email=actor_email or ctx.email,
        actor_role=ctx.role,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip_address=ctx.ip_address,
        request_id=ctx.request_id,
        details={"channel": ctx.channel, **(details or {})},
    )
    db.session.add(audit_event)
    db.session.flush()
    remember(db.session(), audit_event)  # linked into the hash chain when the transaction commits
    return audit_event


KEPT = "auditapp_kept_on_error"


def record_refusal(action: str, *, redo: Callable[[], object] | None = None, **fields: Any) -> AuditEvent:
    """Record a refused attempt (and, with ``redo``, the write that goes with it, such as a lock-out count).

    The event is written now, like any other. When the request then answers with an error, which discards the
    request's other writes, the web layer writes it again in a transaction of its own (``write_kept``), so refused
    attempts are never lost with the rest.
    """
    audit_event = record_event(action, **fields)
    ctx = current_actor()
    db.session.info.setdefault(KEPT, []).append((action, fields, ctx, redo))
    return audit_event


def forget_kept() -> None:
    """The request succeeded: what was kept was committed with it."""
    db.session.info.pop(KEPT, None)


def write_kept() -> bool:
    """After a rollback, write again the refusals recorded during the request; True when there were any."""
    kept = db.session.info.pop(KEPT, [])
    for action, fields, ctx, redo in kept:
        with acting_as(ctx):
            record_event(action, **fields)
        if redo is not None:
            redo()
    if kept:
        db.session.flush()
    return bool(kept)


def list_events(*, page: int = 1, per_page: int = 50, action: str | None = None) -> tuple[list[AuditEvent], int]:
    """A page of audit events, newest first, and the total count."""
    query = select(AuditEvent)
    count = select(func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action == action)
        count = count.where(AuditEvent.action == action)
    total = db.session.scalar(count) or 0
    rows = db.session.scalars(
        query.order_by(AuditEvent.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
    )
    return list(rows), total
