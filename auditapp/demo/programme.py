"""The demo's audit programme (issue 17): each agency's quality lead, two years of the audit schedule and each
agency's quarterly single-agency audit returns.

- Quality leads: an existing demo person in each agency, in a fitting post (social care's Head of Quality
  Assurance, the Named Nurse, the Detective Inspector, the Head of Inclusion, the peer auditors of the others).
- The schedule of the financial year of the demo's story (2026-27, the year of its round in progress) and the one
  before, as the QA group planned them each March: the rounds the demo ran are linked to them (two done, one
  started), domestic abuse in July 2026 has no round (late), child sexual exploitation was dropped with a reason,
  and the rest of 2026-27 is still to come. The schedule is added through auditapp/programme/schedule.py, acting
  as the coordinator, on a demo clock (the day each step happened), so the trail and the rows agree.
- Single-agency returns for the six quarters before today's, with numbers that fit each agency's size (social care
  20-40 audits a quarter, health 10-20, police 5-15, education 5-10, probation and housing fewer), grades that add
  up to at most the number audited, one to three themes and a sentence or two of key learning. The schools'
  latest return is missing, so the dashboard shows it due or overdue. Numbers come from a fixed seed per agency
  and quarter: the same every time the demo is loaded on the same day.

Idempotent, like the rest of the demo: a re-run adds only what is missing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from auditapp.demo.audits import COMPLETED_ROUND, _as
from auditapp.demo.earlier import _coordinator
from auditapp.demo.facts import AGENCIES, DEMO_DRAWN_AT, DEMO_ROUND, DOMAIN, EARLIER_ROUND
from auditapp.domain import org
from auditapp.domain.quarters import UK, Quarter, uk_date
from auditapp.extensions import db
from auditapp.models import Agency, AgencyKind, AuditRound, PlannedRound, SingleAgencyReturn, User
from auditapp.models.programme import RETURN_GRADE_COLUMNS
from auditapp.models.types import clock_set_to, utcnow
from auditapp.programme import schedule
from auditapp.programme.returns import ReturnValues, record_return
from auditapp.vocabulary import ReturnSource

if TYPE_CHECKING:
    from auditapp.demo.facts import DemoSummary

# Agency index (facts.AGENCIES) -> the email local part of its quality lead.
QUALITY_LEADS = {
    0: "owner.qa",  # Olivia Grant, Head of Quality Assurance
    1: "owner.health",  # Marcus Bell, Named Nurse for Safeguarding
    2: "owner.police",  # Kiran Shah, Detective Inspector, Public Protection
    3: "owner.inclusion",  # Ruth Okoye, Head of Inclusion
    4: "peer.gp",
    5: "peer.hospital",
    6: "peer.probation",
    7: "peer.housing",
}

STORY_YEAR = Quarter.of(DEMO_DRAWN_AT[DEMO_ROUND].date()).year  # 2026: the financial year 2026-27

SOCIAL, HEALTH, POLICE, SCHOOLS = (AGENCIES[i][0] for i in range(4))


def _at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in England on ``day``, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=UK).astimezone(UTC)


def _fixed(moment: datetime) -> Callable[[], datetime]:
    """A demo clock stopped at ``moment``."""
    return lambda: moment


# (month, theme, agencies, note, the demo round that carries it out, (dropped on, reason) or None).
# Planned by the QA group in March before each year (PLANNED_ON).
SCHEDULE = [
    (
        date(STORY_YEAR - 1, 9, 1),
        "Neglect",
        [SOCIAL, HEALTH],
        "The partnership's priority for 2025-26: children living with neglect on child protection plans.",
        EARLIER_ROUND,
        None,
    ),
    (
        date(STORY_YEAR - 1, 12, 1),
        "Child sexual exploitation",
        [SOCIAL, POLICE, SCHOOLS],
        None,
        None,
        (
            date(STORY_YEAR - 1, 11, 12),
            "Replaced by the regional child exploitation audit led by the police this winter: our cases go to its "
            "panel, and we plan our own round for March 2027.",
        ),
    ),
    (
        date(STORY_YEAR, 3, 1),
        "Neglect",
        [SOCIAL, HEALTH],
        "Re-audit of the autumn round's actions. Started in October 2026, after the health visiting restructure.",
        COMPLETED_ROUND,
        None,
    ),
    (
        date(STORY_YEAR, 7, 1),
        "Domestic abuse",
        [SOCIAL, HEALTH, POLICE],
        "Children living with domestic abuse after a police notification. Waiting for police auditors.",
        None,
        None,
    ),
    (
        date(STORY_YEAR, 11, 1),
        "Neglect",
        [SOCIAL, HEALTH, POLICE, SCHOOLS],
        "Children on child protection plans for neglect, with police and schools this time.",
        DEMO_ROUND,
        None,
    ),
    (
        date(STORY_YEAR + 1, 1, 1),
        "Transfers and closures",
        [SOCIAL, HEALTH, SCHOOLS],
        "Cases stepped down or closed in the last six months: was the plan finished and the family told?",
        None,
        None,
    ),
    (
        date(STORY_YEAR + 1, 3, 1),
        "Child sexual exploitation",
        [SOCIAL, POLICE, SCHOOLS],
        "Carried over from 2025-26.",
        None,
        None,
    ),
]


def _planned_on(month: date) -> date:
    """The QA group agrees each year's schedule in the March before it."""
    return date(Quarter.of(month).year, 3, 18)


