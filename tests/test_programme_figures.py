"""Issue 17: every figure of the programme dashboard against a direct computation from the rows (plain loops over
the ORM objects, written here and not calling auditapp.programme.figures), with the boundary cases of
tests/programme_data.py checked by hand as well: quarters by the date in England, due dates, cancelled rounds and
replaced cases, re-graded against agreed, concerns never acknowledged, late actions and coverage 12 months back."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from auditapp.domain.quarters import Quarter
from auditapp.extensions import db
from auditapp.models import Agency, Case
from auditapp.models.audit import SafeguardingConcern
from auditapp.models.audit_round import Assignment
from auditapp.models.finding import Action
from auditapp.models.org import Locality, Team
from auditapp.models.programme import SingleAgencyReturn
from auditapp.programme.figures import build_dashboard, default_filters
from auditapp.programme.figures_types import Filters
from tests.programme_data import AS_OF, build

LONDON = ZoneInfo("Europe/London")
GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
FIRST, LAST = Quarter(2025, 4), Quarter(2026, 4)
FILTER_SETS = [
    Filters(FIRST, LAST),
    Filters(FIRST, LAST, agency="Test Health"),
    Filters(FIRST, LAST, agency="Test Social Care"),
    Filters(FIRST, LAST, theme="Neglect"),
    Filters(FIRST, LAST, theme="No theme"),
    Filters(Quarter(2026, 1), Quarter(2026, 2), agency="Test Social Care", theme="Neglect"),
    Filters(Quarter(2026, 3), Quarter(2026, 4)),  # earlier audits are still in coverage and outstanding
]


@pytest.fixture
def programme(org, users):
    return build(org, users)


# --- the direct computation -------------------------------------------------------------------------------------


def england(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def quarter_of(day: date) -> tuple[int, int]:
    """(financial year, number): April-June is Q1 of the year starting that April."""
    if day.month >= 4:
        return day.year, (day.month - 4) // 3 + 1
    return day.year - 1, 4


def shown(filters: Filters) -> set[tuple[int, int]]:
    out, year, number = set(), filters.first.year, filters.first.number
    while (year, number) <= (filters.last.year, filters.last.number):
        out.add((year, number))
        year, number = (year + 1, 1) if number == 4 else (year, number + 1)
    return out


def key(q: Quarter) -> tuple[int, int]:
    return q.year, q.number


def counted(filters: Filters) -> list[dict]:
    out = []
    for a in db.session.scalars(select(Assignment)):
        r, audit = a.sampled_case.round, a.audit
        if r.cancelled_at is not None or r.drawn_at is None or a.sampled_case.replaced:
            continue
        if audit is not None and audit.state == "withdrawn":
            continue
        agency = a.agency_name or (a.auditor.agency.name if a.auditor.agency else "No agency recorded")
        theme = r.theme or "No theme"
        if filters.agency not in (None, agency) or filters.theme not in (None, theme):
            continue
        done = audit is not None and audit.state in ("submitted", "moderated") and audit.submitted_at is not None
        out.append(
            {
                "a": a,
                "audit": audit,
                "agency": agency,
                "theme": theme,
                "done": done,
                "due": a.due_date or r.due_date,
                "case": a.sampled_case.case,
            }
        )
    return out


def nonzero(rows, *fields) -> dict:
    return {k: v for k, v in ((row_key(r), tuple(getattr(r, f) for f in fields)) for r in rows) if any(v)}


def row_key(row):
    return (key(row.quarter), row.agency)


def expected_audits(filters):
    cells = defaultdict(lambda: [0, 0, 0, 0])
    for x in counted(filters):
        q = quarter_of(england(x["a"].assigned_at))
        if q in shown(filters):
            cells[(q, x["agency"])][0] += 1
        if x["done"]:
            q = quarter_of(england(x["audit"].submitted_at))
            if q in shown(filters):
                cells[(q, x["agency"])][1] += 1
                if x["due"] is None:
                    cells[(q, x["agency"])][3] += 1
                elif england(x["audit"].submitted_at) <= x["due"]:
                    cells[(q, x["agency"])][2] += 1
    return {k: tuple(v) for k, v in cells.items() if any(v)}


def expected_outstanding(filters):
    out = {}
    for x in counted(filters):
        if x["done"] or x["a"].assigned_at > AS_OF:
            continue
        row = out.setdefault(x["agency"], [0, 0, None])
        row[0] += 1
        if x["due"] is not None and x["due"] < england(AS_OF):
            row[1] += 1
            row[2] = x["due"] if row[2] is None else min(row[2], x["due"])
    return {k: tuple(v) for k, v in out.items()}


def expected_agreement(filters):
    cells = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for x in counted(filters):
        audit = x["audit"]
        if audit is None:
            continue
        if audit.moderated_at and audit.moderation_decision:
            q = quarter_of(england(audit.moderated_at))
            if q in shown(filters):
                cells[q][0] += 1
                cells[q][1 + ["agreed", "regraded", "returned"].index(audit.moderation_decision)] += 1
        if audit.blind_graded_at and audit.blind_grade and audit.blind_auditor_grade:
            q = quarter_of(england(audit.blind_graded_at))
            if q in shown(filters):
                cells[q][4] += 1
                cells[q][5] += audit.blind_grade == audit.blind_auditor_grade
    return {k: tuple(v) for k, v in cells.items()}


def expected_grades(filters):
    cells = defaultdict(lambda: [0] * 5)
    for x in counted(filters):
        if not x["done"]:
            continue
        q = quarter_of(england(x["audit"].submitted_at))
        if q not in shown(filters):
            continue
        audit = x["audit"]
        grade = audit.moderated_grade if audit.moderation_decision == "regraded" else audit.answers.get("overall_grade")
        cells[(q, x["theme"], "multi-agency")][GRADES.index(grade) if grade in GRADES else 4] += 1
    for ret in db.session.scalars(select(SingleAgencyReturn)):
        q = (ret.year, ret.quarter)
        if q not in shown(filters) or filters.agency not in (None, ret.agency.name):
            continue
        themes = ret.themes or ["No theme"]
        if filters.theme is not None:
            themes = [t for t in themes if t == filters.theme]
        for theme in themes:
            cell = cells[(q, theme, "single-agency")]
            for i, grade in enumerate(GRADES):
                cell[i] += ret.grade_counts()[grade]
            cell[4] += ret.ungraded
    return {k: tuple(v) for k, v in cells.items() if any(v)}


def expected_concerns(filters):
    groups = defaultdict(list)
    for c in db.session.scalars(select(SafeguardingConcern)):
        case = c.sampled_case.case
        agency = case.agency.name if case.agency else case.agency_name or "No agency recorded"
        theme = c.sampled_case.round.theme or "No theme"
        q = quarter_of(england(c.raised_at))
        if q in shown(filters) and filters.agency in (None, agency) and filters.theme in (None, theme):
            groups[(q, agency)].append(c)
    out = {}
    for k, concerns in groups.items():
        hours = [
            (c.acknowledged_at - c.raised_at).total_seconds() / 3600
            for c in concerns
            if c.acknowledged_at is not None and c.acknowledged_at <= AS_OF
        ]
        out[k] = (
            len(concerns),
            len(hours),
            round(statistics.median(hours), 1) if hours else None,
            round(max(hours), 1) if hours else None,
            len(concerns) - len(hours),
        )
    return out


def action_facts(filters):
    for action in db.session.scalars(select(Action)):
        theme = action.finding.audit_round.theme or "No theme"
        if filters.agency in (None, action.agency.name) and filters.theme in (None, theme):
            done = action.status == "done" and action.completed_at is not None
            yield action, done, not done and action.due_date < england(AS_OF)


def expected_actions(filters):
    cells = defaultdict(lambda: [0, 0, 0, 0])
    for action, done, overdue in action_facts(filters):
        q = quarter_of(action.due_date)
        if q not in shown(filters):
            continue
        cell = cells[(q, action.agency.name)]
        cell[0] += 1
        if done:
            cell[1 if england(action.completed_at) <= action.due_date else 2] += 1
        cell[3] += overdue
    return {k: tuple(v) for k, v in cells.items()}


def expected_coverage(filters):
    since = date(england(AS_OF).year - 1, england(AS_OF).month, england(AS_OF).day)
    last_team, last_locality = {}, {}
    for x in counted(filters):
        if x["done"] and x["audit"].submitted_at <= AS_OF:
            day, case = england(x["audit"].submitted_at), x["case"]
            if case.team_id:
                last_team[case.team_id] = max(day, last_team.get(case.team_id, day))
            if case.locality_id:
                last_locality[case.locality_id] = max(day, last_locality.get(case.locality_id, day))
    out = {}
    for team in db.session.scalars(select(Team)):
        if team.active and filters.agency in (None, team.agency.name):
            last = last_team.get(team.id)
            out[("team", team.name)] = (team.agency.name, last, last is not None and last >= since)
    for locality in db.session.scalars(select(Locality)):
        last = last_locality.get(locality.id)
        out[("locality", locality.name)] = (None, last, last is not None and last >= since)
    return out


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: f"{f.first.key}-{f.last.key}-{f.agency}-{f.theme}")
def test_every_figure_matches_a_direct_computation(programme, filters):
    dashboard = build_dashboard(filters, as_of=AS_OF)
    assert expected_audits(filters) and expected_grades(filters)  # no filter set here leaves nothing to compare
    assert [key(q) for q in dashboard.quarters] == sorted(shown(filters))
    assert nonzero(dashboard.audits, "assigned", "completed", "on_time", "no_due_date") == expected_audits(filters)
    assert {r.agency: (r.outstanding, r.overdue, r.oldest_due) for r in dashboard.outstanding} == (
        expected_outstanding(filters)
    )
    fields = ("moderated", "agreed", "regraded", "returned", "blind_pairs", "blind_matched")
    agreement = {key(r.quarter): tuple(getattr(r, f) for f in fields) for r in dashboard.agreement}
    assert set(agreement) == shown(filters)
    assert {k: v for k, v in agreement.items() if any(v)} == expected_agreement(filters)
    grades = {
        (key(r.quarter), r.theme, r.source): (*(r.counts[g] for g in GRADES), r.ungraded) for r in dashboard.grades
    }
    assert all(list(r.counts) == GRADES for r in dashboard.grades)
    assert {k: v for k, v in grades.items() if any(v)} == expected_grades(filters)
    concern_fields = ("raised", "acknowledged", "median_hours", "longest_hours", "unacknowledged")
    assert {k: v for k, v in nonzero(dashboard.concerns, *concern_fields).items()} == expected_concerns(filters)
    assert nonzero(dashboard.actions, "due", "completed_on_time", "completed_late", "overdue") == {
        k: v for k, v in expected_actions(filters).items() if any(v)
    }
    overdue = {(a.action_id, a.agency, a.due_date, a.days_overdue) for a in dashboard.overdue_actions}
    assert overdue == {
        (action.id, action.agency.name, action.due_date, (england(AS_OF) - action.due_date).days)
        for action, _, is_overdue in action_facts(filters)
        if is_overdue
    }
    coverage = {(r.kind, r.name): (r.agency, r.last_audited, r.covered) for r in dashboard.coverage}
    assert coverage == expected_coverage(filters)
    assert set(dashboard.agencies) >= {r.agency for r in dashboard.audits}
    assert set(dashboard.themes) >= {r.theme for r in dashboard.grades}


def cell(rows, quarter: Quarter, agency: str):
    return next(r for r in rows if r.quarter == quarter and r.agency == agency)


def test_quarter_boundaries_by_the_date_in_england(programme):
    d = build_dashboard(Filters(FIRST, LAST), as_of=AS_OF)
    q1, q2, q3, q4 = (Quarter(2026, n) for n in range(1, 5))
    social = cell(d.audits, q1, "Test Social Care")
    # 22:59Z on 30 June (Q1, on the due date: on time) and 23:30Z on 31 March (00:30 BST on 1 April: Q1, on time).
    assert (social.completed, social.on_time) == (2, 2)
    # 23:00Z on 30 June is 1 July in England: Q2, and a day late against the round's due date of 30 June.
    health_q2 = cell(d.audits, q2, "Test Health")
    assert (health_q2.completed, health_q2.on_time, health_q2.no_due_date) == (2, 0, 1)
    assert health_q2.completed == 2  # the 1 July one and the blind-graded one of September (no due date)
    assert cell(d.audits, q3, "Test Health").completed == 1  # 23:59 GMT on 31 December
    assert cell(d.audits, q4, "Test Social Care").completed == 1  # 00:00 on 1 January
    assert cell(d.audits, q4, "Test Social Care").no_due_date == 1
    # Assigned 23:00Z on 30 September (00:00 BST on 1 October: Q3), 1 and 2 October.
    assert cell(d.audits, q3, "Test Health").assigned == 3
    assert cell(d.audits, q2, "Test Health").assigned == 1  # 1 July (a13); not the one of 30 September 23:00Z
    assert cell(d.audits, Quarter(2025, 4), "Test Social Care").assigned == 3  # 1 Feb, and the two of 15 January


def test_left_out_and_regraded(programme):
    d = build_dashboard(Filters(FIRST, LAST), as_of=AS_OF)
    q1 = Quarter(2026, 1)
    # The cancelled round's and the replaced case's inadequate audits of May are not counted; nor the withdrawn one.
    assert sum(r.counts["inadequate"] for r in d.grades if r.quarter == q1) == 0
    # Assigned: a1 (2 April) and a8 (10 April); not the cancelled round's, the replaced case's or the withdrawn one.
    assert cell(d.audits, q1, "Test Social Care").assigned == 2
    q2 = Quarter(2026, 2)
    neglect = next(r for r in d.grades if r.quarter == q2 and r.theme == "Neglect" and r.source == "multi-agency")
    assert neglect.counts["inadequate"] == 1 and neglect.counts["requires_improvement"] == 0  # re-graded
    agreement = next(r for r in d.agreement if r.quarter == q2)
    assert (agreement.moderated, agreement.agreed, agreement.regraded, agreement.returned) == (4, 2, 1, 1)
    assert (agreement.blind_pairs, agreement.blind_matched) == (2, 1)
    untitled = next(r for r in d.grades if r.theme == "No theme" and r.quarter == Quarter(2025, 4))
    assert untitled.ungraded == 1


def test_outstanding_concerns_actions_coverage(programme):
    d = build_dashboard(Filters(FIRST, LAST), as_of=AS_OF)
    outstanding = {r.agency: (r.outstanding, r.overdue, r.oldest_due) for r in d.outstanding}
    assert outstanding["Test Social Care"] == (1, 1, date(2026, 12, 1))
    assert outstanding["Test Health"] == (3, 1, date(2026, 6, 30))  # not started x2 (no due date), returned
    social_q1 = cell(d.concerns, Quarter(2026, 1), "Test Social Care")
    assert (social_q1.raised, social_q1.median_hours, social_q1.longest_hours) == (2, 8.0, 10.0)
    health_q2 = cell(d.concerns, Quarter(2026, 2), "Test Health")
    assert (health_q2.raised, health_q2.acknowledged, health_q2.unacknowledged) == (3, 1, 2)
    assert cell(d.concerns, Quarter(2026, 3), "Test Police").median_hours == 1.5
    social_actions = cell(d.actions, Quarter(2026, 1), "Test Social Care")
    assert (social_actions.completed_on_time, social_actions.completed_late) == (1, 1)
    assert [(a.due_date, a.days_overdue) for a in d.overdue_actions] == [
        (date(2025, 12, 31), 380),
        (date(2026, 9, 30), 107),
    ]
    coverage = {(r.kind, r.name): r for r in d.coverage}
    assert coverage[("team", "HV North")].last_audited >= date(2026, 1, 15)
    assert coverage[("team", "CP South")].last_audited == date(2027, 1, 1)
    assert coverage[("locality", "Test South")].covered


def test_coverage_exactly_twelve_months_ago(programme, org):
    # Before a5 (1 January 2027): CP South's last audit is 14 January 2026; as at 15 January 2027 that is too old.
    d = build_dashboard(Filters(FIRST, LAST, theme="No theme"), as_of=AS_OF)
    coverage = {(r.kind, r.name): r for r in d.coverage}
    assert coverage[("team", "CP South")].last_audited == date(2026, 1, 14)
    assert not coverage[("team", "CP South")].covered
    assert coverage[("team", "HV North")].last_audited == date(2026, 1, 15)
    assert coverage[("team", "HV North")].covered  # exactly 12 months before 15 January 2027
    assert not coverage[("team", "CP North")].covered


def test_schedule_and_returns(programme):
    d = build_dashboard(Filters(FIRST, LAST), as_of=AS_OF)
    statuses = [(r.month, r.theme, r.status) for r in d.schedule]
    assert statuses == [
        (date(2026, 4, 1), "Neglect", "done"),
        (date(2026, 6, 1), "Exploitation", "started"),
        (date(2026, 8, 1), "Domestic abuse", "late"),
        (date(2026, 9, 1), "Neglect", "late"),  # its round was cancelled
        (date(2026, 10, 1), "Neglect", "dropped"),
        (date(2027, 2, 1), "Neglect", "planned"),
    ]
    returns = {(r.agency, r.quarter.key): r for r in d.returns}
    assert returns[("Test Social Care", "2026-q1")].status == "received"
    assert returns[("Test Social Care", "2026-q1")].ungraded == 2
    assert returns[("Test Health", "2026-q1")].status == "overdue"
    assert returns[("Test Health", "2026-q3")].status == "due"  # due 31 January 2027
    assert returns[("Test Health", "2026-q4")].status == "not_yet_due"
    grades = {(r.quarter.key, r.theme): r for r in d.grades if r.source == "single-agency"}
    assert grades[("2026-q1", "Neglect")].counts["good"] == 5 == grades[("2026-q1", "Exploitation")].counts["good"]
    assert grades[("2026-q2", "No theme")].counts["good"] == 4


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), "not_yet_due"),  # 23:59 BST on 30 June
        (datetime(2026, 6, 30, 23, 0, tzinfo=UTC), "due"),  # 1 July in England
        (datetime(2026, 7, 31, 22, 59, tzinfo=UTC), "due"),  # the due date, 31 July
        (datetime(2026, 7, 31, 23, 0, tzinfo=UTC), "overdue"),
    ],
)
def test_a_returns_status_turns_on_its_due_date(programme, as_of, status):
    d = build_dashboard(Filters(Quarter(2026, 1), Quarter(2026, 1), agency="Test Health"), as_of=as_of)
    assert [(r.agency, r.status) for r in d.returns] == [("Test Health", status)]


def test_default_filters_and_empty_database(actor):
    assert default_filters(date(2026, 4, 1)) == Filters(Quarter(2025, 2), Quarter(2026, 1))
    assert default_filters(date(2027, 3, 31)) == Filters(Quarter(2026, 1), Quarter(2026, 4))
    d = build_dashboard(default_filters(date(2026, 12, 3)), as_of=AS_OF)
    assert d.audits == d.outstanding == d.grades == d.concerns == d.actions == d.schedule == []
    assert [r.moderated for r in d.agreement] == [0, 0, 0, 0]
    assert db.session.scalar(select(Agency.id)) is None and db.session.scalar(select(Case.id)) is None
