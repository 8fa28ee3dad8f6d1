"""Audit rounds: creating them, editing them until drawn, cancelling them, and the eligible population a round's
sample is drawn from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select

from auditapp.domain.errors import DomainError, NotFound
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY, available_tool
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import (
    MODES,
    STRATIFY_FIELDS,
    AgencyAudit,
    Assignment,
    AuditRound,
    Case,
    RoundExclusion,
    SampledCase,
)
from auditapp.models.types import utcnow
from auditapp.tools import tool_fingerprint
from auditapp.vocabulary import AuditState, RoundMode

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
    blind_moderation: bool = False
    max_load: int | None = None
    agencies: list[str] = field(default_factory=list)
    lead_agency: str | None = None
    due_date: date | None = None
    named_exclusions: list[tuple[str, str]] = field(default_factory=list)
    tool_key: str = DEFAULT_TOOL_KEY
    tool_version: int | None = None  # None: the newest version available when the round is created
    # The priorities and review learning the round tests (issue 15): stored by domain.learning, not here.
    learning_item_ids: list[int] = field(default_factory=list)


def without_nul(text: str) -> str:
    """``text`` without NUL characters, which PostgreSQL cannot store in a text column (a 500, not a refusal)."""
    return text.replace("\x00", "")


def _without_nul(settings: RoundSettings) -> RoundSettings:
    return replace(
        settings,
        name=without_nul(settings.name),
        theme=without_nul(settings.theme) if settings.theme is not None else None,
        named_exclusions=[(without_nul(ref), without_nul(reason)) for ref, reason in settings.named_exclusions],
    )


def _check(settings: RoundSettings, *, round_id: int | None = None) -> None:
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
    same_name = select(AuditRound.id).where(func.lower(AuditRound.name) == settings.name.strip().lower())
    if round_id is not None:
        same_name = same_name.where(AuditRound.id != round_id)
    if db.session.scalar(same_name):
        raise DomainError("A round with this name already exists", field="name")
    for case_ref, reason in settings.named_exclusions:
        if not reason.strip():
            raise DomainError(f"Give the reason for excluding case {case_ref}", field="exclusions")


def create_round(settings: RoundSettings, *, created_by_id: int | None) -> AuditRound:
    """Create a round from ``settings``. Raises DomainError naming the field at fault. Audited."""
    settings = _without_nul(settings)
    _check(settings)
    population_filter = _population_filter(settings)
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
        blind_moderation=settings.blind_moderation,
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
            "blind_moderation": audit_round.blind_moderation,
            "filter": population_filter,
            "exclusions": [[e.case_ref, e.reason] for e in audit_round.exclusions],
        },
    )
    return audit_round


def _population_filter(settings: RoundSettings) -> dict[str, Any]:
    return {
        "statuses": sorted(settings.statuses),
        "localities": sorted(settings.localities),
        "teams": sorted(settings.teams),
        "agencies": sorted(settings.agencies_filter),
        "open_from": settings.open_from.isoformat() if settings.open_from else None,
        "open_to": settings.open_to.isoformat() if settings.open_to else None,
    }


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
    query = query.where(Case.missing_from_batch_id.is_(None))  # left out of a full return: not eligible
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
    eligible: list[tuple[str, str]] = []
    excluded: list[tuple[str, str]] = []
    # The driver's own rows, fetched in one call through the session's connection (which does not autoflush):
    # SQLAlchemy makes its Row objects one fetch at a time, which for half a million cases costs as much again as
    # the driver's fetch (issue 17's draw benchmark). The columns are plain strings, which no result type converts.
    db.session.flush()
    result = db.session.connection().execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    plain = bool(rows) and type(rows[0]) is tuple  # the row itself is the pair (sqlite3, psycopg)
    for row in rows:
        ref, value = row
        reason = named.get(ref) or recent.get(ref)
        if reason:
            excluded.append((ref, reason))
        elif column is None:
            eligible.append((ref, "all"))
        elif not value:
            eligible.append((ref, NOT_RECORDED))
        else:
            eligible.append(row if plain else (ref, value))
    return Population(eligible=eligible, exclusions=sorted(excluded), matched=len(rows))


# -- Changing plans (issue 13): editing a round until it is drawn, cancelling it at any stage -----------------------


def ensure_open(audit_round: AuditRound) -> None:
    """Raise DomainError when ``audit_round`` was cancelled: nothing more may be done on it (draw, assign, replace,
    publish, findings). Every domain function that changes a round's work calls this first."""
    if audit_round.cancelled_at is not None:
        raise DomainError(
            f"The round '{audit_round.name}' was cancelled on {audit_round.cancelled_at:%-d %B %Y}: "
            "nothing more can be done on it"
        )


