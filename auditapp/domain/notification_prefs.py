"""Each user's choice of the optional messages (issue 16); the mandatory ones are always sent."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import NotificationPreference, User
from auditapp.vocabulary import NotifyEvent

OPTIONAL = tuple(event for event in NotifyEvent if event.optional)
MANDATORY = tuple(event for event in NotifyEvent if not event.optional)
MANDATORY_REASON = "Always sent: a concern about a child's safety must reach the people who act on it"


def chosen(user: User) -> set[NotifyEvent]:
    """The optional messages ``user`` gets (all of them unless turned off)."""
    rows = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    off = {row.event for row in rows if not row.enabled}
    return {event for event in OPTIONAL if event.value not in off}


def save_choices(user: User, wanted: Iterable[str]) -> list[NotifyEvent]:
    """Keep ``user``'s choice: the optional events in ``wanted`` on, the others off (other values are ignored).
    The events whose setting changed; an audit event records them when there are any."""
    wanted_set = {event for event in OPTIONAL if event.value in set(wanted)}
    rows = {
        row.event: row
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    changed = []
    for event in OPTIONAL:
        row = rows.get(event.value)
        was_on = row is None or row.enabled
        now_on = event in wanted_set
        if was_on == now_on:
            continue
        changed.append(event)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, event=event.value, enabled=now_on))
        else:
            row.enabled = now_on
    if changed:
        db.session.flush()
        record_event(
            "notification_preferences_changed",
            object_type="user",
            object_id=user.id,
            details={
                "turned_on": [e.value for e in changed if e in wanted_set],
                "turned_off": [e.value for e in changed if e not in wanted_set],
            },
        )
    return changed
