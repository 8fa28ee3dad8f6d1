"""What the round page shows: sample-size guidance, the sample with its assignments, and progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import func, select

from auditapp.assignment.rules import RULES, Rule
from auditapp.domain.audits import EDITABLE, CaseProgress
from auditapp.domain.rounds import Population, eligible_population
from auditapp.domain.sampling import certificate_of, is_locked, proposed_replacement
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, Finding, PublishedReport, SampledCase
from auditapp.sampling.certificate import next_replacement
from auditapp.sampling.hashrank import SamplingError, allocate
from auditapp.stats import wilson_interval
from auditapp.vocabulary import AuditState


@dataclass
class Guidance:
    """Sample-size guidance: the population per stratum, the allocation a draw would make, and what n can claim."""

    population: Population
    allocation: dict[str, int] | None
    allocation_error: str | None
    example_interval: tuple[int, int] | None

    @property
    def claims(self) -> str:
        return (
            "A sample this small is qualitative: it shows what practice looks like in these children's cases "
            "and why, not how common something is across the population."
        )


def guidance(audit_round: AuditRound) -> Guidance:
    population = eligible_population(audit_round)
    strata, n = population.strata(), audit_round.sample_size
    allocation, error = None, None
    if strata:
        try:
            allocation = allocate(strata, n, min_per_stratum=audit_round.min_per_stratum)
        except SamplingError as problem:
            error = str(problem)
    interval = wilson_interval(k=n // 2, n=n) if n else None
    example = (round(interval[0] * 100), round(interval[1] * 100)) if interval else None
    return Guidance(population, allocation, error, example)


@dataclass
class SampleRow:
    sampled: SampledCase
    replacement: str | None


def sample_rows(audit_round: AuditRound) -> list[SampleRow]:
    """The current sample, each with the case that would replace it (the certificate is read once)."""
    current = [s for s in audit_round.sampled if not s.replaced]
    if not current:
        return []
    certificate = certificate_of(audit_round)

    def replacement(case_ref: str) -> str | None:
        try:
            return next_replacement(certificate, case_ref)[1]
        except SamplingError:
            return None

    return [SampleRow(s, replacement(s.case.case_ref)) for s in current]


@dataclass(frozen=True)
class Progress:
    """How far a round has got. Cases are the current sample; audits are its assignments, less withdrawn ones.
    ``submitted`` counts every audit that reached submission (moderated ones too); ``waiting`` those not yet
    moderated; ``overdue`` those past their due date and not submitted."""

    sampled: int = 0
    assigned: int = 0
    audits: int = 0
    started: int = 0
    submitted: int = 0
    moderated: int = 0
    waiting: int = 0
    overdue: int = 0

    @property
    def unassigned(self) -> int:
        return self.sampled - self.assigned

    @property
    def outstanding(self) -> int:
        return self.audits - self.submitted


def _count(places: Iterable[tuple[int, bool, date | None, str | None]], today: date) -> Progress:
    """Count (sampled case id, has an assignment, due date, audit state or None when not started) rows."""
    cases: set[int] = set()
    assigned: set[int] = set()
    audits = started = submitted = moderated = overdue = 0
    for case_id, has_assignment, due, state in places:
        cases.add(case_id)
        if not has_assignment or state == AuditState.WITHDRAWN:
            continue
        assigned.add(case_id)
        state = state or AuditState.NOT_STARTED
        audits += 1
        started += state != AuditState.NOT_STARTED
        submitted += state in (AuditState.SUBMITTED, AuditState.MODERATED)
        moderated += state == AuditState.MODERATED
        overdue += bool(due and due < today and state in EDITABLE)
    return Progress(len(cases), len(assigned), audits, started, submitted, moderated, submitted - moderated, overdue)


def progress(cases: list[CaseProgress], *, today: date) -> Progress:
    """The round page's counts, from :func:`auditapp.domain.audits.round_progress`."""
    places: list[tuple[int, bool, date | None, str | None]] = []
    for c in cases:
        places += [(c.sampled.id, True, a.due_date, audit.state if audit else None) for a, audit in c.audits]
        if not c.audits:
            places.append((c.sampled.id, False, None, None))
    return _count(places, today)


def progress_by_round(rounds: list[AuditRound], *, today: date) -> dict[int, Progress]:
    """Each round's counts for the rounds list, in one query."""
    ids = [r.id for r in rounds]
    rows = db.session.execute(
        select(SampledCase.round_id, SampledCase.id, Assignment.id, Assignment.due_date, AgencyAudit.state)
        .outerjoin(Assignment, Assignment.sampled_case_id == SampledCase.id)
        .outerjoin(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .where(SampledCase.round_id.in_(ids), SampledCase.replaced.is_(False))
    ).all()
    by_round: dict[int, list[tuple[int, bool, date | None, str | None]]] = {i: [] for i in ids}
    for round_id, case_id, assignment_id, due, state in rows:
        by_round[round_id].append((case_id, assignment_id is not None, due, state))
    return {round_id: _count(places, today) for round_id, places in by_round.items()}


Target = Literal["draw", "assign", "moderate", "chase", "wait", "findings", "publish"]


@dataclass(frozen=True)
class NextStep:
    """The next thing the coordinator has to do on a round, in words, and where on the site it is done."""

    text: str
    target: Target | None = None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def next_step(audit_round: AuditRound, counts: Progress) -> NextStep:
    """What the coordinator does next: draw, assign, moderate, chase, write findings, publish (or nothing)."""
    if audit_round.cancelled_at is not None:
        return NextStep("Nothing: the round was cancelled")
    if audit_round.drawn_at is None:
        return NextStep("Draw the sample", "draw")
    if counts.unassigned:
        return NextStep(f"Assign auditors to {_plural(counts.unassigned, 'case', 'cases')}", "assign")
    if counts.waiting:
        return NextStep(f"Moderate {_plural(counts.waiting, 'audit', 'audits')}", "moderate")
    if counts.overdue:
        return NextStep(f"Chase {_plural(counts.overdue, 'overdue audit', 'overdue audits')}", "chase")
    if counts.outstanding:
        return NextStep(f"Wait for {_plural(counts.outstanding, 'audit', 'audits')} to be submitted", "wait")
    if not _has(Finding, audit_round):
        return NextStep("Write findings", "findings")
    if not _has(PublishedReport, audit_round):
        return NextStep("Publish the report", "publish")
    return NextStep("Nothing: the report is published. Follow the action plan.")


def _has(model: type[Finding] | type[PublishedReport], audit_round: AuditRound) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(model).where(model.round_id == audit_round.id)))


def replaced_rows(audit_round: AuditRound) -> list[SampledCase]:
    return [s for s in audit_round.sampled if s.replaced]


def rules() -> list[Rule]:
    return list(RULES)


__all__ = [
    "Guidance",
    "NextStep",
    "Progress",
    "SampleRow",
    "guidance",
    "is_locked",
    "next_step",
    "progress",
    "progress_by_round",
    "proposed_replacement",
    "replaced_rows",
    "rules",
    "sample_rows",
]
