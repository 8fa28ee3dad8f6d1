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
        "Much of the planning is sound. The plans of 8 of the 12 children were specific and time-bound, most "
        "reflected what the child had said, and none of the five children on a child protection plan had been on "
        "one for two years or more.\n"
        "But too many decisions are made by one or two agencies alone, and the history is often missing. Only 6 of "
        "the 12 children had the multi-agency strategy discussion they needed, 9 of the 24 audits found no "
        "chronology on the file, and the assessments of 2 of the 12 took longer than 45 working days. After "
        "moderation, 14 of the 24 audits found the work required improvement or was inadequate.\n"
        "The assurance will be reasonable when health and education join every strategy discussion about neglect "
        "and every child's file has a chronology that is used. We will audit both in the autumn."
    ),
    working=(
        "Plans say what will happen. The plans of 8 of the 12 children were specific, measurable and "
        "time-bound, and 8 of the 12 reflected the child's own wishes and feelings.\n"
        "Plans do not drift: none of the five children on a child protection plan had been on one for two years "
        "or more.\n"
        "Where health and education joined the strategy discussion from the start, core groups were well attended "
        "and the plan changed when the child's circumstances did."
    ),
    worried=(
        "Decisions are made without all the agencies. 6 of the 12 children had no multi-agency strategy "
        "discussion when one was needed, and there the decision rested on what police and social care knew.\n"
        "The history is not on the file. 9 of the 24 audits found no chronology, and there earlier referrals "
        "were not considered, so families had to tell their story again.\n"
        "Some help starts late. The assessments of 2 of the 12 children took longer than 45 working days."
    ),
    voices=(
        "Children told their workers about hunger, cold homes and missing school, often more plainly than the "
        "adults did. Several older children said they wanted someone to check on them at school, not only at "
        "home. The babies and toddlers in the sample were observed rather than asked: the best records said what "
        "the worker saw of the child's care at a mealtime or at play.\n"
        "Parents said that a worker who stayed, and who remembered what had happened before, made the biggest "
        "difference.\n"
        "We heard these words through the files: the audit did not speak to children or families directly. The "
        "next round will include conversations with families who agree to take part."
    ),
    asks=(
        "Ask children's social care and the police to invite health and education to every strategy discussion "
        "about neglect, and to report at the March meeting how many did.\n"
        "Ask every agency to report each quarter how many of its open child protection files have a chronology "
        "that is up to date.\n"
        "Ask children's social care to report each quarter on how long assessments of neglect take.\n"
        "Fund conversations with families in the next audit round, so that the Board hears from them directly."
    ),
)


def write_demo_statement(audit_round: AuditRound) -> None:
    """Write the demo's Board statement for ``audit_round`` (once: an existing statement is kept)."""
    if statement_for(audit_round) is None:
        save_statement(audit_round, STATEMENT)