def _user(local: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))


def _agencies() -> list[Agency]:
    by_name = {a.name: a for a in db.session.scalars(select(Agency))}
    return [by_name[name] for name, _ in AGENCIES if name in by_name]


# ------------------------------------------------------------------------------------------------ quality leads


def _name_quality_leads(summary: DemoSummary) -> None:
    """Name each agency's quality lead, unless it has one (through the agency's domain function: audited)."""
    by_name = {a.name: a for a in _agencies()}
    for index, local in QUALITY_LEADS.items():
        agency, lead = by_name.get(AGENCIES[index][0]), _user(local)
        if agency is None or lead is None or agency.quality_lead_id is not None:
            summary.existing += 1
            continue
        org.save_agency(
            agency=agency,
            name=agency.name,
            kind=agency.kind,
            active=agency.active,
            safeguarding_lead_id=agency.safeguarding_lead_id,
            password_sign_in=agency.password_sign_in,
            quality_lead_id=lead.id,
        )
        summary.created += 1


# ------------------------------------------------------------------------------------------------ the schedule


def _round(name: str | None) -> AuditRound | None:
    return db.session.scalar(select(AuditRound).where(AuditRound.name == name)) if name else None


def _load_schedule(summary: DemoSummary) -> None:
    coordinator = _coordinator()
    for month, theme, agencies, note, round_name, dropped in SCHEDULE:
        planned = db.session.scalar(
            select(PlannedRound).where(PlannedRound.month == month, PlannedRound.theme == theme)
        )
        if planned is not None:
            summary.existing += 1
            continue
        with _as(coordinator):
            with clock_set_to(_fixed(_at(_planned_on(month)))):
                planned = schedule.add_planned_round(
                    month=month, theme=theme, agencies=agencies, note=note, created_by_id=coordinator.id
                )
            audit_round = _round(round_name)
            if audit_round is not None and audit_round.cancelled_at is None:
                linked_on = uk_date(audit_round.drawn_at or audit_round.created_at) + timedelta(days=1)
                with clock_set_to(_fixed(_at(linked_on, 9))):
                    schedule.link_planned_round(planned, round_id=audit_round.id)
            if dropped is not None:
                with clock_set_to(_fixed(_at(dropped[0], 15))):
                    schedule.drop_planned_round(planned, reason=dropped[1])
        summary.created += 1


# ------------------------------------------------------------------------------------------------ returns

# Agency kind -> (fewest, most audits a quarter), the themes it audits, and its usual grades' shares
# (outstanding, good, requires improvement, inadequate: the rest are not graded).
RETURN_SHAPES: dict[AgencyKind, tuple[tuple[int, int], list[str], tuple[float, float, float, float]]] = {
    AgencyKind.SOCIAL_CARE: (
        (20, 40),
        ["Neglect", "Child protection plans", "Assessments", "Transfers and closures", "Voice of the child"],
        (0.05, 0.45, 0.35, 0.1),
    ),
    AgencyKind.HEALTH: (
        (10, 20),
        ["Neglect", "Was not brought", "Domestic abuse", "Information sharing", "Voice of the child"],
        (0.05, 0.5, 0.3, 0.05),
    ),
    AgencyKind.POLICE: (
        (5, 15),
        ["Domestic abuse", "Child sexual exploitation", "Missing children", "Voice of the child"],
        (0.0, 0.4, 0.4, 0.1),
    ),
    AgencyKind.EDUCATION: (
        (5, 10),
        ["Attendance", "Neglect", "Voice of the child", "Early help"],
        (0.1, 0.5, 0.3, 0.0),
    ),
    AgencyKind.PROBATION: ((3, 8), ["Domestic abuse", "Information sharing"], (0.0, 0.4, 0.4, 0.1)),
    AgencyKind.HOUSING: ((2, 6), ["Neglect", "Domestic abuse", "Information sharing"], (0.0, 0.5, 0.3, 0.1)),
}
RETURN_QUARTERS = 6  # the quarters before today's that the demo's agencies have returned
MISSING_LATEST = SCHOOLS  # whose latest return has not come in (the dashboard shows it due or overdue)
UPLOADED_BY = {SOCIAL}  # agencies that send their returns as a sheet