def settings_of(audit_round: AuditRound) -> RoundSettings:
    """The settings ``audit_round`` was created with (as last edited), to prefill the edit form."""
    population_filter = audit_round.population_filter or {}
    open_from, open_to = population_filter.get("open_from"), population_filter.get("open_to")
    return RoundSettings(
        name=audit_round.name,
        theme=audit_round.theme,
        mode=audit_round.mode,
        statuses=list(population_filter.get("statuses") or []),
        localities=list(population_filter.get("localities") or []),
        teams=list(population_filter.get("teams") or []),
        agencies_filter=list(population_filter.get("agencies") or []),
        open_from=date.fromisoformat(open_from) if open_from else None,
        open_to=date.fromisoformat(open_to) if open_to else None,
        sample_size=audit_round.sample_size,
        stratify_by=audit_round.stratify_by,
        min_per_stratum=audit_round.min_per_stratum,
        exclude_audited_within_months=audit_round.exclude_audited_within_months,
        peers_not_from_case_locality=audit_round.peers_not_from_case_locality,
        blind_moderation=audit_round.blind_moderation,
        max_load=audit_round.max_load,
        agencies=list(audit_round.agencies or []),
        lead_agency=audit_round.lead_agency,
        due_date=audit_round.due_date,
        named_exclusions=[(e.case_ref, e.reason) for e in audit_round.exclusions],
        tool_key=audit_round.tool_key,
        tool_version=audit_round.tool_version,
    )


def _snapshot(audit_round: AuditRound) -> dict[str, Any]:
    """The round's settings as JSON values, to compare before and after an edit (and to record in the trail)."""
    return {
        "name": audit_round.name,
        "theme": audit_round.theme,
        "mode": str(audit_round.mode),
        "filter": dict(audit_round.population_filter or {}),
        "sample_size": audit_round.sample_size,
        "stratify_by": audit_round.stratify_by,
        "min_per_stratum": audit_round.min_per_stratum,
        "exclude_audited_within_months": audit_round.exclude_audited_within_months,
        "peers_not_from_case_locality": audit_round.peers_not_from_case_locality,
        "blind_moderation": audit_round.blind_moderation,
        "max_load": audit_round.max_load,
        "agencies": list(audit_round.agencies or []),
        "lead_agency": audit_round.lead_agency,
        "due_date": audit_round.due_date.isoformat() if audit_round.due_date else None,
        "exclusions": sorted([e.case_ref, e.reason] for e in audit_round.exclusions),
        "tool": f"{audit_round.tool_key} version {audit_round.tool_version}",
    }


def _replace_exclusions(audit_round: AuditRound, named: list[tuple[str, str]]) -> None:
    """Update the exclusions in place: kept ones keep their row, so (round, case_ref) stays unique mid-flush."""
    wanted = {ref.strip(): reason.strip() for ref, reason in named if ref.strip()}
    for exclusion in list(audit_round.exclusions):
        if exclusion.case_ref not in wanted:
            audit_round.exclusions.remove(exclusion)
        else:
            exclusion.reason = wanted.pop(exclusion.case_ref)
    db.session.flush()
    audit_round.exclusions.extend(RoundExclusion(case_ref=ref, reason=reason) for ref, reason in wanted.items())


def ensure_editable(audit_round: AuditRound) -> None:
    """Raise DomainError when ``audit_round``'s settings can no longer change: it is drawn or cancelled."""
    ensure_open(audit_round)
    if audit_round.drawn_at is not None:
        raise DomainError(
            f"The sample was drawn on {audit_round.drawn_at:%-d %B %Y}, so the round's settings can no longer "
            "change. To change them, cancel the round and create a new one"
        )


