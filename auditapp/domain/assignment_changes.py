"""Changing the people on a round's cases: giving an audit to another auditor (keeping its answers, or starting
again), removing an auditor, and replacing a case, with what each would do described first for the
confirmation pages.

Nothing here ever deletes a started audit: it is handed over, or closed as withdrawn with its answers kept (see
``sampling.withdraw_assignment``). Every change and every confirmation page is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from auditapp.assignment.auto import AssignmentPlan
from auditapp.assignment.rules import Breach
from auditapp.domain import assignments as assignment_domain
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import ensure_open
from auditapp.domain.sampling import person_details, replace_case, withdraw_assignment
from auditapp.domain.telling import audit_assigned
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditEvent, AuditRound, Role, SampledCase, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import AuditState, SectionStatus


@dataclass(frozen=True)
class AuditSoFar:
    """An assignment and how far its audit has got, in words for a confirmation page."""

    assignment: Assignment
    audit: AgencyAudit | None
    started_at: datetime | None
    sections_done: int
    sections: int

    @property
    def started(self) -> bool:
        """True when there is work to lose: any answer saved, or the audit submitted or moderated."""
        return self.audit is not None and (self.audit.state != AuditState.NOT_STARTED or bool(self.audit.answers))

    @property
    def withdrawn(self) -> bool:
        return self.audit is not None and self.audit.state == AuditState.WITHDRAWN

    @property
    def auditor(self) -> str:
        user = self.assignment.auditor
        return f"{user.name} ({user.email})"

    @property
    def progress(self) -> str:
        """For example "started 3 March 2027, 4 of 8 sections done, in progress"."""
        if not self.started or self.audit is None:
            return "not started"
        parts = []
        if self.started_at is not None:
            parts.append(f"started {self.started_at:%-d %B %Y}")
        parts.append(f"{self.sections_done} of {self.sections} sections done")
        parts.append(AuditState(self.audit.state).label.lower())
        return ", ".join(parts)


def audit_so_far(assignment: Assignment) -> AuditSoFar:
    """How far ``assignment``'s audit has got (when it was first saved, the sections done). Records a view."""
    from auditapp.domain.audits import proposals_for, section_states, tool_for_audit

    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    record_event(
        "assignment_viewed",
        object_type="assignment",
        object_id=assignment.id,
        details={"case_ref": assignment.sampled_case.case.case_ref, "auditor_id": assignment.auditor_id},
    )
    if audit is None:
        return AuditSoFar(assignment, None, None, 0, 0)
    first_save = db.session.scalar(
        select(func.min(AuditEvent.occurred_at)).where(
            AuditEvent.action == "audit_saved",
            AuditEvent.object_type == "agency_audit",
            AuditEvent.object_id == str(audit.id),
        )
    )
    tool = tool_for_audit(audit)  # the sections this agency's audit is asked
    states = section_states(audit, tool, proposals_for(audit))
    done = sum(1 for state in states.values() if state == SectionStatus.COMPLETED)
    return AuditSoFar(assignment, audit, first_save or audit.updated_at, done, len(states))


def _open_for_change(assignment: Assignment) -> AuditRound:
    audit_round = assignment.sampled_case.round
    ensure_open(audit_round)
    if assignment.sampled_case.replaced:
        raise DomainError("This case has been replaced: its audits can no longer be changed")
    if assignment_domain.is_withdrawn(assignment):
        raise DomainError("This audit has been withdrawn: assign a new auditor to the case instead")
    return audit_round


def check_reassign(
    assignment: Assignment, *, auditor_id: int | None, default_max_load: int | None = None
) -> list[Breach]:
    """The conflict rules giving ``assignment``'s place to auditor ``auditor_id`` would break (empty: none).

    Raises DomainError when no (other) auditor is chosen, or the assignment can no longer be changed.
    """
    audit_round = _open_for_change(assignment)
    if auditor_id is None:
        raise DomainError("Select the auditor to take over this audit", field="auditor_id")
    if auditor_id == assignment.auditor_id:
        raise DomainError(
            f"{assignment.auditor.name} already has this audit: select a different auditor", field="auditor_id"
        )
    return assignment_domain.check_manual(
        audit_round,
        assignment.sampled_case,
        auditor_id=auditor_id,
        agency=assignment.agency_name,
        lead=assignment.lead,
        default_max_load=default_max_load,
        replacing=assignment,
    ).breaches


