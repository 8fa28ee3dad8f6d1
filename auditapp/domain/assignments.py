"""Assigning auditors to a round's sampled cases, within the conflict-of-interest rules.

An assignment whose audit was withdrawn (its case replaced, its auditor changed with "start again", or removed
after it started) stays, with its answers, for the record; it holds no place, counts towards no load and its
auditor no longer reaches it. :func:`is_withdrawn` and :func:`live` say which are which.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select

from auditapp.assignment.auto import (
    AssignmentPlan,
    LoadShortfall,
    PlannedAssignment,
    auto_assign,
    load_shortfalls,
    slots_for,
)
from auditapp.assignment.rules import RULES, AuditorInfo, Breach, CaseInfo, RoundOptions, Rule, Slot, check
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import ensure_open
from auditapp.domain.sampling import withdraw_assignment
from auditapp.domain.telling import audit_assigned
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, Role, SampledCase, Team, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import AuditorType, AuditState, RoundMode

DEFAULT_WEEKS = 4


def is_withdrawn(assignment: Assignment) -> bool:
    """True when the assignment's audit was withdrawn: it is kept for the record and holds no place."""
    return assignment.audit is not None and assignment.audit.state == AuditState.WITHDRAWN


def live(sampled: SampledCase) -> list[Assignment]:
    """The case's assignments that hold a place (not withdrawn)."""
    return [a for a in sampled.assignments if not is_withdrawn(a)]


def load_limit(audit_round: AuditRound, default_max_load: int | None) -> int | None:
    """The most cases one auditor may take in the round: the round's own limit, else ``default_max_load``."""
    return audit_round.max_load if audit_round.max_load is not None else default_max_load


def options_for(audit_round: AuditRound, default_max_load: int | None = None) -> RoundOptions:
    return RoundOptions(
        peers_not_from_case_locality=audit_round.peers_not_from_case_locality,
        max_load=load_limit(audit_round, default_max_load),
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
        for assignment in live(sampled):
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
    audit_assigned(assignment)  # issue 16: its auditor is told
    return assignment


@dataclass(frozen=True)
class AuditorLoad:
    """One auditor's cases in the round before and after a proposed automatic assignment."""

    auditor: User
    before: int
    after: int


@dataclass(frozen=True)
class ProposedPlace:
    sampled: SampledCase
    auditor: User
    agency: str | None
    lead: bool


@dataclass
class AutoProposal:
    """What automatic assignment would do, for the coordinator to check before it is applied."""

    plan: AssignmentPlan
    limit: int | None
    limit_is_the_rounds: bool
    places: list[ProposedPlace]
    loads: list[AuditorLoad]
    shortfalls: list[LoadShortfall]
    unfilled_cases: dict[str, SampledCase]
    rules: list[Rule] = field(default_factory=lambda: list(RULES))

    @property
    def fingerprint(self) -> str:
        """A digest of the proposal: confirming applies it only if the same proposal is computed again."""
        body = [[p.case_ref, p.auditor_id, p.agency, p.lead] for p in self.plan.assignments]
        return hashlib.sha256(json.dumps([self.limit, body]).encode()).hexdigest()


class ProposalChanged(DomainError):
    """The proposal computed at confirmation differs from the one the coordinator saw: nothing was applied."""


def _plan(audit_round: AuditRound, cases: list[SampledCase], limit: int | None) -> AssignmentPlan:
    """Plan the open places of ``cases``; every live assignment of the round counts towards the loads."""
    current = _current(audit_round)
    existing = [
        PlannedAssignment(s.case.case_ref, a.auditor_id, a.agency_name, a.lead) for s in current for a in live(s)
    ]
    barred = [(s.case.case_ref, a.auditor_id) for s in current for a in s.assignments if is_withdrawn(a)]
    options = options_for(audit_round)
    try:
        return auto_assign(
            [_case_info(s, audit_round) for s in cases],
            _auditor_infos(),
            mode=RoundMode(audit_round.mode),
            options=RoundOptions(options.peers_not_from_case_locality, limit, options.agencies, options.lead_agency),
            existing=existing,
            barred=barred,
        )
    except ValueError as error:
        raise DomainError(str(error)) from None


def propose_automatic(audit_round: AuditRound, *, default_max_load: int | None = None) -> AutoProposal:
    """What automatic assignment would do now, changing nothing: the new places, each auditor's load before and
    after, the limit and rules applied, and the places the limit leaves open (by agency).

    Raises DomainError when nothing has been sampled or the round was cancelled.
    """
    ensure_open(audit_round)
    current = _current(audit_round)
    if not current:
        raise DomainError("Draw the sample before assigning auditors")
    limit = load_limit(audit_round, default_max_load)
    plan = _plan(audit_round, current, limit)
    by_ref = {s.case.case_ref: s for s in current}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.role == Role.AUDITOR))}
    before = loads(audit_round)
    after = dict(before)
    for planned in plan.assignments:
        after[planned.auditor_id] = after.get(planned.auditor_id, 0) + 1
    load_rows = [
        AuditorLoad(users[user_id], before.get(user_id, 0), count)
        for user_id, count in after.items()
        if user_id in users
    ]
    load_rows.sort(key=lambda row: (-row.after, row.auditor.name))
    return AutoProposal(
        plan=plan,
        limit=limit,
        limit_is_the_rounds=audit_round.max_load is not None,
        places=[ProposedPlace(by_ref[p.case_ref], users[p.auditor_id], p.agency, p.lead) for p in plan.assignments],
        loads=load_rows,
        shortfalls=load_shortfalls(plan, limit),
        unfilled_cases={u.case_ref: by_ref[u.case_ref] for u in plan.unfilled if u.case_ref in by_ref},
    )


