"""The dashboard's figures about multi-agency audits (issue 17): assigned, completed and on time; outstanding now;
moderation agreement; grades; coverage of teams and localities. One set-based query loads a row of plain facts per
assignment (the answers JSON is not loaded: only its overall grade, extracted by the database); the figures are
grouped in Python. Definitions: ``auditapp.programme.figures_types``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased

from auditapp.domain.quarters import Quarter, uk_date
from auditapp.extensions import db
from auditapp.models.audit import AgencyAudit
from auditapp.models.audit_round import Assignment, AuditRound, SampledCase
from auditapp.models.case import Case
from auditapp.models.org import Agency, Locality, Team
from auditapp.models.user import User
from auditapp.programme.figures_types import AgreementRow, AuditsRow, CoverageRow, Filters, GradesRow, OutstandingRow
from auditapp.tools import GRADE_OPTIONS
from auditapp.vocabulary import AuditState, ModerationDecision, RoundMode

NO_AGENCY = "No agency recorded"
NO_THEME = "No theme"
MULTI_AGENCY: str = RoundMode.MULTI_AGENCY.value  # GradesRow.source: the words are the same
SINGLE_AGENCY = "single-agency"
GRADES: tuple[str, ...] = tuple(value for value, _ in GRADE_OPTIONS)
COMPLETED_STATES = (AuditState.SUBMITTED, AuditState.MODERATED)


_DAY_OF_HOUR: dict[int, date] = {}


def england_date(moment: datetime) -> date:
    """``uk_date``, memoised by the hour: England's offset from UTC is a whole hour and changes on the hour, so
    the date in England is the same for every instant of a UTC hour (thousands of rows share few hours)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    hour = int(moment.timestamp()) // 3600
    day = _DAY_OF_HOUR.get(hour)
    if day is None:
        if len(_DAY_OF_HOUR) > 200_000:
            _DAY_OF_HOUR.clear()
        day = _DAY_OF_HOUR[hour] = uk_date(moment)
    return day


@lru_cache(maxsize=1 << 12)
def quarter_of_day(day: date) -> Quarter:
    return Quarter.of(day)


def quarter_of_instant(moment: datetime) -> Quarter:
    """``Quarter.of_instant``, memoised (see ``england_date``)."""
    return quarter_of_day(england_date(moment))


def theme_name(theme: str | None) -> str:
    return (theme or "").strip() or NO_THEME


@dataclass(slots=True)
class AuditFact:
    """One assignment of a drawn, not cancelled round, on a sampled case not replaced, with its audit's facts (and
    the dates and quarters in England of its instants, worked out once)."""

    agency: str
    theme: str
    assigned_at: datetime
    due: date | None  # the assignment's due date, else the round's
    completed: bool  # submitted or moderated (a returned audit's submission is cleared)
    submitted_at: datetime | None
    decision: str | None
    moderated_at: datetime | None
    blind_pair: tuple[str, str] | None  # (the moderator's blind grade, the auditor's grade then)
    blind_graded_at: datetime | None
    final_grade: str | None  # the moderated grade where the moderator re-graded, else the auditor's overall grade
    team_id: int | None
    locality_id: int | None
    assigned_q: Quarter
    submitted_day: date | None
    submitted_q: Quarter | None
    moderated_q: Quarter | None
    blind_q: Quarter | None


