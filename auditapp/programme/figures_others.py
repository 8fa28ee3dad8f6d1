"""The dashboard's figures beyond the audits themselves (issue 17): safeguarding concerns, actions, the schedule and
the single-agency returns. Set-based queries of the needed columns only, grouped in Python. Definitions:
``auditapp.programme.figures_types``."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from auditapp.domain.quarters import Quarter, return_due_date, return_status, uk_date
from auditapp.extensions import db
from auditapp.models.audit import SafeguardingConcern
from auditapp.models.audit_round import AuditRound, SampledCase
from auditapp.models.case import Case
from auditapp.models.finding import Action, Finding
from auditapp.models.org import Agency
from auditapp.models.programme import RETURN_GRADE_COLUMNS, PlannedRound, SingleAgencyReturn
from auditapp.programme.figures_audits import (
    GRADES,
    NO_AGENCY,
    england_date,
    quarter_of_day,
    quarter_of_instant,
    theme_name,
)
from auditapp.programme.figures_types import (
    ActionsRow,
    ConcernsRow,
    Filters,
    OverdueAction,
    ReturnRow,
    ScheduleRow,
)
from auditapp.programme.schedule import fully_published_round_ids
from auditapp.programme.schedule_status import planned_status
from auditapp.vocabulary import ActionStatus, ReturnStatus


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def concerns_rows(filters: Filters, quarters: list[Quarter], as_of: datetime) -> list[ConcernsRow]:
    """Per quarter raised and the case's agency (zeros for every agency with a concern in a shown quarter).

    Every concern counts, even from a round later cancelled or a case later replaced: it was raised about a child.
    Acknowledged: by ``as_of``; the hours are those acknowledged ones' (rounded to one decimal place)."""
    if not quarters:
        return []
    case_agency = aliased(Agency)
    query = (
        select(
            SafeguardingConcern.raised_at,
            SafeguardingConcern.acknowledged_at,
            case_agency.name,
            Case.agency_name,
            AuditRound.theme,
        )
        .join(SampledCase, SampledCase.id == SafeguardingConcern.sampled_case_id)
        .join(AuditRound, AuditRound.id == SampledCase.round_id)
        .join(Case, Case.id == SampledCase.case_id)
        .outerjoin(case_agency, case_agency.id == Case.agency_id)
        .where(
            SafeguardingConcern.raised_at >= quarters[0].starts_at(),
            SafeguardingConcern.raised_at < quarters[-1].ends_at(),
        )
    )
    cells: dict[tuple[Quarter, str], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for raised_at, acknowledged_at, linked_agency, named_agency, theme in db.session.execute(query):
        agency = linked_agency or (named_agency or "").strip() or NO_AGENCY
        if filters.agency is not None and agency != filters.agency:
            continue
        if filters.theme is not None and theme_name(theme) != filters.theme:
            continue
        if raised_at > as_of:
            continue
        cells[(quarter_of_instant(raised_at), agency)].append((raised_at, acknowledged_at))
    agencies = sorted({agency for _, agency in cells})
    rows: list[ConcernsRow] = []
    for quarter in quarters:
        for agency in agencies:
            concerns = cells.get((quarter, agency), [])
            hours = [_hours(raised, ack) for raised, ack in concerns if ack is not None and ack <= as_of]
            rows.append(
                ConcernsRow(
                    quarter=quarter,
                    agency=agency,
                    raised=len(concerns),
                    acknowledged=len(hours),
                    median_hours=round(statistics.median(hours), 1) if hours else None,
                    longest_hours=round(max(hours), 1) if hours else None,
                    unacknowledged=len(concerns) - len(hours),
                )
            )
    return rows


def _action_query(filters: Filters):
    query = (
        select(
            Action.id,
            Action.description,
            Agency.name,
            Action.owner_name,
            Action.due_date,
            Action.status,
            Action.completed_at,
            AuditRound.theme,
        )
        .join(Agency, Agency.id == Action.agency_id)
        .join(Finding, Finding.id == Action.finding_id)
        .join(AuditRound, AuditRound.id == Finding.round_id)
    )
    if filters.agency is not None:
        query = query.where(Agency.name == filters.agency)
    return query


def actions_figures(
    filters: Filters, quarters: list[Quarter], as_of: datetime
) -> tuple[list[ActionsRow], list[OverdueAction]]:
    """Actions by the quarter of their due date and agency; and every action overdue at ``as_of`` (any due date)."""
    today = uk_date(as_of)
    shown = set(quarters)
    cells: dict[tuple[Quarter, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    overdue: list[OverdueAction] = []
    for action_id, description, agency, owner, due, status, completed_at, theme in db.session.execute(
        _action_query(filters)
    ):
        if filters.theme is not None and theme_name(theme) != filters.theme:
            continue
        done = status == ActionStatus.DONE and completed_at is not None and completed_at <= as_of
        late = not done and due < today
        if late:
            overdue.append(OverdueAction(action_id, description, agency, owner, due, (today - due).days))
        quarter = quarter_of_day(due)
        if quarter not in shown:
            continue
        cell = cells[(quarter, agency)]
        cell[0] += 1
        if done and completed_at is not None:
            cell[1 if england_date(completed_at) <= due else 2] += 1
        cell[3] += late
    agencies = sorted({agency for _, agency in cells})
    rows = [ActionsRow(q, a, *cells.get((q, a), [0, 0, 0, 0])) for q in quarters for a in agencies]
    overdue.sort(key=lambda o: (o.due_date, o.agency, o.action_id))
    return rows, overdue


def schedule_rows(filters: Filters, quarters: list[Quarter], as_of: datetime) -> list[ScheduleRow]:
    """The planned rounds whose month falls in the shown quarters (of the agency and theme filtered on)."""
    if not quarters:
        return []
    query = (
        select(
            PlannedRound.id,
            PlannedRound.month,
            PlannedRound.theme,
            PlannedRound.agencies,
            PlannedRound.dropped_at,
            PlannedRound.round_id,
            AuditRound.name,
            AuditRound.drawn_at,
            AuditRound.cancelled_at,
        )
        .outerjoin(AuditRound, AuditRound.id == PlannedRound.round_id)
        .where(PlannedRound.month >= quarters[0].start, PlannedRound.month <= quarters[-1].end)
        .order_by(PlannedRound.month, PlannedRound.theme, PlannedRound.id)
    )
    planned = [
        row
        for row in db.session.execute(query)
        if (filters.theme is None or theme_name(row.theme) == filters.theme)
        and (filters.agency is None or filters.agency in (row.agencies or []))
    ]
    published = fully_published_round_ids({row.round_id for row in planned if row.round_id is not None})
    today = uk_date(as_of)
    return [
        ScheduleRow(
            planned_id=row.id,
            month=row.month,
            theme=row.theme,
            agencies=list(row.agencies or []),
            status=planned_status(
                month=row.month,
                today=today,
                dropped=row.dropped_at is not None,
                round_drawn=row.drawn_at is not None,
                round_cancelled=row.cancelled_at is not None,
                fully_published=row.round_id in published,
            ),
            round_id=row.round_id,
            round_name=row.name,
        )
        for row in planned
    ]


def returns_figures(
    filters: Filters, quarters: list[Quarter], as_of: datetime
) -> tuple[list[ReturnRow], dict[tuple[Quarter, str], list[int]]]:
    """Per agency (every active one, and any other with a return shown) and quarter: the return or its status.

    With a theme filter only the returns that name the theme are shown (a missing return names none). Also the
    single-agency grades by (quarter, theme): a return counts under each of its themes ("No theme" if none)."""
    if not quarters:
        return [], {}
    grade_columns = [getattr(SingleAgencyReturn, RETURN_GRADE_COLUMNS[g]) for g in GRADES]
    query = (
        select(
            Agency.name,
            SingleAgencyReturn.year,
            SingleAgencyReturn.quarter,
            SingleAgencyReturn.audited,
            SingleAgencyReturn.themes,
            SingleAgencyReturn.key_learning,
            *grade_columns,
        )
        .join(Agency, Agency.id == SingleAgencyReturn.agency_id)
        .where(
            SingleAgencyReturn.year * 10 + SingleAgencyReturn.quarter >= quarters[0].year * 10 + quarters[0].number,
            SingleAgencyReturn.year * 10 + SingleAgencyReturn.quarter <= quarters[-1].year * 10 + quarters[-1].number,
        )
    )
    if filters.agency is not None:
        query = query.where(Agency.name == filters.agency)
    received: dict[tuple[str, Quarter], ReturnRow] = {}
    grades: dict[tuple[Quarter, str], list[int]] = {}
    for agency, year, number, audited, themes, learning, *counts in db.session.execute(query):
        quarter = Quarter(year, number)
        names = [theme_name(t) for t in (themes or [])] or [theme_name(None)]
        if filters.theme is not None:
            if filters.theme not in names:
                continue
            names = [filters.theme]
        ungraded = audited - sum(counts)
        received[(agency, quarter)] = ReturnRow(
            quarter=quarter,
            agency=agency,
            status=ReturnStatus.RECEIVED,
            due_date=return_due_date(quarter),
            audited=audited,
            counts=dict(zip(GRADES, counts, strict=True)),
            ungraded=ungraded,
            themes=list(themes or []),
            key_learning=learning or None,
        )
        for name in names:
            cell = grades.setdefault((quarter, name), [0] * (len(GRADES) + 1))
            for i, count in enumerate([*counts, ungraded]):
                cell[i] += count
    expected = select(Agency.name).where(Agency.active)
    if filters.agency is not None:
        expected = expected.where(Agency.name == filters.agency)
    agencies = {agency for agency, _ in received}
    if filters.theme is None:
        agencies |= set(db.session.scalars(expected))
    today = uk_date(as_of)
    rows = [
        received.get((agency, quarter))
        or ReturnRow(
            quarter, agency, return_status(quarter, received=False, today=today), return_due_date(quarter), None
        )
        for agency in sorted(agencies)
        for quarter in quarters
        if (agency, quarter) in received or filters.theme is None
    ]
    return rows, grades
