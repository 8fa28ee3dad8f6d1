"""The demo's earlier round: "Neglect, autumn 2025", completed and published six months before the completed
round, so the Board report has a real trend and something in "what happened to the last round's actions".

It is played out through the domain like the other demo rounds (each step acting as the person who would take it),
but on a demo clock: every step runs at its own date from September 2025 to June 2026, and the audit trail, the
sampling certificate and the records agree on those dates. The clock is :func:`auditapp.models.types.clock_set_to`,
which every ``utcnow`` (the domain's, the trail's and the column defaults) reads while this module loads the round.

The sample is drawn on the seeded path (hashrank-v1, :func:`auditapp.domain.sampling.draw_sample`): the round
is from before witnessed draws (hashrank-v2), and its report's technical annex says so. The later demo rounds are
drawn witnessed (demo/audits.py ``witnessed_draw``).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from auditapp.demo.answers import GRADES, _agency_answers, tool_for_audit
from auditapp.demo.audits import _as, _joint_answers, _records, _save, _submit
from auditapp.demo.facts import AGENCIES, DOMAIN, EARLIER_ROUND
from auditapp.extensions import db
from auditapp.models import Agency, AgencyAudit, AgencyKind, AuditRound, User
from auditapp.models.types import clock_set_to
from auditapp.vocabulary import ActionStatus, ModerationDecision, RoundMode

if TYPE_CHECKING:
    from auditapp.demo.facts import DemoSummary

EARLIER_SEED = "northshire-autumn-2025"
DRAWN_AT = datetime(2025, 9, 15, 10, 0, tzinfo=UTC)
# The quality of the work with each of the 8 children, in sample order (the lead auditor's grade).
EARLIER_GRADES = (
    "requires_improvement",
    "good",
    "inadequate",
    "requires_improvement",
    "good",
    "requires_improvement",
    "outstanding",
    "inadequate",
)
REGRADED = (2, False)  # (case index, lead audit?): the one audit the moderator regraded
# (title, question ids, evidence, so what, recommendation, actions); each action is
# (description, agency kind, owner, due date, [(date, status, note), ...]).
FINDINGS = [
    (
        "Plans for neglected children had no timescales, so drift went unnoticed",
        ["plan_smart", "management_oversight"],
        "In most plans the actions had no dates or named owners, and reviews repeated the same actions.",
        "Children lived with neglect for months longer than they needed to, because nobody could see that the "
        "plan was not working.",
        "Every child protection plan names who does what by when, and each review checks it.",
        [
            (
                "Add review dates and a named owner to every action in the child protection plan template",
                AgencyKind.SOCIAL_CARE,
                "Head of Quality Assurance",
                date(2026, 1, 31),
                [
                    (date(2025, 12, 3), ActionStatus.IN_PROGRESS, "Template redrafted with the QA group."),
                    (date(2026, 1, 26), ActionStatus.DONE, "New template in use in all four localities."),
                ],
            ),
            (
                "Health visitors bring a growth and development summary to every core group",
                AgencyKind.HEALTH,
                "Named Nurse for Safeguarding",
                date(2026, 3, 31),
                [
                    (date(2025, 12, 10), ActionStatus.IN_PROGRESS, "Summary form agreed; teams briefed."),
                    (date(2026, 3, 20), ActionStatus.DONE, "Dip sample: summaries at 9 of 10 core groups."),
                ],
            ),
        ],
    ),
    (
        "Home conditions were described, but not what they meant for the child",
        ["child_views_on_plan", "child_seen_alone"],
        "Assessments recorded the state of the home in detail but rarely said how the child's day was affected.",
        "Without the child's experience in view, decisions were about the house, not the child, and help came "
        "late for the youngest children.",
        "Assessments of neglect say what the child's day is like and what has to change for them.",
        [
            (
                "Run practice workshops on describing the impact of neglect on the child",
                AgencyKind.SOCIAL_CARE,
                "Principal Social Worker",
                date(2026, 2, 28),
                [
                    (date(2025, 12, 15), ActionStatus.IN_PROGRESS, "Two of four workshops held."),
                    (date(2026, 2, 20), ActionStatus.DONE, "All four workshops held; 86 staff attended."),
                ],
            ),
            (
                "Schools' safeguarding leads share attendance patterns with the core group",
                AgencyKind.EDUCATION,
                "Head of Inclusion",
                date(2026, 5, 31),
                [
                    (date(2026, 1, 14), ActionStatus.IN_PROGRESS, "Data-sharing agreement drafted."),
                    (
                        date(2026, 5, 12),
                        ActionStatus.IN_PROGRESS,
                        "Awaiting sign-off by two academy trusts; the others share attendance already.",
                    ),
                ],
            ),
        ],
    ),
    (
        "Other adults in the household were rarely assessed",
        ["history_considered", "multi_agency_strategy"],
        "New partners and other adults living in the home were named but not assessed, and police checks on "
        "them were not asked for.",
        "Risks to children from adults in the home were missed until something happened.",
        "Every assessment considers each adult in the household, with police checks asked for at the start.",
        [
            (
                "Add a section on every adult in the household to the assessment template",
                AgencyKind.SOCIAL_CARE,
                "Service Manager, Assessment",
                date(2026, 4, 30),
                [
                    (date(2026, 1, 20), ActionStatus.IN_PROGRESS, "Section drafted and tested in the North."),
                    (date(2026, 4, 22), ActionStatus.DONE, "In the template for all teams from April."),
                ],
            ),
            (
                "Police share what they know about new adults in the household within two working days of a request",
                AgencyKind.POLICE,
                "Detective Inspector, Public Protection",
                date(2027, 6, 30),
                [(date(2026, 6, 2), ActionStatus.IN_PROGRESS, "Pilot running in the South since May.")],
            ),
        ],
    ),
]


class _Clock:
    """The demo clock: the time each step of the earlier round happens at."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date, hour: int = 10) -> datetime:
        self.now = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        return self.now


