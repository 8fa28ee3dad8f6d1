"""Who is told of what happens (issue 16): the events' recipients, keys and links, for the domain's changes.

Each function is called by the change it follows, in its transaction, and goes through
``notifications.notify`` (a prompt and a link: never a child's name, case reference or anything from the file).
The schedule's reminders and escalations are in ``reminders``. The links are this site's paths, built as strings
(the domain imports no Flask): the page the person told uses.
"""

from __future__ import annotations

from sqlalchemy import select

from auditapp.domain.notifications import notify, notify_all
from auditapp.extensions import db
from auditapp.models import (
    Agency,
    AgencyAudit,
    AgencyKind,
    Assignment,
    PublishedReport,
    Role,
    SafeguardingConcern,
    SampledCase,
    User,
)
from auditapp.vocabulary import AuditState, NotifyEvent

PUBLISHED_REPORTS = "/reports"


def audit_link(assignment: Assignment) -> str:
    """The auditor's page of their audit (its task list)."""
    return f"/audits/{assignment.id}"


def concern_link(concern: SafeguardingConcern) -> str:
    """The coordinator's page of a concern, where they read it and record the action taken."""
    return f"/moderation/concerns/{concern.id}"


def action_link(action_id: int) -> str:
    """The page of an action, which its owner reads and records progress on."""
    return f"/actions/{action_id}"


def coordinators() -> list[User]:
    """The active QA coordinators."""
    query = select(User).where(User.role == Role.QA_COORDINATOR, User.active.is_(True)).order_by(User.id)
    return list(db.session.scalars(query))


def _active_lead(agency: Agency | None) -> User | None:
    lead = agency.safeguarding_lead if agency is not None else None
    return lead if lead is not None and lead.active else None


def concern_leads(concern: SafeguardingConcern, *, front_door: bool = False) -> list[User]:
    """The active named safeguarding lead of the agency whose file the raiser was auditing (their assignment on
    the case); with ``front_door`` also the lead of children's social care (the statutory front door)."""
    agency_name = db.session.scalar(
        select(Assignment.agency_name).where(
            Assignment.sampled_case_id == concern.sampled_case_id, Assignment.auditor_id == concern.raised_by_id
        )
    )
    agencies = [db.session.scalar(select(Agency).where(Agency.name == agency_name))] if agency_name else []
    if front_door:
        query = select(Agency).where(Agency.kind == AgencyKind.SOCIAL_CARE, Agency.active.is_(True))
        agencies += list(db.session.scalars(query.order_by(Agency.id)))
    leads = [_active_lead(agency) for agency in agencies]
    return [lead for lead in leads if lead is not None]


def _tell_about_concern(event: NotifyEvent, concern: SafeguardingConcern, leads: list[User]) -> int:
    told = notify_all(event, to=coordinators(), key=str(concern.id), link=concern_link(concern))
    # A lead who is not a coordinator cannot open the concern's page: their link is their home page.
    others = [lead for lead in leads if lead.role != Role.QA_COORDINATOR]
    return len(told) + len(notify_all(event, to=others, key=str(concern.id), link="/home"))


def concern_raised(concern: SafeguardingConcern) -> int:
    """At once: every active coordinator and the agency's named safeguarding lead."""
    return _tell_about_concern(NotifyEvent.CONCERN_RAISED, concern, concern_leads(concern))


def concern_escalated(concern: SafeguardingConcern) -> int:
    """Not acknowledged in time: the coordinators, the agency's lead and the front door's lead; once."""
    return _tell_about_concern(NotifyEvent.CONCERN_ESCALATED, concern, concern_leads(concern, front_door=True))


def concern_acknowledged(concern: SafeguardingConcern) -> None:
    """The person who raised the concern: their audit's page (the concern itself is the coordinators')."""
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.sampled_case_id == concern.sampled_case_id, Assignment.auditor_id == concern.raised_by_id
        )
    )
    link = audit_link(assignment) if assignment is not None else "/home"
    notify(NotifyEvent.CONCERN_ACKNOWLEDGED, to=concern.raised_by, key=str(concern.id), link=link)


def audit_assigned(assignment: Assignment) -> None:
    """Its auditor, once per assignment (a reassignment to someone else tells the new auditor)."""
    notify(NotifyEvent.AUDIT_ASSIGNED, to=assignment.auditor, key=str(assignment.id), link=audit_link(assignment))


def audit_returned(audit: AgencyAudit) -> None:
    """Its auditor, each time the moderator returns it."""
    key = f"{audit.id}:{audit.moderated_at.isoformat() if audit.moderated_at else ''}"
    assignment = audit.assignment
    notify(NotifyEvent.AUDIT_RETURNED, to=assignment.auditor, key=key, link=audit_link(assignment))


def _places(sampled: SampledCase) -> list[tuple[Assignment, AgencyAudit | None]]:
    """The case's assignments that hold a place, with their audits: a withdrawn audit (its auditor changed, or
    removed after starting) holds none, so it is not waited for."""
    audits = {
        a.assignment_id: a
        for a in db.session.scalars(
            select(AgencyAudit).join(Assignment).where(Assignment.sampled_case_id == sampled.id)
        )
    }
    places = [(a, audits.get(a.id)) for a in sampled.assignments]
    return [(a, audit) for a, audit in places if audit is None or audit.state != AuditState.WITHDRAWN]


def joint_ready(sampled: SampledCase) -> bool:
    """True when every agency audit of the case has been submitted (or moderated)."""
    places = _places(sampled)
    done = (AuditState.SUBMITTED, AuditState.MODERATED)
    return bool(places) and all(audit is not None and audit.state in done for _, audit in places)


def joint_discussion_ready(sampled: SampledCase) -> None:
    """The case's lead auditor, once per case, when its last agency audit is in (``joint_ready``)."""
    lead = next((a for a, _ in _places(sampled) if a.lead), None)
    if lead is None or not joint_ready(sampled):
        return
    link = f"{audit_link(lead)}/joint"
    notify(NotifyEvent.JOINT_DISCUSSION_READY, to=lead.auditor, key=str(sampled.id), link=link)


def report_published(report: PublishedReport) -> None:
    """Every active board member, once per report version."""
    query = select(User).where(User.role == Role.BOARD_MEMBER, User.active.is_(True)).order_by(User.id)
    board = list(db.session.scalars(query))
    notify_all(NotifyEvent.REPORT_PUBLISHED, to=board, key=str(report.id), link=PUBLISHED_REPORTS)
