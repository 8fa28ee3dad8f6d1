"""Telling people (issue 16): one message per event and recipient, made in the transaction of the change.

``notify`` is the one way a domain change tells someone. It writes a ``Notification`` row, which the worker sends
once the transaction commits (``unit_of_work``); a change that rolls back tells nobody. The ``key`` names the
event (``audit_assigned:12:3``): a second ``notify`` with the same key and recipient makes nothing, so a sweep
that notices the same overdue audit twice in a day sends one message. A message carries a prompt (the event's
words) and a link to a page of this site; never a child's name, case reference or anything from the file.

Optional messages (``NotifyEvent.optional``) respect the recipient's choice: when they turned it off, the row is
still written, as "not sent", so the delivery log shows why nobody was told.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auditapp.extensions import db
from auditapp.models import Notification, NotificationPreference, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import DeliveryStatus, NotifyEvent

TO_SEND = "auditapp_notifications_to_send"
TURNED_OFF = "Not sent: the recipient turned this kind of message off"
INACTIVE = "Not sent: the recipient's account is deactivated"


def wants(user: User, event: NotifyEvent) -> bool:
    """Whether ``user`` gets ``event``'s messages (the mandatory ones always; the others unless turned off)."""
    if not event.optional:
        return True
    enabled = db.session.scalar(
        select(NotificationPreference.enabled).where(
            NotificationPreference.user_id == user.id, NotificationPreference.event == event.value
        )
    )
    return enabled is not False


def notify(event: NotifyEvent, *, to: User, key: str, link: str) -> Notification | None:
    """Tell ``to`` about ``event`` once the transaction commits; ``key`` names this occurrence of the event (the
    recipient is added to it), ``link`` is a path on this site. None when this occurrence was already told."""
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"a message links to a page of this site, not {link!r}")
    idempotency_key = f"{event.value}:{key}:to:{to.id}"[:200]
    if db.session.scalar(select(Notification.id).where(Notification.idempotency_key == idempotency_key)):
        return None
    status, error = DeliveryStatus.QUEUED, None
    if not to.active:
        status, error = DeliveryStatus.NOT_SENT, INACTIVE
    elif not wants(to, event):
        status, error = DeliveryStatus.NOT_SENT, TURNED_OFF
    message = Notification(
        idempotency_key=idempotency_key,
        event=event.value,
        user_id=to.id,
        email=to.email,
        link=link,
        status=status,
        error=error,
    )
    try:
        with db.session.begin_nested():  # another transaction made it first: still one message
            db.session.add(message)
    except IntegrityError:
        return None
    if status == DeliveryStatus.QUEUED:
        db.session.info.setdefault(TO_SEND, []).append(message.id)
    return message


def notify_all(event: NotifyEvent, *, to: list[User], key: str, link: str) -> list[Notification]:
    """``notify`` each of ``to`` (each person once, even if named twice)."""
    seen: set[int] = set()
    made = []
    for user in to:
        if user.id in seen:
            continue
        seen.add(user.id)
        message = notify(event, to=user, key=key, link=link)
        if message is not None:
            made.append(message)
    return made


def requeue(message: Notification) -> None:
    """Queue a failed message again, with its attempts counted afresh, to send once the transaction commits (the
    admins' "Send again"; ``claimed_at`` is then when it was put back, for ``notify.recovery``)."""
    message.status, message.attempts, message.owner, message.error = DeliveryStatus.QUEUED, 0, None, None
    message.claimed_at = utcnow()
    db.session.flush()
    db.session.info.setdefault(TO_SEND, []).append(message.id)


def take_committed(session: Session) -> list[int]:
    """The messages of the transaction that has just committed, to send now (see ``unit_of_work``)."""
    return list(session.info.pop(TO_SEND, []))


def forget(session: Session) -> None:
    """The transaction rolled back: its messages were never written, so none is sent."""
    session.info.pop(TO_SEND, None)
