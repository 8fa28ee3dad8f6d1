"""The demo's findings, action plan (one action overdue) and published board report for the completed round."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.findings import add_finding
from auditapp.domain.publishing import publish
from auditapp.extensions import db
from auditapp.models import AgencyKind, AuditRound, Finding, Role, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import ActionStatus

FINDINGS = [
    {
        "title": "Strategy discussions about neglect were too often held without health and education",
        "question_ids": ["multi_agency_strategy", "core_group_attendance"],
        "evidence": "Only 6 of the 12 children had the multi-agency strategy discussion they needed. For the "
        "others police and social care decided alone, without the school or the health visitor.",
        "so_what": "Decisions about whether a child was suffering significant harm were made without what the "
        "people who saw the child every week knew, so for some children neglect was judged a lesser concern than "
        "it was, and help came later.",
        "recommendation": "Health and education are invited to, and take part in, every strategy discussion about "
        "neglect.",
        "actions": [
            (
                "Invite the school and the health visitor to every strategy discussion about neglect, through one "
                "duty contact in each agency",
                AgencyKind.SOCIAL_CARE,
                "Head of Quality Assurance",
                date(2027, 1, 31),
                None,
            ),
            (
                "Health visitors and school nurses name a safeguarding lead able to join a strategy discussion the "
                "same day",
                AgencyKind.HEALTH,
                "Named Nurse for Safeguarding",
                date(2026, 7, 31),
                (ActionStatus.IN_PROGRESS, "Rota drafted; cover for school holidays still to agree."),
            ),
        ],
    },
    {
        "title": "Without chronologies, history was not used and families started again",
        "question_ids": ["chronology_present", "history_considered"],
        "evidence": "Where there was no chronology, earlier referrals and plans were not considered in the assessment.",
        "so_what": "Children whose neglect had been seen before waited longer for help, because each new worker "
        "began as if it were the first time.",
        "recommendation": "A chronology is started at the first assessment and kept up to date and used at every "
        "review.",
        "actions": [
            (
                "Audit chronology use in all open child protection cases",
                AgencyKind.SOCIAL_CARE,
                "Service Manager, Child Protection",
                date(2027, 3, 31),
                (ActionStatus.OPEN, "Scope agreed at the QA group."),
            )
        ],
    },
    {
        "title": "Where agencies worked together from the start, children's circumstances improved",
        "question_ids": ["multi_agency_strategy", "plan_smart"],
        "evidence": "Strategy discussions that included health and education led to clearer plans and better "
        "attended core groups.",
        "so_what": "For these children, school and health staff noticed change early and the plan adapted, so "
        "neglect was reduced within months.",
        "recommendation": "Health and education take part in every strategy discussion about neglect.",
        "actions": [],
    },
]


def load_demo_findings(summary, round_name: str) -> None:
    """Write the completed round's findings and actions and publish its report (once)."""
    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == round_name))
    if audit_round is None:
        return
    if db.session.scalar(select(Finding.id).where(Finding.round_id == audit_round.id)):
        summary.existing += 1
        return
    coordinator = db.session.scalar(select(User).where(User.role == Role.QA_COORDINATOR).order_by(User.id))
    from auditapp.demo.earlier import _agency_of_kind, demo_action, demo_progress

    agencies = _agency_of_kind()  # for health, the community trust
    actor = ActorContext(user_id=coordinator.id, email=coordinator.email, role="qa_coordinator", channel="demo")
    with acting_as(actor):
        for item in FINDINGS:
            finding = add_finding(
                audit_round,
                title=item["title"],
                so_what=item["so_what"],
                evidence=item["evidence"],
                question_ids=item["question_ids"],
                recommendation=item["recommendation"],
            )
            for description, kind, owner, due, update in item["actions"]:
                action = demo_action(finding, description=description, agency=agencies[kind], post=owner, due=due)
                if update:
                    demo_progress(action, status=update[0], note=update[1])
        from auditapp.demo.board import write_demo_statement
        from auditapp.reports.render import render_report_pdf

        write_demo_statement(audit_round)  # the QA group's words for the Board: a full report needs them
        as_of = utcnow()  # the report says when it was produced; the demo publishes it once
        pdf, pages = render_report_pdf(audit_round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"])
        publish(audit_round, pdf=pdf, pages=pages, as_of=as_of)
    summary.created += 1
