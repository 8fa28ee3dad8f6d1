"""Drawing a round's sample, its certificate, and replacements.

New draws are hashrank-v2: the population is frozen, then the draw is witnessed (``draw_witnessed``);
hashrank-v1 (``draw_sample``) stays for old rounds and fixtures.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import Population, eligible_population, ensure_open
from auditapp.domain.stratum_warning import blank_stratum_warning
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, Case, SampledCase
from auditapp.models.types import utcnow
from auditapp.sampling.certificate import (
    Witnessed,
    apply_replacement,
    build_certificate,
    certificate_json,
    next_replacement,
)
from auditapp.sampling.hashrank import SamplingError, new_seed, population_sha256
from auditapp.sampling.verify import verify_certificate
from auditapp.vocabulary import AuditState

#: The server's random value for a witnessed draw comes from ``secrets`` unless the demo loader fixes it (so the
#: demo tells the same story each time it is loaded). No request, form or command can reach this.
_demo_server_random: ContextVar[str | None] = ContextVar("auditapp_demo_server_random", default=None)


@contextmanager
def demo_server_random(value: str) -> Iterator[None]:
    """Within the block, witnessed draws use ``value`` as the server's random value: for the demo loader only."""
    token = _demo_server_random.set(value)
    try:
        yield
    finally:
        _demo_server_random.reset(token)


def is_locked(audit_round: AuditRound) -> bool:
    """A sample is locked once any auditor is assigned to it."""
    return any(s.assignments for s in audit_round.sampled)


def draw_sample(
    audit_round: AuditRound,
    *,
    size: int | None = None,
    seed: str | None = None,
    stratify_by: str | None = None,
    min_per_stratum: bool | None = None,
    exclude_within_months: int | None = None,
) -> dict[str, Any]:
    """Draw the round's sample with hashrank-v1 (an unwitnessed seed) and store it with its certificate.

    Kept for the demo's existing rounds and fixtures only: neither the web nor the CLI reaches it (they draw with
    ``draw_witnessed``, hashrank-v2, whose seed nobody can choose). Returns the certificate. A round is drawn once.
    Raises DomainError for an impossible request (size larger than the population, fewer places than strata with
    one-per-stratum, an empty population), or when the round was cancelled.
    """
    return _draw(
        audit_round,
        size=size,
        seed=seed or new_seed(),
        stratify_by=stratify_by,
        min_per_stratum=min_per_stratum,
        exclude_within_months=exclude_within_months,
    )


WITNESS_VALUE_MAX = 200
_CONTROL = frozenset(map(chr, (*range(32), 127)))


def _settings(audit_round: AuditRound) -> tuple[str, int]:
    return audit_round.stratify_by, audit_round.exclude_audited_within_months


def _eligible(audit_round: AuditRound) -> Population:
    stratify_by, months = _settings(audit_round)
    population = eligible_population(audit_round, stratify_by=stratify_by, exclude_within_months=months)
    if not population.eligible:
        raise DomainError("No cases are eligible: import the population or widen the round's filter", field="size")
    return population


def _fingerprint(pairs: list[tuple[str, str]]) -> str:
    try:
        return population_sha256(pairs)
    except SamplingError as error:
        raise DomainError(str(error)) from None


def _population_hash(audit_round: AuditRound) -> str:
    return _fingerprint(_eligible(audit_round).eligible)


_CHANGED_SINCE_FROZEN = (
    "The eligible population has changed since it was frozen: freeze it again and show the new fingerprint to the "
    "witness"
)


def freeze_population(audit_round: AuditRound) -> str:
    """Freeze the round's eligible population before a witnessed draw; return its fingerprint (hex SHA-256).

    Records who froze it and when, so the fingerprint can be shown to the witness before they choose their value.
    Freezing again before the draw replaces the record (each freeze is in the audit trail). Raises DomainError
    when the round was drawn or cancelled, or nothing is eligible.
    """
    ensure_open(audit_round)
    if audit_round.drawn_at is not None:
        raise DomainError("A sample has already been drawn for this round")
    fingerprint = _population_hash(audit_round)
    actor = current_actor()
    audit_round.frozen_at, audit_round.frozen_by = utcnow(), actor.email or "unknown"
    audit_round.frozen_population_sha256 = fingerprint
    db.session.flush()
    record_event(
        "population_frozen",
        object_type="round",
        object_id=audit_round.id,
        details={"population_sha256": fingerprint, "stratify_by": audit_round.stratify_by},
    )
    return fingerprint


def _clean(value: str | None, *, what: str, field: str, longest: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"Enter the {what}", field=field)
    if len(text) > longest:
        raise DomainError(f"The {what} must be {longest} characters or fewer", field=field)
    if _CONTROL.intersection(text):
        raise DomainError(f"The {what} must be on one line", field=field)
    return text


