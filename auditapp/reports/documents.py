"""The two small PDFs beside the Board report (issue 15): the feedback letter to a child's allocated worker and
team manager, and a round's 7-minute briefing for practitioners. Both are tagged PDF/UA-1 documents made with the
Board report's renderer (:func:`auditapp.reports.render.html_to_pdf`) and print stylesheet conventions.

Issue 16: these, and the draft Board report, are made in the worker: the makers below are the documents
(``reports.document_jobs``) the views ask for; each download records the trail event the view used to record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app

from auditapp.domain import briefing as briefing_domain
from auditapp.domain import feedback_letter as letter_domain
from auditapp.domain import publishing, round_views
from auditapp.domain.briefing import build_briefing
from auditapp.domain.errors import NotFound
from auditapp.domain.feedback_letter import FeedbackLetter
from auditapp.domain.rounds import get_round
from auditapp.extensions import db
from auditapp.models import AuditRound, SampledCase
from auditapp.models.types import utcnow
from auditapp.reports.document_jobs import Document, document
from auditapp.reports.report_types import Interim


def render_letter_pdf(letter: FeedbackLetter) -> tuple[bytes, int]:
    """The feedback letter as a tagged PDF, and its page count: this child's case only (see
    ``domain.feedback_letter``)."""
    from auditapp.reports.render import PRINT_CSS, PROTECTIVE_MARKING, html_to_pdf

    html = current_app.jinja_env.get_template("letters/feedback_letter.html").render(
        letter=letter,
        css_url=PRINT_CSS.as_uri(),
        marking=PROTECTIVE_MARKING,
        title=f"Feedback letter: case {letter.case_ref}",
        dated_iso=letter.dated.strftime("%Y-%m-%dT00:00:00Z"),
    )
    return html_to_pdf(html)


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


def _pages(pages: int) -> str:
    return f"{pages} {'page' if pages == 1 else 'pages'}"


@document("draft_report")
def make_draft_report(payload: dict[str, Any]) -> Document:
    """A draft of the round's Board report as it stands at ``as_of`` (for the coordinator to check; not stored as a
    report): an interim report when the round is incomplete. Payload: round_id, as_of."""
    from auditapp.reports.render import render_report_pdf

    audit_round = get_round(payload["round_id"])
    as_of = datetime.fromisoformat(payload["as_of"])
    check = publishing.readiness(audit_round)
    interim = None if check.complete else Interim(missing=check.missing(), reason=None)
    pdf, pages = render_report_pdf(
        audit_round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"], interim=interim
    )
    return Document(
        name=f"draft-report-round-{audit_round.id}.pdf",
        content=pdf,
        trail=round_views.report_draft_trail(audit_round, as_of=as_of, pages=pages),
        summary=_pages(pages),
    )


@document("feedback_letter")
def make_feedback_letter(payload: dict[str, Any]) -> Document:
    """The feedback letter of a sampled case (payload: sampled_id), dated the day it is made."""
    sampled = db.session.get(SampledCase, payload["sampled_id"])
    if sampled is None:
        raise NotFound("The case is no longer in the round")
    letter = letter_domain.letter_for_download(
        sampled, partnership=current_app.config["PARTNERSHIP_NAME"], today=utcnow().date()
    )
    pdf, pages = render_letter_pdf(letter)
    return Document(
        name=f"feedback-letter-case-{sampled.id}.pdf",
        content=pdf,
        trail=letter_domain.download_trail(sampled),
        summary=_pages(pages),
    )


@document("briefing")
def make_briefing(payload: dict[str, Any]) -> Document:
    """The round's 7-minute briefing (payload: round_id)."""
    audit_round = get_round(payload["round_id"])
    pdf, pages = render_briefing_pdf(audit_round, partnership=current_app.config["PARTNERSHIP_NAME"])
    return Document(
        name=f"7-minute-briefing-round-{audit_round.id}.pdf",
        content=pdf,
        trail=briefing_domain.download_trail(audit_round),
        summary=_pages(pages),
    )