def update_round(audit_round: AuditRound, settings: RoundSettings) -> dict[str, list[Any]]:
    """Change a round's settings, which is allowed until its sample is drawn. Returns the changed settings as
    {setting: [before, after]} (empty: nothing changed, nothing recorded). Raises DomainError when the round is
    drawn or cancelled, or naming the field at fault. Audited ("round_edited", with the changed settings)."""
    ensure_editable(audit_round)
    settings = _without_nul(settings)
    _check(settings, round_id=audit_round.id)
    before = _snapshot(audit_round)
    audit_round.name = settings.name.strip()
    audit_round.theme = (settings.theme or "").strip() or None
    audit_round.mode = settings.mode
    audit_round.population_filter = _population_filter(settings)
    audit_round.sample_size = settings.sample_size
    audit_round.stratify_by = settings.stratify_by
    audit_round.min_per_stratum = settings.min_per_stratum
    audit_round.exclude_audited_within_months = settings.exclude_audited_within_months
    audit_round.peers_not_from_case_locality = settings.peers_not_from_case_locality
    audit_round.blind_moderation = settings.blind_moderation  # no audit exists before the draw
    audit_round.max_load = settings.max_load
    audit_round.agencies = sorted(settings.agencies)
    audit_round.lead_agency = settings.lead_agency
    audit_round.due_date = settings.due_date
    _replace_exclusions(audit_round, settings.named_exclusions)
    if settings.tool_key != audit_round.tool_key:  # a different tool: pin its newest version now
        _pin_tool(audit_round, RoundSettings(name=audit_round.name, tool_key=settings.tool_key))
    db.session.flush()
    after = _snapshot(audit_round)
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record_event("round_edited", object_type="round", object_id=audit_round.id, details={"changed": changed})
    return changed


@dataclass
class CancelEffects:
    """What cancelling a round does, for its confirmation page: the audits closed and those kept as they are."""

    to_withdraw: list[AgencyAudit]  # started, returned or submitted: closed as withdrawn
    not_started: list[Assignment]  # assigned, not yet started: closed before they start
    moderated: list[AgencyAudit]  # finished: kept as moderated

    @property
    def closed(self) -> int:
        return len(self.to_withdraw) + len(self.not_started)


def cancel_effects(audit_round: AuditRound) -> CancelEffects:
    """The audits that cancelling ``audit_round`` would close (every assignment, replaced cases' included)."""
    effects = CancelEffects(to_withdraw=[], not_started=[], moderated=[])
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
            if audit is None:
                effects.not_started.append(assignment)
            elif audit.state == AuditState.MODERATED:
                effects.moderated.append(audit)
            elif audit.state != AuditState.WITHDRAWN:
                effects.to_withdraw.append(audit)
    return effects


def cancel_round(audit_round: AuditRound, *, reason: str, cancelled_by_id: int | None) -> CancelEffects:
    """Cancel ``audit_round`` with a reason, at any stage. It stays (its sample, findings and trail are kept), its
    open audits are closed as withdrawn (their answers kept), an assignment not yet started gets a withdrawn audit
    so it can never start, and moderated audits stay moderated. After this, :func:`ensure_open` refuses every
    change. Raises DomainError when the reason is blank or the round is already cancelled. Audited."""
    ensure_open(audit_round)
    reason = without_nul(reason).strip()
    if not reason:
        raise DomainError("Enter why the round is being cancelled", field="reason")
    effects = cancel_effects(audit_round)
    now = utcnow()
    for audit in effects.to_withdraw:
        before = audit.state
        audit.state, audit.updated_at = AuditState.WITHDRAWN, now
        record_event(  # as domain.sampling.withdraw_assignment records a withdrawal
            "audit_withdrawn",
            object_type="agency_audit",
            object_id=audit.id,
            details={
                "round_id": audit_round.id,
                "case_ref": audit.assignment.sampled_case.case.case_ref,
                "assignment_id": audit.assignment_id,
                "state_before": str(before),
                "answers_kept": len(audit.answers or {}),
                "reason": "round cancelled",
            },
        )
    for assignment in effects.not_started:
        db.session.add(AgencyAudit(assignment=assignment, state=AuditState.WITHDRAWN, answers={}, updated_at=now))
    audit_round.cancelled_at, audit_round.cancelled_by_id, audit_round.cancel_reason = now, cancelled_by_id, reason
    db.session.flush()
    record_event(
        "round_cancelled",
        object_type="round",
        object_id=audit_round.id,
        details={
            "name": audit_round.name,
            "reason": reason,
            "audits_withdrawn": sorted(a.id for a in effects.to_withdraw),
            "assignments_closed": sorted(a.id for a in effects.not_started),
            "audits_kept_moderated": sorted(a.id for a in effects.moderated),
        },
    )
    return effects