def preview_automatic(audit_round: AuditRound, *, default_max_load: int | None = None) -> AutoProposal:
    """:func:`propose_automatic` for the coordinator's preview page, which shows case references and auditors:
    the view is an audit event. Raises DomainError as that does."""
    proposal = propose_automatic(audit_round, default_max_load=default_max_load)
    record_event(
        "assignment_proposal_viewed",
        object_type="round",
        object_id=audit_round.id,
        details={"places": len(proposal.places), "unfilled": len(proposal.plan.unfilled), "limit": proposal.limit},
    )
    return proposal


def assign_automatically(
    audit_round: AuditRound, *, default_max_load: int | None = None, fingerprint: str | None = None
) -> AssignmentPlan:
    """Fill every open place of the round's current sample without breaking a rule, balancing load.

    No auditor is given more cases than the round's limit (else ``default_max_load``; None: no limit): places
    that would need it stay unfilled. Deterministic for the same round; existing assignments are kept. With
    ``fingerprint`` (from :attr:`AutoProposal.fingerprint`) the proposal is computed again and applied only if it
    is the same, else ProposalChanged. Returns the plan, with the places it could not fill and why. Raises
    DomainError when nothing has been sampled or the round was cancelled.
    """
    proposal = propose_automatic(audit_round, default_max_load=default_max_load)
    if fingerprint is not None and fingerprint != proposal.fingerprint:
        raise ProposalChanged(
            "The proposal has changed since you saw it (auditors or assignments changed in the meantime): "
            "check the new proposal, then confirm it"
        )
    for place in proposal.places:
        _add(
            place.sampled,
            auditor_id=place.auditor.id,
            agency=place.agency,
            lead=place.lead,
            due=_due(audit_round),
            how="automatic",
        )
    return proposal.plan


def assign_replacement(
    audit_round: AuditRound, sampled: SampledCase, *, default_max_load: int | None = None
) -> AssignmentPlan:
    """Fill the places of one case (a replacement just brought in) automatically, within the rules and the load
    limit; the places nobody can take are returned in the plan's ``unfilled`` (the case then needs an auditor)."""
    plan = _plan(audit_round, [sampled], load_limit(audit_round, default_max_load))
    mine = tuple(p for p in plan.assignments if p.case_ref == sampled.case.case_ref)
    for planned in mine:
        _add(
            sampled,
            auditor_id=planned.auditor_id,
            agency=planned.agency,
            lead=planned.lead,
            due=_due(audit_round),
            how="automatic, for a replacement case",
        )
    unfilled = tuple(u for u in plan.unfilled if u.case_ref == sampled.case.case_ref)
    return AssignmentPlan(assignments=mine, unfilled=unfilled, loads=plan.loads)


@dataclass(frozen=True)
class ManualCheck:
    slot: Slot
    breaches: list[Breach]


def check_manual(
    audit_round: AuditRound,
    sampled: SampledCase,
    *,
    auditor_id: int,
    agency: str | None,
    lead: bool = False,
    default_max_load: int | None = None,
    replacing: Assignment | None = None,
) -> ManualCheck:
    """The conflict rules a manual assignment would break (shown before it is made).

    With ``replacing``, the check is for taking over that assignment's place: its auditor's place is not counted.
    """
    auditor = next((a for a in _auditor_infos() if a.id == auditor_id), None)
    if auditor is None:
        raise DomainError("Select an auditor from the list", field="auditor_id")
    case = _case_info(sampled, audit_round)
    options = options_for(audit_round, default_max_load)
    slots = slots_for(case, RoundMode(audit_round.mode), options)
    slot = next((s for s in slots if (s.agency or None) == (agency or None)), None) or Slot(case.case_ref, agency)
    breaches = check(
        case,
        auditor,
        slot=Slot(slot.case_ref, slot.agency, slot.auditor_type, lead),
        options=options,
        current_load=loads(audit_round).get(auditor_id, 0),
        # Withdrawn ones too: an auditor whose audit of the case was withdrawn cannot hold a second place on it.
        already_on_case=frozenset(a.auditor_id for a in sampled.assignments if a is not replacing),
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
    default_max_load: int | None = None,
) -> Assignment:
    """Assign an auditor by hand. Breaking a conflict rule needs a written justification, recorded with it.

    Raises DomainError listing the rules broken when there is no justification.
    """
    ensure_open(audit_round)
    result = check_manual(
        audit_round, sampled, auditor_id=auditor_id, agency=agency, lead=lead, default_max_load=default_max_load
    )
    require_justification(result.breaches, justification)
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


def require_justification(breaches: Sequence[Breach], justification: str | None) -> None:
    """Refuse an auditor already on the case outright, and any other broken rule without a justification."""
    hard = [b for b in breaches if b.code == "ALREADY_ON_CASE"]
    if hard:
        raise DomainError(hard[0].detail, field="auditor_id")
    if breaches and not (justification or "").strip():
        names = "; ".join(f"{b.title}: {b.detail}" for b in breaches)
        raise DomainError(
            f"This assignment breaks a rule ({names}). Enter a justification to go ahead", field="justification"
        )


def unassign(assignment: Assignment, *, reason: str) -> None:
    """Take an auditor off a case (audited): removed if not started, else withdrawn with its answers kept."""
    withdraw_assignment(assignment, reason=reason or "removed by the coordinator")


def assignments_for_auditor(user_id: int) -> list[Assignment]:
    """The auditor's current assignments, soonest due first: all an auditor sees of the population."""
    query = (
        select(Assignment)
        .join(SampledCase)
        .outerjoin(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .where(Assignment.auditor_id == user_id, SampledCase.replaced.is_(False))
        .where(or_(AgencyAudit.id.is_(None), AgencyAudit.state != AuditState.WITHDRAWN))
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
