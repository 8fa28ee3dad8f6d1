"""The schedule's reminders and escalations (issue 16), made by the worker's sweep.

Working days are England's (``tools.workingdays``), counted from the UK date of ``now`` (Europe/London). Each
reminder goes through ``domain.notifications.notify`` with a key that makes it once, so sweeping often sends
nothing twice:

- an audit not yet submitted: "due soon" once per audit and due date, from 3 working days before it (or fewer, if
  the sweep first sees it later); "overdue" once a day after its due date;
- an action not done, with an owner who has an account: "due soon" once per action and due date, from 5 working
  days before it; "overdue" once per 5 working days after its due date;
- an immediate concern not acknowledged a working day after it was raised (at the same time of day): escalated
  once.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auditapp.domain import telling
from auditapp.domain.notifications import notify
from auditapp.extensions import db
from auditapp.models import Action, Assignment, AuditRound, SafeguardingConcern, SampledCase
from auditapp.tools.workingdays import add_working_days, working_days_between
from auditapp.vocabulary import ActionStatus, AuditState, NotifyEvent

UK = ZoneInfo("Europe/London")
AUDIT_DUE_SOON_DAYS = 3
ACTION_DUE_SOON_DAYS = 5
ACTION_OVERDUE_EVERY = 5  # working days between two reminders of an overdue action
ESCALATE_AFTER_DAYS = 1
NOT_SUBMITTED = (None, AuditState.NOT_STARTED, AuditState.IN_PROGRESS, AuditState.RETURNED)


def uk_today(now: datetime) -> date:
    """The date in England at ``now`` (UTC)."""
    return now.astimezone(UK).date()


def _due_soon(today: date, due: date, days: int) -> bool:
    return today < due and working_days_between(start=today, end=due) <= days


def _open_assignments() -> list[Assignment]:
    query = (
        select(Assignment)
        .join(SampledCase)
        .join(AuditRound)
        .where(SampledCase.replaced.is_(False), AuditRound.cancelled_at.is_(None))
        .options(selectinload(Assignment.auditor))
        .order_by(Assignment.id)
    )
    return [a for a in db.session.scalars(query) if (a.audit.state if a.audit else None) in NOT_SUBMITTED]


def _audit_reminders(today: date) -> int:
    made = 0
    for assignment in _open_assignments():
        due = assignment.due_date or assignment.sampled_case.round.due_date
        if due is None:
            continue
        link = telling.audit_link(assignment)
        if _due_soon(today, due, AUDIT_DUE_SOON_DAYS):
            key = f"{assignment.id}:{due.isoformat()}"
            made += notify(NotifyEvent.AUDIT_DUE_SOON, to=assignment.auditor, key=key, link=link) is not None
        elif today > due:
            key = f"{assignment.id}:{today.isoformat()}"
            made += notify(NotifyEvent.AUDIT_OVERDUE, to=assignment.auditor, key=key, link=link) is not None
    return made


def _action_reminders(today: date) -> int:
    query = (
        select(Action)
        .where(Action.owner_id.is_not(None), Action.status != ActionStatus.DONE)
        .options(selectinload(Action.owner))
        .order_by(Action.id)
    )
    made = 0
    for action in db.session.scalars(query):
        if action.owner is None:
            continue
        due, link = action.due_date, telling.action_link(action.id)
        if _due_soon(today, due, ACTION_DUE_SOON_DAYS):
            key = f"{action.id}:{due.isoformat()}"
            made += notify(NotifyEvent.ACTION_DUE_SOON, to=action.owner, key=key, link=link) is not None
        elif today > due:
            # The "week": which run of 5 working days since the due date this is (the first starts the day after).
            week = max(working_days_between(start=due, end=today) - 1, 0) // ACTION_OVERDUE_EVERY
            key = f"{action.id}:{due.isoformat()}:week{week}"
            made += notify(NotifyEvent.ACTION_OVERDUE, to=action.owner, key=key, link=link) is not None
    return made


def send_due_reminders(now: datetime) -> int:
    """Make the reminders due at ``now``; how many messages were made."""
    today = uk_today(now)
    return _audit_reminders(today) + _action_reminders(today)


def escalation_due(concern: SafeguardingConcern) -> datetime:
    """When an unacknowledged concern is escalated: a working day after it was raised, at the same time of day
    in England (raised on Friday at 16:00: the next Monday at 16:00, or Tuesday after a bank holiday)."""
    raised = concern.raised_at.astimezone(UK)
    day = add_working_days(start=raised.date(), days=ESCALATE_AFTER_DAYS)
    return datetime.combine(day, raised.timetz().replace(tzinfo=None), tzinfo=UK)


def escalate_concerns(now: datetime) -> int:
    """Escalate the immediate concerns not acknowledged within a working day of being raised; how many messages."""
    query = select(SafeguardingConcern).where(SafeguardingConcern.acknowledged_at.is_(None))
    made = 0
    for concern in db.session.scalars(query.order_by(SafeguardingConcern.id)):
        if now >= escalation_due(concern):
            made += telling.concern_escalated(concern)
    return made
