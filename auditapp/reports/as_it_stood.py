"""A round's audits and actions as they stood at a past moment (``auditapp report ROUND --as-of DATE``).

What can be reconstructed, and from what:

- Whether an audit was submitted or moderated then: from its timestamps (``submitted_at``, ``moderated_at``) and,
  where a later return has cleared them, from the audit trail's ``audit_submitted`` and ``audit_moderated`` events
  up to that moment (each moderation event records the decision and the moderated grade).
- The moderated grade then: the grade of the last moderation up to that moment.
- An action's status then: the status of its last progress update up to that moment, else open.

What cannot: the answers themselves. The trail records which answers changed, not their values, so an audit that
was returned and changed after the moment is counted with its answers as they are now, except its overall grade,
which the trail recorded at each submission. A finding's and an
action's wording are also as they are now.

Nothing here changes the database: an audit that stood otherwise than it stands now is given as a detached copy
(never added to the session).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from auditapp.extensions import db
from auditapp.models import AgencyAudit, AuditEvent
from auditapp.models.audit_round import Assignment, SampledCase
from auditapp.models.finding import Action
from auditapp.vocabulary import ActionStatus, AuditState, ModerationDecision

COUNTED_STATES = (AuditState.SUBMITTED, AuditState.MODERATED)


def audits_as_they_stood(round_id: int, until: datetime) -> list[tuple[Assignment, AgencyAudit]]:
    """The round's audits that were submitted or moderated at ``until``, each as it stood then, ordered as the
    report orders them (lead first, then by assignment). Withdrawn audits are left out."""
    rows = db.session.execute(
        select(Assignment, AgencyAudit)
        .join(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .join(SampledCase, SampledCase.id == Assignment.sampled_case_id)
        .where(SampledCase.round_id == round_id, AgencyAudit.state != AuditState.WITHDRAWN)
        .order_by(Assignment.lead.desc(), Assignment.id)
    ).all()
    # The timestamps settle an audit submitted by then and not moderated since; the rest need the trail: one
    # moderated later (moderated before too?), one submitted again or returned later (submitted before?).
    settled = {a.id for _, a in rows if _submitted_by(a, until) and not _moderated_after(a, until)}
    replayed = _replay([a.id for _, a in rows if a.id not in settled], until)
    stood = []
    for assignment, audit in rows:
        if audit.id in settled:
            stood.append((assignment, audit))
        elif audit.id in replayed:
            stood.append((assignment, replayed[audit.id]))
        elif _submitted_by(audit, until):  # moderated later, nothing earlier on record: submitted, not moderated
            stood.append((assignment, _copy(audit, until, state=AuditState.SUBMITTED)))
    return stood


def _submitted_by(audit: AgencyAudit, until: datetime) -> bool:
    return audit.state in COUNTED_STATES and audit.submitted_at is not None and audit.submitted_at <= until


def _moderated_after(audit: AgencyAudit, until: datetime) -> bool:
    return audit.moderated_at is not None and audit.moderated_at > until


# state, submitted at, moderated at, decision, moderated grade, the auditor's grade when submitted
_Stood = tuple[str, datetime, datetime | None, str | None, str | None, str | None]


def _replay(audit_ids: list[int], until: datetime) -> dict[int, AgencyAudit]:
    """The audits among ``audit_ids`` that the trail shows submitted or moderated at ``until``, rebuilt."""
    if not audit_ids:
        return {}
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "agency_audit",
            AuditEvent.object_id.in_([str(i) for i in audit_ids]),
            AuditEvent.action.in_(("audit_submitted", "audit_moderated")),
            AuditEvent.occurred_at <= until,
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    states: dict[int, _Stood] = {}
    for event in events:
        key, details = int(event.object_id or 0), event.details or {}
        if event.action == "audit_submitted":
            states[key] = (AuditState.SUBMITTED, event.occurred_at, None, None, None, details.get("overall_grade"))
        elif key in states and details.get("decision") == ModerationDecision.RETURNED:
            del states[key]  # returned: back with the auditor, not counted
        elif key in states:
            decision, grade = details.get("decision"), details.get("moderated_grade")
            submitted, auditors = states[key][1], states[key][5]
            states[key] = (AuditState.MODERATED, submitted, event.occurred_at, decision, grade, auditors)
    audits = {a.id: a for a in db.session.scalars(select(AgencyAudit).where(AgencyAudit.id.in_(list(states))))}
    return {
        key: _copy(
            audits[key],
            until,
            state=state,
            submitted_at=submitted,
            moderated_at=moderated,
            decision=d,
            grade=g,
            auditors_grade=auditors,
        )
        for key, (state, submitted, moderated, d, g, auditors) in states.items()
        if key in audits
    }


def _copy(
    audit: AgencyAudit,
    until: datetime,
    *,
    state: str,
    submitted_at: datetime | None = None,
    moderated_at: datetime | None = None,
    decision: str | None = None,
    grade: str | None = None,
    auditors_grade: str | None = None,
) -> AgencyAudit:
    """A detached copy of ``audit`` as it stood: never added to the session, so nothing of it is written. The
    auditor's overall grade is the one the trail recorded at the submission, when given; other answers are now's."""
    blind = audit.blind_graded_at is not None and audit.blind_graded_at <= until
    answers = dict(audit.answers or {})
    if auditors_grade:
        answers["overall_grade"] = auditors_grade
    copy = AgencyAudit(
        id=audit.id,
        assignment_id=audit.assignment_id,
        state=state,
        answers=answers,
        version=audit.version,
        submitted_at=submitted_at or audit.submitted_at,
        moderation_decision=decision,
        moderated_grade=grade,
        moderated_at=moderated_at,
        blind_grade=audit.blind_grade if blind else None,
        blind_auditor_grade=audit.blind_auditor_grade if blind else None,
        blind_graded_at=audit.blind_graded_at if blind else None,
    )
    set_committed_value(copy, "assignment", audit.assignment)  # no backref event: the real assignment is untouched
    return copy


def action_status(action: Action, until: datetime | None) -> ActionStatus:
    """The action's status at ``until`` (None: as it is now): that of its latest progress update by then; open
    when its updates all came later (an action starts open); with no updates at all, its status now, unless it
    was completed after ``until`` (then open)."""
    if until is None:
        return _status(action.status)
    latest = next((u for u in reversed(action.updates) if u.created_at <= until), None)
    if latest is not None:
        return _status(latest.status)
    if action.updates or (action.completed_at is not None and action.completed_at > until):
        return ActionStatus.OPEN
    return _status(action.status)


def _status(value: str) -> ActionStatus:
    try:
        return ActionStatus(value)
    except ValueError:  # a status this version does not know: shown as open, never a crash
        return ActionStatus.OPEN