def draw_witnessed(
    audit_round: AuditRound,
    *,
    witness_name: str,
    witness_role: str,
    witness_value: str,
    size: int | None = None,
    min_per_stratum: bool | None = None,
) -> dict[str, Any]:
    """Draw the round's frozen population with hashrank-v2; return the certificate.

    The seed is derived from a random value the server draws now (``secrets.token_hex``), the value the named
    witness entered after seeing the frozen population's fingerprint, and that fingerprint; nobody can choose it.
    Raises DomainError when the population was not frozen or has changed since, a witness detail is missing, the
    round was drawn or cancelled, or the draw is impossible.
    """
    ensure_open(audit_round)
    if audit_round.drawn_at is not None:
        raise DomainError("A sample has already been drawn for this round", field="witness_value")
    name = _clean(witness_name, what="witness's name", field="witness_name", longest=120)
    role = _clean(witness_role, what="witness's role", field="witness_role", longest=120)
    value = _clean(witness_value, what="witness value", field="witness_value", longest=WITNESS_VALUE_MAX)
    if audit_round.frozen_at is None or audit_round.frozen_population_sha256 is None:
        raise DomainError("Freeze the population before the draw", field="witness_value")
    # The population is read once, for the draw and the check against the frozen fingerprint (see _draw).
    population = _eligible(audit_round)
    demo_value = _demo_server_random.get()
    witnessed = Witnessed(
        server_random=demo_value or secrets.token_hex(32),
        server_random_source="demo" if demo_value else "server",
        witness_value=value,
        witness_name=name,
        witness_role=role,
        frozen_by=audit_round.frozen_by or "unknown",
        frozen_at=audit_round.frozen_at,
    )
    return _draw(
        audit_round,
        size=size,
        seed=None,
        min_per_stratum=min_per_stratum,
        witnessed=witnessed,
        population=population,
        frozen_sha256=audit_round.frozen_population_sha256,
    )


def _draw(
    audit_round: AuditRound,
    *,
    size: int | None,
    seed: str | None,
    stratify_by: str | None = None,
    min_per_stratum: bool | None,
    exclude_within_months: int | None = None,
    witnessed: Witnessed | None = None,
    population: Population | None = None,
    frozen_sha256: str | None = None,
) -> dict[str, Any]:
    """Draw and store the sample; ``population``, when given, is the round's eligible population read just now
    with the round's own settings. With ``frozen_sha256`` the population must still have that fingerprint: it is
    checked against the certificate's, which is the same for every population that can be drawn (see
    ``population_sha256_of_sorted``), so the population is sorted and hashed once; when the draw fails the exact
    fingerprint decides which error to give, as when it was checked first."""
    ensure_open(audit_round)  # a cancelled round is never drawn (issue 13)
    if audit_round.drawn_at is not None:
        raise DomainError("A sample has already been drawn for this round", field="size")
    size = size or audit_round.sample_size
    stratify_by = stratify_by or audit_round.stratify_by
    min_one = audit_round.min_per_stratum if min_per_stratum is None else min_per_stratum
    months = audit_round.exclude_audited_within_months if exclude_within_months is None else exclude_within_months
    if population is None:
        population = eligible_population(audit_round, stratify_by=stratify_by, exclude_within_months=months)
    if not population.eligible:
        raise DomainError("No cases are eligible: import the population or widen the round's filter", field="size")
    actor, now = current_actor(), utcnow()
    warning = blank_stratum_warning(population, stratify_by)  # shown on the round page before the draw too
    try:
        certificate = build_certificate(
            population=population.eligible,
            size=size,
            seed=seed,
            drawn_by=actor.email or "unknown",
            drawn_at=now,
            population_filter={**audit_round.population_filter, "exclude_audited_within_months": months},
            exclusions=population.exclusions,
            min_per_stratum=min_one,
            stratify_by=None if stratify_by == "none" else stratify_by,
            witnessed=witnessed,
        )
    except SamplingError as error:
        if frozen_sha256 is not None and _fingerprint(population.eligible) != frozen_sha256:
            raise DomainError(_CHANGED_SINCE_FROZEN, field="witness_value") from None
        raise DomainError(str(error), field="size" if witnessed is None else "witness_value") from None
    if frozen_sha256 is not None and certificate["population_sha256"] != frozen_sha256:
        raise DomainError(_CHANGED_SINCE_FROZEN, field="witness_value")
    seed = certificate["seed"]
    audit_round.sample_size, audit_round.stratify_by, audit_round.min_per_stratum = size, stratify_by, min_one
    audit_round.exclude_audited_within_months = months
    audit_round.seed, audit_round.drawn_at, audit_round.drawn_by = seed, now, actor.email
    if witnessed is not None:  # with the certificate, in one UPDATE: a database rewrites the whole row each time
        audit_round.witnessed_by = f"{witnessed.witness_name} ({witnessed.witness_role})"[:254]
    audit_round.certificate = certificate_json(certificate)
    query = select(Case.case_ref, Case.id).where(Case.case_ref.in_(certificate["sample"]))
    case_ids = {ref: case_id for ref, case_id in db.session.execute(query)}
    for stratum, refs in certificate["sample_by_stratum"].items():
        for position, ref in enumerate(refs):
            audit_round.sampled.append(SampledCase(case_id=case_ids[ref], stratum=stratum, position=position))
    db.session.flush()
    details: dict[str, Any] = {
        "algorithm": f"hashrank-v{certificate['version']}",
        "seed": seed,
        "size": size,
        "stratify_by": stratify_by,
        "population_sha256": certificate["population_sha256"],
        "sample": certificate["sample"],
        "blank_stratum_percent": warning.percent if warning else None,
    }
    if witnessed is not None:
        details |= {
            "server_random": witnessed.server_random,
            "witness_value": witnessed.witness_value,
            "witness_name": witnessed.witness_name,
            "witness_role": witnessed.witness_role,
        }
    record_event("sample_drawn", object_type="round", object_id=audit_round.id, details=details)
    return certificate


