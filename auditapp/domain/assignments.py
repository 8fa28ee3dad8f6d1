"""Assigning auditors to a round's sampled cases, within the conflict-of-interest rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from auditapp.assignment.auto import AssignmentPlan, PlannedAssignment, auto_assign, slots_for
from auditapp.assignment.rules import AuditorInfo, Breach, CaseInfo, RoundOptions, Slot, check
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.sampling import remove_assignment_row
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Assignment, AuditRound, Role, SampledCase, Team, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import AuditorType, AuditState, RoundMode

DEFAULT_WEEKS = 4


def options_for(audit_round: AuditRound) -> RoundOptions:
    return RoundOptions(
        peers_not_from_case_locality=audit_round.peers_not_from_case_locality,
        max_load=audit_round.max_load,
        agencies=tuple(audit_round.agencies),
        lead_agency=audit_round.lead_agency,
    )


def _case_info(sampled: SampledCase, audit_round: AuditRound) -> CaseInfo:
    case = sampled.case
    manager = case.team.manager if case.team and case.team.manager else None
    agencies = set(audit_round.agencies) or ({case.agency.name} if case.agency else set())
    return CaseInfo(
        case_ref=case.case_ref,
        team=case.team_name,
        locality=case.locality_name,
        allocated_worker=case.worker,
        team_manager=manager.email if manager else None,
        agencies_involved=frozenset(agencies),
    )


def _auditor_infos() -> list[AuditorInfo]:
    managers: dict[int, set[str]] = {}
    for team in db.session.scalars(select(Team).where(Team.manager_id.is_not(None))):
        assert team.manager_id is not None, "the query selects teams with a manager only"
        managers.setdefault(team.manager_id, set()).add(team.name)
    auditors = db.session.scalars(select(User).where(User.role == Role.AUDITOR).order_by(User.id))
    return [
        AuditorInfo(
            id=u.id,
            name=u.name,
            email=u.email,
            agency=u.agency.name if u.agency else None,
            auditor_type=u.auditor_type or AuditorType.PEER,
            team=u.team.name if u.team else None,
            locality=u.team.locality.name if u.team and u.team.locality else None,
            active=u.active,
            manages_teams=frozenset(managers.get(u.id, ())),
        )
        for u in auditors
    ]


def _current(audit_round: AuditRound) -> list[SampledCase]:
    return [s for s in audit_round.sampled if not s.replaced]


def loads(audit_round: AuditRound) -> dict[int, int]:
    counts: dict[int, int] = {}
    for sampled in _current(audit_round):
        for assignment in sampled.assignments:
            counts[assignment.auditor_id] = counts.get(assignment.auditor_id, 0) + 1
    return counts


def _due(audit_round: AuditRound) -> date:
    return audit_round.due_date or (utcnow().date() + timedelta(weeks=DEFAULT_WEEKS))


def _add(
    sampled: SampledCase,
    *,
    auditor_id: int,
    agency: str | None,
    lead: bool,
    due: date,
    breaches: Sequence[Breach] = (),
    justification: str | None = None,
    how: str,
) -> Assignment:
    assignment = Assignment(
        auditor_id=auditor_id,
        agency_name=agency,
        lead=lead,
        due_date=due,
        assigned_by_id=current_actor().user_id,
        breaches=[b.code for b in breaches],
        justification=justification,
    )
    sampled.assignments.append(assignment)
    db.session.flush()
    record_event(
        "assignment_made",
        object_type="assignment",
        object_id=assignment.id,
        details={
            "round_id": sampled.round_id,
            "case_ref": sampled.case.case_ref,
            "auditor_id": auditor_id,
            "agency": agency,
            "lead": lead,
            "how": how,
            "breaches": [b.code for b in breaches],
            "justification": justification,
        },
    )
    return assignment


def assign_automatically(audit_round: AuditRound) -> AssignmentPlan:
    """Fill every open place of the round's current sample without breaking a rule, balancing load.

    Deterministic for the same round. Existing assignments are kept. Returns the plan, with the places it could
    not fill and why. Raises DomainError when nothing has been sampled.
    """
    current = _current(audit_round)
    if not current:
        raise DomainError("Draw the sample before assigning auditors")
    existing = [
        PlannedAssignment(s.case.case_ref, a.auditor_id, a.agency_name, a.lead) for s in current for a in s.assignments
    ]
    try:
        plan = auto_assign(
            [_case_info(s, audit_round) for s in current],
            _auditor_infos(),
            mode=RoundMode(audit_round.mode),
            options=options_for(audit_round),
            existing=existing,
        )
    except ValueError as error:
        raise DomainError(str(error)) from None
    by_ref = {s.case.case_ref: s for s in current}
    already = {(p.case_ref, p.auditor_id) for p in existing}
    for planned in plan.assignments:
        if (planned.case_ref, planned.auditor_id) not in already:
            _add(
                by_ref[planned.case_ref],
                auditor_id=planned.auditor_id,
                agency=planned.agency,
                lead=planned.lead,
                due=_due(audit_round),
                how="automatic",
            )
    return plan


@dataclass(frozen=True)
class ManualCheck:
    slot: Slot
    breaches: list[Breach]


def check_manual(
    audit_round: AuditRound, sampled: SampledCase, *, auditor_id: int, agency: str | None, lead: bool = False
) -> ManualCheck:
    """The conflict rules a manual assignment would break (shown before it is made)."""
    auditor = next((a for a in _auditor_infos() if a.id == auditor_id), None)
    if auditor is None:
        raise DomainError("Select an auditor from the list", field="auditor_id")
    case = _case_info(sampled, audit_round)
    slots = slots_for(case, RoundMode(audit_round.mode), options_for(audit_round))
    slot = next((s for s in slots if (s.agency or None) == (agency or None)), None) or Slot(case.case_ref, agency)
    breaches = check(
        case,
        auditor,
        slot=Slot(slot.case_ref, slot.agency, slot.auditor_type, lead),
        options=options_for(audit_round),
        current_load=loads(audit_round).get(auditor_id, 0),
        already_on_case=frozenset(a.auditor_id for a in sampled.assignments),
    )
    return ManualCheck(slot, breaches)


def assign_manually(
    audit_round: AuditRound,
    sampled: SampledCase,
    *,
    auditor_id: int,
    agency: str | None,
    lead: bool = False,
    justification: str | None = None,
) -> Assignment:
    """Assign an auditor by hand. Breaking a conflict rule needs a written justification, recorded with it.

    Raises DomainError listing the rules broken when there is no justification.
    """
    result = check_manual(audit_round, sampled, auditor_id=auditor_id, agency=agency, lead=lead)
    hard = [b for b in result.breaches if b.code == "ALREADY_ON_CASE"]
    if hard:
        raise DomainError(hard[0].detail, field="auditor_id")
    if result.breaches and not (justification or "").strip():
        names = "; ".join(f"{b.title}: {b.detail}" for b in result.breaches)
        raise DomainError(
            f"This assignment breaks a rule ({names}). Enter a justification to go ahead", field="justification"
        )
    if lead:
        for other in sampled.assignments:
            other.lead = False
    return _add(
        sampled,
        auditor_id=auditor_id,
        agency=agency,
        lead=lead,
        due=_due(audit_round),
        breaches=result.breaches,
        justification=(justification or "").strip() or None,
        how="manual",
    )


def unassign(assignment: Assignment, *, reason: str) -> None:
    """Remove an assignment (audited)."""
    remove_assignment_row(assignment, reason=reason or "removed by the coordinator")


def assignments_for_auditor(user_id: int) -> list[Assignment]:
    """The auditor's current assignments, soonest due first: all an auditor sees of the population."""
    query = (
        select(Assignment)
        .join(SampledCase)
        .where(Assignment.auditor_id == user_id, SampledCase.replaced.is_(False))
        .order_by(Assignment.due_date, Assignment.id)
    )
    return list(db.session.scalars(query))


def open_assignments(user_id: int) -> list[Assignment]:
    """Assignments the auditor has not finished (not started, in progress or returned): to reassign when they leave."""
    return [
        a
        for a in assignments_for_auditor(user_id)
        if a.audit is None or a.audit.state in (AuditState.NOT_STARTED, AuditState.IN_PROGRESS, AuditState.RETURNED)
    ]


def active_auditors() -> list[User]:
    query = select(User).where(User.role == Role.AUDITOR, User.active.is_(True)).order_by(User.name)
    return list(db.session.scalars(query))


def auditor_label(user: User) -> str:
    kind = user.auditor_type.label.lower() if user.auditor_type else "auditor"
    parts = (user.agency.name if user.agency else None, user.team.name if user.team else None)
    where = ", ".join(x for x in parts if x)
    return f"{user.name} ({kind}{', ' + where if where else ''})"
