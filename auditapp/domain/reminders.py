"""The schedule's reminders and escalations (issue 16), made by the worker's sweep.

HOOK(events-helper): implement. Working days are England's (``tools.workingdays``). Each reminder goes through
``domain.notifications.notify`` with a key that makes it once: due-soon once per audit and due date; overdue once
per audit and day; actions likewise; an escalation once per concern.
"""

from __future__ import annotations

from datetime import datetime


def send_due_reminders(now: datetime) -> int:
    """Make the reminders due at ``now``; how many messages were made."""
    return 0


def escalate_concerns(now: datetime) -> int:
    """Escalate the immediate concerns not acknowledged within a working day of being raised; how many messages."""
    return 0
