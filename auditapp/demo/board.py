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
        "Plans are mostly good. The plans of 10 of the 12 children were specific and time-bound, most reflected "
        "what the child had said, and where a chronology was kept it was used.\n"
        "But too many decisions are made by one or two agencies alone, and help starts late. Only 4 of the 12 "
        "children had the multi-agency strategy discussion they needed, the assessments of 5 of the 12 took longer "
        "than 45 working days, and two of the five children on a child protection plan had been on one for two "
        "years or more. After moderation, 13 of the 24 audits found the work required improvement or was "
        "inadequate.\n"
        "The assurance will be reasonable when health and education join every strategy discussion about neglect "
        "and assessments are finished on time. We will audit both in the autumn."
    ),
    working=(
        "Plans say what will happen. The plans of 10 of the 12 children were specific, measurable and "
        "time-bound, and 9 of the 12 reflected the child's own wishes and feelings.\n"
        "Where health and education joined the strategy discussion from the start, core groups were well attended "
        "and the plan changed when the child's circumstances did."
    ),
    worried=(
        "Decisions are made without all the agencies. 8 of the 12 children had no multi-agency strategy "
        "discussion when one was needed, and there the decision rested on what police and social care knew.\n"
        "Help starts late. The assessments of 5 of the 12 children took longer than 45 working days.\n"
        "The history is not always on the file. A third of the audits found no chronology, and there earlier "
        "referrals were not considered, so families had to tell their story again.\n"
        "Plans drift. Two of the five children on a child protection plan had been on one for two years or more."
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
        "Ask children's social care and the police to invite health and education to every strategy discussion "
        "about neglect, and to report at the March meeting how many did.\n"
        "Ask children's social care to report each quarter on how long assessments of neglect take.\n"
        "Ask the independent reviewing service to report on every child who has been on a plan for more than 18 "
        "months.\n"
        "Fund conversations with families in the next audit round, so that the Board hears from them directly."
    ),
)


def write_demo_statement(audit_round: AuditRound) -> None:
    """Write the demo's Board statement for ``audit_round`` (once: an existing statement is kept)."""
    if statement_for(audit_round) is None:
        save_statement(audit_round, STATEMENT)
