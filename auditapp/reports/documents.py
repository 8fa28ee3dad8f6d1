"""The two small PDFs beside the Board report (issue 15): the feedback letter to a child's allocated worker and
team manager, and a round's 7-minute briefing for practitioners. Both are tagged PDF/UA-1 documents made with the
Board report's renderer (:func:`auditapp.reports.render.html_to_pdf`) and print stylesheet conventions.
"""

from __future__ import annotations

from datetime import UTC

from flask import current_app

from auditapp.domain.briefing import build_briefing
from auditapp.domain.feedback_letter import FeedbackLetter
from auditapp.models import AuditRound
from auditapp.models.types import utcnow


def render_letter_pdf(letter: FeedbackLetter) -> bytes:
    """The feedback letter as a tagged PDF: this child's case only (see ``domain.feedback_letter``)."""
    from auditapp.reports.render import PRINT_CSS, PROTECTIVE_MARKING, html_to_pdf

    html = current_app.jinja_env.get_template("letters/feedback_letter.html").render(
        letter=letter,
        css_url=PRINT_CSS.as_uri(),
        marking=PROTECTIVE_MARKING,
        title=f"Feedback letter: case {letter.case_ref}",
        dated_iso=letter.dated.strftime("%Y-%m-%dT00:00:00Z"),
    )
    pdf, _pages = html_to_pdf(html)
    return pdf


def render_briefing_pdf(audit_round: AuditRound, *, partnership: str) -> tuple[bytes, int]:
    """The round's 7-minute briefing as a tagged PDF, and its page count (one: ``domain.briefing`` keeps it so)."""
    from auditapp.reports.render import fmt_date, html_to_pdf

    html = current_app.jinja_env.get_template("briefings/seven_minute.html").render(
        b=build_briefing(audit_round),
        partnership=partnership,
        fmt_date=fmt_date,
        generated_iso=utcnow().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return html_to_pdf(html)