LEARNING = {
    "Neglect": "Chronologies were rarely used to show the build-up of neglect over time.",
    "Child protection plans": "Plans named actions but few said by when, so drift between core groups went unseen.",
    "Assessments": "Assessments described the family well but said little about the child's daily life.",
    "Transfers and closures": "At closure, families were not always told who to contact if things got worse.",
    "Voice of the child": "The child's own words were recorded in most files, but rarely changed the plan.",
    "Was not brought": "Missed appointments were recorded as 'did not attend' and not followed up with the family.",
    "Domestic abuse": "Risk assessments were done, but the impact on the children in the home was seldom written up.",
    "Information sharing": "Information was shared when asked for, but seldom offered before a meeting.",
    "Child sexual exploitation": "Warning signs were spotted early; the return-home interviews were often late.",
    "Missing children": "Return-home interviews happened within 72 hours in most cases, and were used in planning.",
    "Attendance": "Falling attendance was noticed, but not always linked to what was happening at home.",
    "Early help": "Early help plans were started quickly but reviewed less often than the procedures expect.",
}
FOLLOW_UP = (
    "The lead has briefed the teams and will dip-sample again next quarter.",
    "This is going to the agency's safeguarding group with a proposed change to supervision.",
    "Better than last quarter; the improvement plan continues.",
    "Shared with the partnership's QA group for the next multi-agency round.",
)


def _return_numbers(agency: Agency, quarter: Quarter) -> SingleAgencyReturn:
    """One return's numbers, from a seed of the agency and the quarter (the same on every load)."""
    rng = random.Random(f"northshire-return-{agency.name}-{quarter.key}")  # the numbers only: not a secret
    (low, high), themes, shares = RETURN_SHAPES.get(agency.kind, RETURN_SHAPES[AgencyKind.HOUSING])
    audited = rng.randint(low, high)
    counts, left = {}, audited
    for grade, share in zip(RETURN_GRADE_COLUMNS, shares, strict=True):
        given = min(left, max(0, round(audited * share + rng.uniform(-1.5, 1.5))))
        counts[grade], left = given, left - given
    chosen = sorted(rng.sample(themes, rng.randint(1, min(3, len(themes)))))
    learning = f"{LEARNING[rng.choice(chosen)]} {rng.choice(FOLLOW_UP)}"
    returned = SingleAgencyReturn(
        agency_id=agency.id,
        year=quarter.year,
        quarter=quarter.number,
        audited=audited,
        themes=chosen,
        key_learning=learning,
    )
    for grade, column in RETURN_GRADE_COLUMNS.items():
        setattr(returned, column, counts[grade])
    return returned


def _returned_on(agency: Agency, quarter: Quarter) -> date:
    """Within four to five weeks of the quarter's end: before its due date (the last day of the next month)."""
    rng = random.Random(f"northshire-returned-{agency.name}-{quarter.key}")
    return quarter.end + timedelta(days=rng.randint(8, 28))


def demo_return_quarters(today: date) -> list[Quarter]:
    """The quarters the demo's returns are for: the six before ``today``'s, oldest first."""
    quarters = [Quarter.of(today).previous()]
    while len(quarters) < RETURN_QUARTERS:
        quarters.append(quarters[-1].previous())
    return quarters[::-1]


def _load_returns(summary: DemoSummary) -> None:
    quarters = demo_return_quarters(uk_date(utcnow()))
    for agency in _agencies():
        lead = db.session.get(User, agency.quality_lead_id) if agency.quality_lead_id else None
        for quarter in quarters:
            if agency.name == MISSING_LATEST and quarter == quarters[-1]:
                continue
            exists = db.session.scalar(
                select(SingleAgencyReturn.id).where(
                    SingleAgencyReturn.agency_id == agency.id,
                    SingleAgencyReturn.year == quarter.year,
                    SingleAgencyReturn.quarter == quarter.number,
                )
            )
            if exists is not None:
                summary.existing += 1
                continue
            _record_return(agency, quarter, lead)
            summary.created += 1


def _record_return(agency: Agency, quarter: Quarter, lead: User | None) -> None:
    """Record the return as its quality lead sent it (the coordinator where there is none), on its day, through
    the returns' domain function (auditapp/programme/returns.py: checked and audited like any other)."""
    numbers = _return_numbers(agency, quarter)
    day = _returned_on(agency, quarter)
    user = lead or _coordinator()
    grades: dict[str, int | None] = dict(numbers.grade_counts())
    values = ReturnValues(
        audited=numbers.audited,
        grades=grades,
        themes=list(numbers.themes),
        key_learning=numbers.key_learning,
    )
    source = ReturnSource.UPLOAD if agency.name in UPLOADED_BY else ReturnSource.FORM
    with _as(user), clock_set_to(_fixed(_at(day, 11))):
        record_return(agency=agency, quarter=quarter, values=values, user=user, source=source, today=day, version=None)


def load_programme(summary: DemoSummary) -> None:
    """Create whatever of the demo's audit programme is missing (see the module docstring)."""
    _name_quality_leads(summary)
    _load_schedule(summary)
    _load_returns(summary)