def _counted(query, auditor_agency):
    """``query`` (of assignments) joined to what the figures need and limited to what counts."""
    auditor = aliased(User)
    return (
        query.join(SampledCase, SampledCase.id == Assignment.sampled_case_id)
        .join(AuditRound, AuditRound.id == SampledCase.round_id)
        .join(Case, Case.id == SampledCase.case_id)
        .join(auditor, auditor.id == Assignment.auditor_id)
        .outerjoin(auditor_agency, auditor_agency.id == auditor.agency_id)
        .outerjoin(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .where(AuditRound.cancelled_at.is_(None), AuditRound.drawn_at.is_not(None), SampledCase.replaced == false())
    )


def _facts_query(start: datetime):
    """Every counted assignment with something on or after ``start`` (the first shown quarter's first instant), or
    not completed: a completed audit whose every instant is earlier counts in no shown quarter and is not outstanding
    (coverage reads its own query)."""
    auditor_agency = aliased(Agency)
    query = select(
        Assignment.agency_name,
        auditor_agency.name,
        AuditRound.theme,
        Assignment.assigned_at,
        Assignment.due_date,
        AuditRound.due_date,
        AgencyAudit.state,
        AgencyAudit.submitted_at,
        AgencyAudit.moderation_decision,
        AgencyAudit.moderated_grade,
        AgencyAudit.moderated_at,
        AgencyAudit.blind_grade,
        AgencyAudit.blind_auditor_grade,
        AgencyAudit.blind_graded_at,
        AgencyAudit.answers["overall_grade"].as_string(),
        Case.team_id,
        Case.locality_id,
    )
    return _counted(query, auditor_agency).where(
        or_(
            AgencyAudit.id.is_(None),
            AgencyAudit.submitted_at.is_(None),
            AgencyAudit.state.not_in(COMPLETED_STATES),
            Assignment.assigned_at >= start,
            AgencyAudit.submitted_at >= start,
            AgencyAudit.moderated_at >= start,
            AgencyAudit.blind_graded_at >= start,
        )
    )


def load_audit_facts(filters: Filters) -> list[AuditFact]:
    """Every counted assignment (theme and agency filters applied); withdrawn audits hold no place and are left out."""
    facts: list[AuditFact] = []
    for (
        agency_name,
        auditor_agency_name,
        theme,
        assigned_at,
        own_due,
        round_due,
        state,
        submitted_at,
        decision,
        moderated_grade,
        moderated_at,
        blind_grade,
        blind_auditor_grade,
        blind_graded_at,
        overall_grade,
        team_id,
        locality_id,
    ) in db.session.connection().execute(_facts_query(filters.first.starts_at())).all():
        if state == AuditState.WITHDRAWN:
            continue
        agency = (agency_name or "").strip() or auditor_agency_name or NO_AGENCY
        if filters.agency is not None and agency != filters.agency:
            continue
        theme = theme_name(theme)
        if filters.theme is not None and theme != filters.theme:
            continue
        completed = state in COMPLETED_STATES and submitted_at is not None
        submitted_day = england_date(submitted_at) if submitted_at is not None else None
        facts.append(
            AuditFact(
                agency=agency,
                theme=theme,
                assigned_at=assigned_at,
                due=own_due or round_due,
                completed=completed,
                submitted_at=submitted_at,
                decision=decision,
                moderated_at=moderated_at,
                blind_pair=(blind_grade, blind_auditor_grade) if blind_grade and blind_auditor_grade else None,
                blind_graded_at=blind_graded_at,
                final_grade=(
                    moderated_grade if decision == ModerationDecision.REGRADED and moderated_grade else overall_grade
                ),
                team_id=team_id,
                locality_id=locality_id,
                assigned_q=quarter_of_instant(assigned_at),
                submitted_day=submitted_day,
                submitted_q=quarter_of_day(submitted_day) if submitted_day is not None else None,
                moderated_q=quarter_of_instant(moderated_at) if moderated_at is not None and decision else None,
                blind_q=quarter_of_instant(blind_graded_at) if blind_graded_at is not None else None,
            )
        )
    return facts


def audits_rows(facts: list[AuditFact], quarters: list[Quarter]) -> list[AuditsRow]:
    """Per quarter and agency (every agency with a figure in a shown quarter, zeros included)."""
    shown = set(quarters)
    counts: dict[tuple[Quarter, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for fact in facts:
        if fact.assigned_q in shown:
            counts[(fact.assigned_q, fact.agency)][0] += 1
        if fact.completed and fact.submitted_q in shown and fact.submitted_day is not None:
            cell = counts[(fact.submitted_q, fact.agency)]
            cell[1] += 1
            if fact.due is None:
                cell[3] += 1
            elif fact.submitted_day <= fact.due:
                cell[2] += 1
    agencies = sorted({agency for _, agency in counts})
    return [
        AuditsRow(quarter, agency, *counts.get((quarter, agency), [0, 0, 0, 0]))
        for quarter in quarters
        for agency in agencies
    ]


def outstanding_rows(facts: list[AuditFact], as_of: datetime) -> list[OutstandingRow]:
    """Per agency, at ``as_of``: assigned by then and not submitted; overdue: past the due date (England)."""
    today = uk_date(as_of)
    by_agency: dict[str, list[AuditFact]] = defaultdict(list)
    for fact in facts:
        if fact.assigned_at <= as_of and not fact.completed:
            by_agency[fact.agency].append(fact)
    rows: list[OutstandingRow] = []
    for agency in sorted(by_agency):
        overdue = [f.due for f in by_agency[agency] if f.due is not None and f.due < today]
        rows.append(OutstandingRow(agency, len(by_agency[agency]), len(overdue), min(overdue) if overdue else None))
    return rows


def agreement_rows(facts: list[AuditFact], quarters: list[Quarter]) -> list[AgreementRow]:
    """Every shown quarter: the audits whose (latest) moderation fell in it, and the blind pairs recorded in it."""
    shown = set(quarters)
    counts: dict[Quarter, dict[str, int]] = {q: defaultdict(int) for q in quarters}
    for fact in facts:
        if fact.moderated_q in shown and fact.moderated_q is not None:
            counts[fact.moderated_q]["all"] += 1
            counts[fact.moderated_q][str(fact.decision)] += 1
        if fact.blind_q in shown and fact.blind_q is not None and fact.blind_pair is not None:
            counts[fact.blind_q]["pairs"] += 1
            counts[fact.blind_q]["matched"] += fact.blind_pair[0] == fact.blind_pair[1]
    return [
        AgreementRow(
            quarter=q,
            moderated=c["all"],
            agreed=c[ModerationDecision.AGREED],
            regraded=c[ModerationDecision.REGRADED],
            returned=c[ModerationDecision.RETURNED],
            blind_pairs=c["pairs"],
            blind_matched=c["matched"],
        )
        for q, c in counts.items()
    ]


def multi_agency_grades(facts: list[AuditFact], quarters: list[Quarter]) -> dict[tuple[Quarter, str], list[int]]:
    """(quarter of submission, theme) -> counts per grade (GRADES order) and, last, the ungraded."""
    shown = set(quarters)
    out: dict[tuple[Quarter, str], list[int]] = {}
    for fact in facts:
        quarter = fact.submitted_q
        if not fact.completed or quarter is None or quarter not in shown:
            continue
        cell = out.setdefault((quarter, fact.theme), [0] * (len(GRADES) + 1))
        grade = fact.final_grade
        cell[GRADES.index(grade) if grade in GRADES else len(GRADES)] += 1
    return out


def grades_rows(
    multi: dict[tuple[Quarter, str], list[int]], single: dict[tuple[Quarter, str], list[int]], quarters: list[Quarter]
) -> list[GradesRow]:
    """Every shown quarter for each (theme, source) with a figure: quarter order, then theme, multi-agency first."""
    series = sorted(
        {(theme, MULTI_AGENCY) for _, theme in multi} | {(theme, SINGLE_AGENCY) for _, theme in single},
    )
    rows: list[GradesRow] = []
    empty = [0] * (len(GRADES) + 1)
    for quarter in quarters:
        for theme, source in series:
            cell = (multi if source == MULTI_AGENCY else single).get((quarter, theme), empty)
            rows.append(GradesRow(quarter, theme, source, dict(zip(GRADES, cell[:-1], strict=True)), cell[-1]))
    return rows


def twelve_months_before(day: date) -> date:
    """The same date a year earlier (28 February for 29 February): an audit on it is still within 12 months."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _last_audited(filters: Filters, as_of: datetime) -> tuple[dict[int, date], dict[int, date]]:
    """Team id -> and locality id -> the date in England of the last completed audit of one of its cases by
    ``as_of`` (of the filtered agency's audits and the filtered theme's rounds)."""
    auditor_agency = aliased(Agency)
    query = select(Case.team_id, Case.locality_id, func.max(AgencyAudit.submitted_at)).select_from(Assignment)
    query = _counted(query, auditor_agency).where(
        AgencyAudit.state.in_(COMPLETED_STATES), AgencyAudit.submitted_at <= as_of
    )
    if filters.agency is not None:
        agency = func.coalesce(func.nullif(func.trim(Assignment.agency_name), ""), auditor_agency.name, NO_AGENCY)
        query = query.where(agency == filters.agency)
    if filters.theme is not None:
        query = query.where(func.coalesce(func.nullif(func.trim(AuditRound.theme), ""), NO_THEME) == filters.theme)
    by_team: dict[int, date] = {}
    by_locality: dict[int, date] = {}
    for team_id, locality_id, last in db.session.execute(query.group_by(Case.team_id, Case.locality_id)).all():
        day = england_date(last)
        if team_id is not None and day > by_team.get(team_id, date.min):
            by_team[team_id] = day
        if locality_id is not None and day > by_locality.get(locality_id, date.min):
            by_locality[locality_id] = day
    return by_team, by_locality


def coverage_rows(filters: Filters, as_of: datetime) -> list[CoverageRow]:
    """Every active team (of the filtered agency, if any) and every active locality, with its last completed audit
    by ``as_of`` and whether that is on or after the same date 12 months before ``as_of`` (England)."""
    since = twelve_months_before(uk_date(as_of))
    by_team, by_locality = _last_audited(filters, as_of)
    teams = select(Team.id, Team.name, Agency.name).join(Agency, Agency.id == Team.agency_id).where(Team.active)
    if filters.agency is not None:
        teams = teams.where(Agency.name == filters.agency)
    rows = [
        CoverageRow("team", name, agency, by_team.get(team_id), by_team.get(team_id, date.min) >= since)
        for team_id, name, agency in db.session.execute(teams.order_by(Agency.name, Team.name))
    ]
    localities = select(Locality.id, Locality.name).where(Locality.active).order_by(Locality.name)
    rows += [
        CoverageRow(
            "locality", name, None, by_locality.get(locality_id), by_locality.get(locality_id, date.min) >= since
        )
        for locality_id, name in db.session.execute(localities)
    ]
    return rows
