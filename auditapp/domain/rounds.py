"""Audit rounds: creating them, and the eligible population a round's sample is drawn from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select

from auditapp.domain.errors import DomainError, NotFound
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY, available_tool
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import MODES, STRATIFY_FIELDS, AuditRound, Case, RoundExclusion, SampledCase
from auditapp.models.types import utcnow
from auditapp.tools import tool_fingerprint
from auditapp.vocabulary import RoundMode

NOT_RECORDED = "Not recorded"
STRATUM_COLUMN = {
    "locality": Case.locality_name,
    "team": Case.team_name,
    "status": Case.status,
    "agency": Case.agency_name,
}
FILTER_KEYS = ("statuses", "localities", "teams", "agencies")


@dataclass
class RoundSettings:
    """What a coordinator chooses when creating a round."""

    name: str
    theme: str | None = None
    mode: str = RoundMode.INDEPENDENT
    statuses: list[str] = field(default_factory=list)
    localities: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    agencies_filter: list[str] = field(default_factory=list)
    open_from: date | None = None
    open_to: date | None = None
    sample_size: int = 12
    stratify_by: str = "none"
    min_per_stratum: bool = False
    exclude_audited_within_months: int = 12
    peers_not_from_case_locality: bool = False
    max_load: int | None = None
    agencies: list[str] = field(default_factory=list)
    lead_agency: str | None = None
    due_date: date | None = None
    named_exclusions: list[tuple[str, str]] = field(default_factory=list)
    tool_key: str = DEFAULT_TOOL_KEY
    tool_version: int | None = None  # None: the newest version available when the round is created


def _check(settings: RoundSettings) -> None:
    if not settings.name.strip():
        raise DomainError("Enter a name for the round", field="name")
    if settings.mode not in MODES:
        raise DomainError(f"Choose the audit mode: {', '.join(MODES)}", field="mode")
    if settings.stratify_by not in STRATIFY_FIELDS:
        raise DomainError(f"Choose how to stratify: {', '.join(STRATIFY_FIELDS)}", field="stratify_by")
    if settings.sample_size < 1:
        raise DomainError("The sample size must be 1 or more", field="sample_size")
    if settings.open_from and settings.open_to and settings.open_from > settings.open_to:
        raise DomainError("The start of the date window must be before its end", field="open_from")
    if settings.mode == RoundMode.MULTI_AGENCY and len(settings.agencies) < 2:
        raise DomainError("Choose at least two agencies for a multi-agency round", field="agencies")
    if db.session.scalar(select(AuditRound.id).where(func.lower(AuditRound.name) == settings.name.strip().lower())):
        raise DomainError("A round with this name already exists", field="name")
    for case_ref, reason in settings.named_exclusions:
        if not reason.strip():
            raise DomainError(f"Give the reason for excluding case {case_ref}", field="exclusions")


def create_round(settings: RoundSettings, *, created_by_id: int | None) -> AuditRound:
    """Create a round from ``settings``. Raises DomainError naming the field at fault. Audited."""
    _check(settings)
    population_filter = {
        "statuses": sorted(settings.statuses),
        "localities": sorted(settings.localities),
        "teams": sorted(settings.teams),
        "agencies": sorted(settings.agencies_filter),
        "open_from": settings.open_from.isoformat() if settings.open_from else None,
        "open_to": settings.open_to.isoformat() if settings.open_to else None,
    }
    audit_round = AuditRound(
        name=settings.name.strip(),
        theme=(settings.theme or "").strip() or None,
        mode=settings.mode,
        population_filter=population_filter,
        sample_size=settings.sample_size,
        stratify_by=settings.stratify_by,
        min_per_stratum=settings.min_per_stratum,
        exclude_audited_within_months=settings.exclude_audited_within_months,
        peers_not_from_case_locality=settings.peers_not_from_case_locality,
        max_load=settings.max_load,
        agencies=sorted(settings.agencies),
        lead_agency=settings.lead_agency,
        due_date=settings.due_date,
        created_by_id=created_by_id,
        exclusions=[
            RoundExclusion(case_ref=ref.strip(), reason=reason.strip())
            for ref, reason in dict(settings.named_exclusions).items()
        ],
    )
    _pin_tool(audit_round, settings)
    db.session.add(audit_round)
    db.session.flush()
    record_event(
        "round_created",
        object_type="round",
        object_id=audit_round.id,
        details={
            "name": audit_round.name,
            "mode": audit_round.mode,
            "filter": population_filter,
            "exclusions": [[e.case_ref, e.reason] for e in audit_round.exclusions],
        },
    )
    return audit_round


def _pin_tool(audit_round: AuditRound, settings: RoundSettings) -> None:
    """Pin the audit tool version now: later versions never change this round."""
    tool = available_tool(key=settings.tool_key, version=settings.tool_version)
    audit_round.tool_key, audit_round.tool_version = tool.key, tool.version
    audit_round.tool_fingerprint = tool_fingerprint(tool)


def get_round(round_id: int) -> AuditRound:
    audit_round = db.session.get(AuditRound, round_id)
    if audit_round is None:
        raise NotFound("Round not found")
    return audit_round


def list_rounds() -> list[AuditRound]:
    return list(db.session.scalars(select(AuditRound).order_by(AuditRound.id.desc())))


_Row = TypeVarTuple("_Row")


def _filtered(query: Select[*_Row], population_filter: dict[str, Any]) -> Select[*_Row]:
    for key, column in zip(
        FILTER_KEYS, (Case.status, Case.locality_name, Case.team_name, Case.agency_name), strict=True
    ):
        if population_filter.get(key):
            query = query.where(column.in_(population_filter[key]))
    open_from, open_to = population_filter.get("open_from"), population_filter.get("open_to")
    if open_to:  # open during the window: referred by its end, not closed before its start
        query = query.where((Case.referral_date.is_(None)) | (Case.referral_date <= date.fromisoformat(open_to)))
    if open_from:
        query = query.where((Case.closure_date.is_(None)) | (Case.closure_date >= date.fromisoformat(open_from)))
    return query


@dataclass
class Population:
    """A round's eligible population as (case_ref, stratum) pairs, and the exclusions with their reasons."""

    eligible: list[tuple[str, str]]
    exclusions: list[tuple[str, str]]
    matched: int

    def strata(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for _ref, stratum in self.eligible:
            sizes[stratum] = sizes.get(stratum, 0) + 1
        return dict(sorted(sizes.items()))


def recently_sampled(*, months: int, today: date | None = None, exclude_round_id: int | None = None) -> dict[str, str]:
    """Case refs sampled in any round drawn in the last ``months`` months, with the reason to show."""
    if months <= 0:
        return {}
    since = utcnow() - timedelta(days=round(months * 30.44))
    query = (
        select(Case.case_ref, AuditRound.name, AuditRound.drawn_at)
        .join(SampledCase, SampledCase.case_id == Case.id)
        .join(AuditRound, AuditRound.id == SampledCase.round_id)
        .where(AuditRound.drawn_at >= since)
    )
    if exclude_round_id is not None:
        query = query.where(AuditRound.id != exclude_round_id)
    return {ref: f"Sampled in round '{name}' on {drawn:%d %B %Y}" for ref, name, drawn in db.session.execute(query)}


def eligible_population(
    audit_round: AuditRound, *, stratify_by: str | None = None, exclude_within_months: int | None = None
) -> Population:
    """The cases a draw for ``audit_round`` may pick: filter applied, exclusions removed, each with its stratum."""
    stratify_by = stratify_by or audit_round.stratify_by
    months = audit_round.exclude_audited_within_months if exclude_within_months is None else exclude_within_months
    column = STRATUM_COLUMN.get(stratify_by)
    query = _filtered(
        select(Case.case_ref, column if column is not None else Case.case_ref), audit_round.population_filter
    )
    named = {e.case_ref: e.reason for e in audit_round.exclusions}
    recent = recently_sampled(months=months, exclude_round_id=audit_round.id)
    eligible, excluded, matched = [], [], 0
    for ref, value in db.session.execute(query):
        matched += 1
        reason = named.get(ref) or recent.get(ref)
        if reason:
            excluded.append((ref, reason))
        else:
            eligible.append((ref, "all" if column is None else (value or NOT_RECORDED)))
    return Population(eligible=eligible, exclusions=sorted(excluded), matched=matched)