def reassign(
    assignment: Assignment,
    *,
    auditor_id: int | None,
    start_again: bool = False,
    justification: str | None = None,
    default_max_load: int | None = None,
) -> Assignment:
    """Give ``assignment``'s place to another auditor, within the conflict rules (a broken rule needs a written
    justification, kept with the assignment).

    By default the audit moves with the place: its answers and history are kept, the new auditor carries on and
    the old one no longer reaches it. With ``start_again`` a started audit is closed as withdrawn (its answers
    kept) and the new auditor starts a new one. The trail names both auditors. Returns the assignment now holding
    the place. Raises DomainError for no or the same auditor, a rule broken without justification, an auditor
    already on the case, a replaced case, a withdrawn audit or a cancelled round.
    """
    breaches = check_reassign(assignment, auditor_id=auditor_id, default_max_load=default_max_load)
    assignment_domain.require_justification(breaches, justification)
    new_user = db.session.get(User, auditor_id)
    if new_user is None or new_user.role != Role.AUDITOR:
        raise DomainError("Select an auditor from the list", field="auditor_id")
    so_far = audit_so_far(assignment)
    old = person_details(assignment.auditor_id)
    why = (justification or "").strip() or None
    if start_again and so_far.started:
        withdraw_assignment(assignment, reason=f"auditor changed to {new_user.name}: the audit starts again")
        lead, assignment.lead = assignment.lead, False
        holder = Assignment(
            auditor_id=new_user.id,
            agency_name=assignment.agency_name,
            lead=lead,
            due_date=assignment.due_date,
            assigned_by_id=current_actor().user_id,
            breaches=[b.code for b in breaches],
            justification=why,
        )
        assignment.sampled_case.assignments.append(holder)
    else:
        holder = assignment
        holder.auditor = new_user
        holder.assigned_at, holder.assigned_by_id = utcnow(), current_actor().user_id
        holder.breaches, holder.justification = [b.code for b in breaches], why
    db.session.flush()
    record_event(
        "assignment_reassigned",
        object_type="assignment",
        object_id=holder.id,
        details={
            "round_id": assignment.sampled_case.round_id,
            "case_ref": assignment.sampled_case.case.case_ref,
            "from_auditor": old,
            "to_auditor": person_details(new_user.id),
            "answers_kept": holder is assignment and so_far.started,
            "started_again": holder is not assignment,
            "previous_assignment_id": assignment.id,
            "audit_state": so_far.audit.state if so_far.audit is not None else None,
            "breaches": [b.code for b in breaches],
            "justification": why,
        },
    )
    audit_assigned(holder)  # issue 16: the new auditor is told
    return holder


def remove(assignment: Assignment, *, reason: str = "") -> AgencyAudit | None:
    """Take an auditor off a case: an assignment not started is removed; a started audit is closed as withdrawn,
    its answers kept (reassign it instead to keep the work going). Returns the withdrawn audit, if any.

    Raises DomainError when the audit is already withdrawn, the case replaced or the round cancelled.
    """
    _open_for_change(assignment)
    return withdraw_assignment(assignment, reason=reason.strip() or "removed by the coordinator")


@dataclass(frozen=True)
class ReplaceOutcome:
    incoming_ref: str
    sampled: SampledCase
    withdrawn: int
    plan: AssignmentPlan | None  # None when the case going out had no auditors (nothing to assign yet)


def replace_and_assign(
    audit_round: AuditRound, sampled: SampledCase, *, reason: str, default_max_load: int | None = None
) -> ReplaceOutcome:
    """Replace ``sampled`` by the next case on its stratum's list (``sampling.replace_case``: started audits are
    withdrawn, "case replaced"), then, when the case going out had auditors, fill the new case's places
    automatically within the rules and the load limit; places nobody can take are in the outcome's plan.

    Raises DomainError as ``replace_case`` does.
    """
    had_auditors = bool(assignment_domain.live(sampled))
    started = sum(1 for a in assignment_domain.live(sampled) if a.audit is not None)
    incoming_ref = replace_case(audit_round, case_ref=sampled.case.case_ref, reason=reason)
    incoming = next(s for s in audit_round.sampled if s.case.case_ref == incoming_ref and not s.replaced)
    plan = None
    if had_auditors:
        plan = assignment_domain.assign_replacement(audit_round, incoming, default_max_load=default_max_load)
    return ReplaceOutcome(incoming_ref, incoming, started, plan)


def replace_effects(sampled: SampledCase) -> list[AuditSoFar]:
    """The case's current assignments and how far each audit has got: what replacing the case would close."""
    return [audit_so_far(a) for a in assignment_domain.live(sampled)]