def load_earlier_round(summary: DemoSummary) -> None:
    """Add the earlier, published round when it is missing (a re-run changes nothing)."""
    found = db.session.scalar(select(AuditRound).where(AuditRound.name == EARLIER_ROUND))
    if found is not None:
        summary.existing += 1 + _records(found)
        return
    clock = _Clock(DRAWN_AT)
    with clock_set_to(clock):
        audit_round = _drawn(clock)
        _audited(audit_round, clock)
        _findings_and_report(audit_round, clock)
    summary.created += 1 + _records(audit_round)


def _agency_of_kind() -> dict[AgencyKind, Agency]:
    """Each kind's first demo agency in facts.AGENCIES order (for health, the community trust)."""
    by_name = {a.name: a for a in db.session.scalars(select(Agency))}
    found: dict[AgencyKind, Agency] = {}
    for name, kind in AGENCIES:
        if name in by_name:
            found.setdefault(kind, by_name[name])
    return found


def demo_owner(post: str) -> User | None:
    """Issue 16: the demo user who holds ``post`` and owns its actions (facts.ACTION_OWNERS), or None (named only)."""
    from auditapp.demo.facts import ACTION_OWNERS

    local = ACTION_OWNERS.get(post)
    return db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}")) if local else None


def demo_action(finding, *, description: str, agency: Agency, post: str, due: date):
    """Issue 16: an action of the demo's action plan, named by its owner's post and owned by the demo user who holds
    it (``demo_owner``), when there is one."""
    from auditapp.domain.findings import add_action

    owner = demo_owner(post)
    return add_action(
        finding,
        description=description,
        agency_id=agency.id,
        owner_name=post,
        owner_id=owner.id if owner else None,
        due_date=due,
    )


def demo_progress(action, *, status: str, note: str) -> None:
    """A progress update as its owner records it (the coordinator for an action named only), with the RAG and
    evidence the demo gives it (facts.ACTION_RAG, facts.ACTION_EVIDENCE)."""
    from auditapp.demo.facts import ACTION_EVIDENCE, ACTION_RAG
    from auditapp.domain.findings import add_update
    from auditapp.models.types import utcnow

    rag = "red" if status != ActionStatus.DONE and action.due_date < utcnow().date() else ACTION_RAG[status]
    with _as(action.owner or _coordinator()):
        add_update(action, status=status, note=note, rag=rag, evidence=ACTION_EVIDENCE.get(note))


def _coordinator() -> User:
    coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DOMAIN}"))
    if coordinator is None:  # load_demo creates the demo's people first
        raise RuntimeError("the demo's QA coordinator is missing")
    return coordinator