def certificate_of(audit_round: AuditRound) -> dict[str, Any]:
    if not audit_round.certificate:
        raise DomainError("No sample has been drawn for this round yet")
    certificate: dict[str, Any] = json.loads(audit_round.certificate)
    return certificate


def proposed_replacement(audit_round: AuditRound, case_ref: str) -> str | None:
    """The case that would replace ``case_ref`` (the next on its stratum's list), or None when there is none."""
    try:
        return next_replacement(certificate_of(audit_round), case_ref)[1]
    except SamplingError:
        return None


def replace_case(audit_round: AuditRound, *, case_ref: str, reason: str) -> str:
    """Replace a sampled case by the next case on its stratum's replacement list; return the new case_ref.

    Only the next case on the list can come in, and the reason is recorded in the certificate. The audits of the
    case going out are closed as withdrawn (kept, with their answers, but counted nowhere) and its assignments not
    started are removed (each an audit event). Raises DomainError when the case is not in the current sample, the
    reason is missing, the list is used up or the round was cancelled.
    """
    ensure_open(audit_round)
    if not reason.strip():
        raise DomainError("Enter the reason for replacing the case", field="reason")
    actor = current_actor()
    try:
        updated = apply_replacement(
            certificate_of(audit_round),
            case_ref=case_ref,
            reason=reason.strip(),
            by=actor.email or "unknown",
            at=utcnow(),
        )
    except SamplingError as error:
        raise DomainError(str(error), field="reason") from None
    entry = updated["replacement_log"][-1]
    incoming_ref: str = entry["case_ref_in"]
    # Looked up before anything changes: retention deletes closed cases that were never sampled, and the ones on a
    # replacement list never were.
    incoming = db.session.scalar(select(Case).where(Case.case_ref == incoming_ref))
    if incoming is None:
        raise DomainError(f"Case {incoming_ref}, the next on the replacement list, is no longer in the population")
    going = next(s for s in audit_round.sampled if s.case.case_ref == case_ref and not s.replaced)
    for assignment in list(going.assignments):
        withdraw_assignment(assignment, reason=f"case replaced: {reason.strip()}")
    going.replaced, going.replaced_reason = True, reason.strip()
    audit_round.sampled.append(SampledCase(case_id=incoming.id, stratum=entry["stratum"], position=going.position))
    audit_round.certificate = certificate_json(updated)
    db.session.flush()
    record_event("sample_case_replaced", object_type="round", object_id=audit_round.id, details=entry)
    return incoming_ref


def remove_assignment_row(assignment: Assignment, *, reason: str) -> None:
    record_event(
        "assignment_removed",
        object_type="assignment",
        object_id=assignment.id,
        details={
            "auditor_id": assignment.auditor_id,
            "case_ref": assignment.sampled_case.case.case_ref,
            "reason": reason,
        },
    )
    db.session.delete(assignment)
    db.session.flush()


def person_details(user_id: int | None) -> dict[str, Any] | None:
    """An auditor as the trail names them: id, name and email (the name and email as they were at the time)."""
    from auditapp.models import User

    user = db.session.get(User, user_id) if user_id is not None else None
    return {"id": user.id, "name": user.name, "email": user.email} if user else None


def withdraw_assignment(assignment: Assignment, *, reason: str) -> AgencyAudit | None:
    """Close ``assignment``: an audit not started is simply removed; a started one (in progress, submitted,
    returned or moderated) is closed as withdrawn, its answers kept, so it counts nowhere and its auditor no longer
    reaches it. Returns the withdrawn audit (None when the assignment was removed). Audited either way."""
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    if audit is None:
        remove_assignment_row(assignment, reason=reason)
        return None
    if audit.state == AuditState.WITHDRAWN:
        return audit
    before = audit.state
    audit.state = AuditState.WITHDRAWN
    db.session.flush()
    record_event(
        "audit_withdrawn",
        object_type="agency_audit",
        object_id=audit.id,
        details={
            "round_id": assignment.sampled_case.round_id,
            "case_ref": assignment.sampled_case.case.case_ref,
            "assignment_id": assignment.id,
            "auditor": person_details(assignment.auditor_id),
            "state_before": str(before),
            "answers_kept": len(audit.answers),
            "reason": reason,
        },
    )
    return audit


def verify(certificate: dict[str, Any]) -> list[str]:
    """The differences found when recomputing ``certificate`` (empty when it verifies)."""
    return verify_certificate(certificate)
