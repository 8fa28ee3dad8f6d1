"""Reminders of the single-agency audit returns (issue 17), made by the worker's sweep.

For each active agency with a quality lead and no return for the quarter that has just ended (the one before
today's quarter, in England), its quality lead is told, through ``domain.notifications.notify`` (so each message is
made once, whatever how often the sweep runs):

- "due soon" once per agency and quarter, from 5 working days before the due date (the last day of the month after
  the quarter) up to the due date itself;
- "overdue" after the due date, once per run of 5 working days (idempotency key per agency, quarter and reminder
  number), until the return is in or the next quarter ends.

Agencies without a quality lead get no reminders, and nobody else is told instead: the dashboard and the returns
page show their return as due or overdue. Neither is an inactive quality lead (who could not record it) reminded.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auditapp.domain.notifications import notify
from auditapp.domain.quarters import Quarter, return_due_date, uk_date
from auditapp.extensions import db
from auditapp.models import Agency, SingleAgencyReturn
from auditapp.tools.workingdays import working_days_between
from auditapp.vocabulary import NotifyEvent

DUE_SOON_DAYS = 5
OVERDUE_EVERY = 5  # working days between two reminders of an overdue return


def return_link(agency_id: int, quarter: Quarter) -> str:
    """The path of the return's form (the reminder's link)."""
    return f"/programme/returns/{agency_id}/{quarter.key}"


def _missing(quarter: Quarter) -> list[Agency]:
    received = select(SingleAgencyReturn.agency_id).where(
        SingleAgencyReturn.year == quarter.year, SingleAgencyReturn.quarter == quarter.number
    )
    query = (
        select(Agency)
        .where(Agency.active.is_(True), Agency.quality_lead_id.is_not(None), Agency.id.not_in(received))
        .options(selectinload(Agency.quality_lead))
        .order_by(Agency.id)
    )
    return list(db.session.scalars(query))


def reminder_for(today: date, quarter: Quarter) -> tuple[NotifyEvent, str] | None:
    """Which reminder of ``quarter``'s return is due on ``today`` (with its key's suffix), if any."""
    due = return_due_date(quarter)
    if today <= quarter.end:
        return None
    if today <= due:
        if working_days_between(start=today, end=due) <= DUE_SOON_DAYS:
            return NotifyEvent.RETURN_DUE_SOON, "soon"
        return None
    # Which run of 5 working days since the due date this is (the first starts the day after it).
    number = max(working_days_between(start=due, end=today) - 1, 0) // OVERDUE_EVERY
    return NotifyEvent.RETURN_OVERDUE, f"overdue{number}"


def send_return_reminders(now: datetime) -> int:
    """Make the return reminders due at ``now`` (UTC); how many messages were made."""
    today = uk_date(now)
    quarter = Quarter.of(today).previous()
    reminder = reminder_for(today, quarter)
    if reminder is None:
        return 0
    event, suffix = reminder
    made = 0
    for agency in _missing(quarter):
        lead = agency.quality_lead
        if lead is None or not lead.active:  # an inactive lead has no access to record it: nobody to remind
            continue
        key = f"{agency.id}:{quarter.key}:{suffix}"
        made += notify(event, to=lead, key=key, link=return_link(agency.id, quarter)) is not None
    return made