def _drawn(clock: _Clock) -> AuditRound:
    from auditapp.domain.assignments import assign_automatically
    from auditapp.domain.rounds import RoundSettings, create_round
    from auditapp.domain.sampling import draw_sample

    coordinator = _coordinator()
    with _as(coordinator):
        audit_round = create_round(
            RoundSettings(
                name=EARLIER_ROUND,
                theme="Neglect",
                mode=RoundMode.MULTI_AGENCY,
                statuses=["cin", "cp"],
                open_to=date(2025, 7, 31),  # children known by the summer of 2025: the population is as at 2026
                sample_size=8,
                stratify_by="locality",
                min_per_stratum=True,
                agencies=[AGENCIES[0][0], AGENCIES[1][0]],
                lead_agency=AGENCIES[0][0],
                due_date=date(2025, 10, 31),
                tool_version=2,  # audited in 2025, before the 2026 tool
            ),
            created_by_id=coordinator.id,
        )
        audit_round.created_at = clock.now
        clock.now += timedelta(hours=2)
        draw_sample(audit_round, seed=EARLIER_SEED)
        assign_automatically(audit_round)
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            assignment.assigned_at = clock.now
    db.session.flush()
    return audit_round


def _audited(audit_round: AuditRound, clock: _Clock) -> None:
    """Each audit submitted in late September and October 2025, moderated openly, then the joint discussions."""
    from auditapp.domain.audits import open_audit
    from auditapp.domain.moderation import moderate, record_joint

    rng = random.Random(20250915)
    cases = sorted((s for s in audit_round.sampled if not s.replaced), key=lambda s: (s.stratum, s.position))
    audits: dict[int, list[AgencyAudit]] = {}
    for index, sampled in enumerate(cases):
        grade = EARLIER_GRADES[index % len(EARLIER_GRADES)]
        for assignment in sorted(sampled.assignments, key=lambda a: not a.lead):
            clock.at(date(2025, 9, 24) + timedelta(days=3 * index + (0 if assignment.lead else 1)), hour=14)
            mine = grade if assignment.lead else GRADES[min(GRADES.index(grade) + rng.choice((0, 0, 1)), 3)]
            with _as(assignment.auditor):
                audit = open_audit(assignment)
                tool = tool_for_audit(audit)
                _save(audit, tool, _agency_answers(tool, audit, index, mine, rng))
                _submit(audit)
            audits.setdefault(index, []).append(audit)
    coordinator = _coordinator()
    for index, case_audits in audits.items():
        for audit in case_audits:
            clock.at(date(2025, 10, 22) + timedelta(days=index // 2), hour=11)
            with _as(coordinator):
                if (index, audit.assignment.lead) == REGRADED:
                    moderate(
                        audit,
                        decision=ModerationDecision.REGRADED,
                        grade="inadequate",
                        comment="The child was not seen for nine weeks and the plan did not change: inadequate.",
                    )
                else:
                    moderate(audit, decision=ModerationDecision.AGREED)
    for index, sampled in enumerate(cases):
        clock.at(date(2025, 10, 29) + timedelta(days=index // 4), hour=15)
        lead = next(a for a in sampled.assignments if a.lead)
        with _as(lead.auditor):
            answers = _joint_answers(index, EARLIER_GRADES[index], audits[index], rng)
            errors = record_joint(sampled, answers=answers, complete=True)
        if errors:
            raise RuntimeError(f"demo joint discussion did not complete: {errors}")


def _findings_and_report(audit_round: AuditRound, clock: _Clock) -> None:
    """The findings and actions (7 November 2025), the report published (14 November), then the actions'
    progress updates at their own dates."""
    from flask import current_app

    from auditapp.domain.findings import add_finding
    from auditapp.domain.publishing import publish
    from auditapp.reports.render import render_report_pdf

    coordinator = _coordinator()
    agencies = _agency_of_kind()
    updates = []
    with _as(coordinator):
        clock.at(date(2025, 11, 7))
        for title, questions, evidence, so_what, recommendation, actions in FINDINGS:
            finding = add_finding(
                audit_round,
                title=title,
                so_what=so_what,
                evidence=evidence,
                question_ids=questions,
                recommendation=recommendation,
            )
            finding.created_at = clock.now
            for description, kind, owner, due, progress in actions:
                action = demo_action(finding, description=description, agency=agencies[kind], post=owner, due=due)
                action.created_at = clock.now
                updates += [(day, action, status, note) for day, status, note in progress]
        db.session.flush()
        as_of = clock.at(date(2025, 11, 14), hour=12)
        pdf, pages = render_report_pdf(audit_round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"])
        publish(audit_round, pdf=pdf, pages=pages, as_of=as_of)
        for day, action, status, note in sorted(updates, key=lambda u: (u[0], u[1].id)):
            clock.at(day, hour=16)
            demo_progress(action, status=status, note=note)
    db.session.flush()
