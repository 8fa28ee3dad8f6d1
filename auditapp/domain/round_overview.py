"""What the round page shows: sample-size guidance, the sample with its assignments, and progress."""

from __future__ import annotations

from dataclasses import dataclass

from auditapp.assignment.rules import RULES, Rule
from auditapp.domain.rounds import Population, eligible_population
from auditapp.domain.sampling import certificate_of, is_locked, proposed_replacement
from auditapp.models import AuditRound, SampledCase
from auditapp.sampling.certificate import next_replacement
from auditapp.sampling.hashrank import SamplingError, allocate
from auditapp.stats import wilson_interval


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


def replaced_rows(audit_round: AuditRound) -> list[SampledCase]:
    return [s for s in audit_round.sampled if s.replaced]


def rules() -> list[Rule]:
    return list(RULES)


__all__ = [
    "Guidance",
    "SampleRow",
    "guidance",
    "is_locked",
    "proposed_replacement",
    "replaced_rows",
    "rules",
    "sample_rows",
]
