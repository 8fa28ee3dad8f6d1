"""The programme dashboard's figures (issue 17): ``build_dashboard`` computes every figure of
``auditapp.programme.figures_types.Dashboard`` (whose docstring, and docs/programme.md, define them) for the
filters, as at an instant. Aggregates only: reading them is not a view of a child's record, so no trail row.

Decisions where the contract left room (also in docs/programme.md):

- Withdrawn audits hold no place: their assignments count nowhere (not assigned, completed nor outstanding).
- Outstanding is as the records stand, for assignments made by ``as_of``; a returned audit is outstanding again.
- Moderation agreement counts an audit once, by its latest moderation (the records keep only that one).
- Concerns count whatever later happened to the round or the case (a concern was raised about a child).
- Actions are done when their status is done and ``completed_at`` is set (by ``as_of``); overdue actions are
  listed whatever their due date's quarter.
- Coverage: covered when the last completed audit of a case of the team's (the locality's) is on or after the same
  date 12 months before ``as_of`` (England). With an agency filter only that agency's teams are listed, and the
  localities count only that agency's audits. A theme filter limits coverage to rounds of that theme.
- Returns: with a theme filter only received returns naming the theme are listed.
- ``agencies`` and ``themes`` list every agency and theme in the figures shown, together with every active agency
  and every theme of a round not cancelled or of a planned round (so a filter can offer them).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select

from auditapp.domain.quarters import Quarter, quarters_between
from auditapp.extensions import db
from auditapp.models.audit_round import AuditRound
from auditapp.models.org import Agency
from auditapp.models.programme import PlannedRound
from auditapp.models.types import utcnow
from auditapp.programme.figures_audits import (
    MULTI_AGENCY,
    NO_AGENCY,
    NO_THEME,
    SINGLE_AGENCY,
    agreement_rows,
    audits_rows,
    coverage_rows,
    grades_rows,
    load_audit_facts,
    multi_agency_grades,
    outstanding_rows,
    theme_name,
)
from auditapp.programme.figures_others import actions_figures, concerns_rows, returns_figures, schedule_rows
from auditapp.programme.figures_types import Dashboard, Filters

# GradesRow.source's two values, and the names of a missing agency and theme, for the pages and exports.
__all__ = ["MULTI_AGENCY", "NO_AGENCY", "NO_THEME", "SINGLE_AGENCY", "build_dashboard", "default_filters"]


def default_filters(today: date) -> Filters:
    """The four quarters up to and including today's; every agency and theme."""
    last = Quarter.of(today)
    return Filters(first=last.previous().previous().previous(), last=last)


def build_dashboard(filters: Filters, *, as_of: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard for ``filters``, as at ``as_of`` (default: now)."""
    as_of = as_of or utcnow()
    quarters = quarters_between(filters.first, filters.last)
    facts = load_audit_facts(filters)
    returns, single_grades = returns_figures(filters, quarters, as_of)
    actions, overdue_actions = actions_figures(filters, quarters, as_of)
    dashboard = Dashboard(
        filters=filters,
        as_of=as_of,
        quarters=quarters,
        agencies=[],
        themes=[],
        audits=audits_rows(facts, quarters),
        outstanding=outstanding_rows(facts, as_of),
        agreement=agreement_rows(facts, quarters),
        grades=grades_rows(multi_agency_grades(facts, quarters), single_grades, quarters),
        concerns=concerns_rows(filters, quarters, as_of),
        actions=actions,
        overdue_actions=overdue_actions,
        coverage=coverage_rows(filters, as_of),
        schedule=schedule_rows(filters, quarters, as_of),
        returns=returns,
    )
    agencies, themes = _names(dashboard)
    return replace(dashboard, agencies=agencies, themes=themes)


def _names(dashboard: Dashboard) -> tuple[list[str], list[str]]:
    agencies = set(db.session.scalars(select(Agency.name).where(Agency.active)))
    for rows in (dashboard.audits, dashboard.outstanding, dashboard.concerns, dashboard.actions, dashboard.returns):
        agencies |= {row.agency for row in rows}
    agencies |= {row.agency for row in dashboard.overdue_actions}
    themes = {row.theme for row in dashboard.grades} | {row.theme for row in dashboard.schedule}
    themes |= {
        theme_name(t) for t in db.session.scalars(select(AuditRound.theme).where(AuditRound.cancelled_at.is_(None)))
    }
    themes |= {theme_name(t) for t in db.session.scalars(select(PlannedRound.theme).distinct())}
    return sorted(agencies), sorted(themes)
