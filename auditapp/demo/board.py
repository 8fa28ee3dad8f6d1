"""The demo's statement for the Board on its completed round (issue 14): synthetic, realistic words for the front
section of the report. Everything here is invented; no child, family or worker is described."""

from __future__ import annotations

from auditapp.domain.board_statement import BoardWords, save_statement, statement_for
from auditapp.models import AuditRound
from auditapp.vocabulary import AssuranceLevel

STATEMENT = BoardWords(
    assurance_level=AssuranceLevel.LIMITED,
    statement=(
        "The QA group gives the Board limited assurance that children living with neglect in Northshire get the "
        "help they need when they need it.\n"
        "The basics are mostly in place. Most files had an up-to-date chronology, the family's history was "
        "considered in most assessments, and workers knew the children they visited.\n"
        "But the help too often did not follow. Fewer than half of the children had a plan that reflected their own "
        "wishes and feelings, or the multi-agency strategy discussion they needed, and three of the four children "
        "on a child protection plan had been on one for two years or more. After moderation, more than half of the "
        "audits found the work required improvement or was inadequate.\n"
        "The assurance will be reasonable when every child's plan says what they asked for and what will change, "
        "and health and education join every strategy discussion about neglect. We will audit both in the autumn."
    ),
    working=(
        "The history is on the file. Most files had a chronology that was up to date, and most assessments "
        "considered earlier referrals and plans, so fewer families had to tell their story again.\n"
        "Where health and education joined the strategy discussion from the start, core groups were well attended "
        "and the plan changed when the child's circumstances did."
    ),
    worried=(
        "Plans are written around the adults. Children told workers what worried them, but fewer than half of "
        "their plans said what would change because of it, and some children stopped saying.\n"
        "Agencies are not always in the room. Fewer than half of the children had a multi-agency strategy "
        "discussion when one was needed, and where there was none, the plan rested on one agency's view.\n"
        "Plans drift. Three of the four children on a child protection plan had been on one for two years or more."
    ),
    voices=(
        "Children told their workers about hunger, cold homes and missing school, often more plainly than the "
        "adults did. Several older children said they wanted someone to check on them at school, not only at "
        "home.\n"
        "Parents said that a worker who stayed, and who remembered what had happened before, made the biggest "
        "difference.\n"
        "We heard these words through the files: the audit did not speak to children or families directly. The "
        "next round will include conversations with families who agree to take part."
    ),
    asks=(
        "Ask children's social care to add 'what the child told us and what we will do' to the child protection "
        "plan template by January, and report at the March meeting.\n"
        "Ask health and education to commit to joining every strategy discussion about neglect.\n"
        "Ask the independent reviewing service to report on every child who has been on a plan for more than 18 "
        "months.\n"
        "Fund conversations with families in the next audit round, so that the Board hears from them directly."
    ),
)


def write_demo_statement(audit_round: AuditRound) -> None:
    """Write the demo's Board statement for ``audit_round`` (once: an existing statement is kept)."""
    if statement_for(audit_round) is None:
        save_statement(audit_round, STATEMENT)
