"""Building and publishing the board report as a background job: a long build never holds a page open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from auditapp.domain.publishing import publish
from auditapp.domain.rounds import get_round
from auditapp.jobs import Progress, job


@job("report_publish")
def run_publish(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    """Render the round's report as a tagged PDF and publish it (stored with its SHA-256, never changed)."""
    from auditapp.reports.render import render_report_pdf

    audit_round = get_round(payload["round_id"])
    as_of = datetime.fromisoformat(payload["as_of"])
    progress(0, 2)
    pdf, pages = render_report_pdf(audit_round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"])
    progress(1, 2)
    report = publish(audit_round, pdf=pdf, pages=pages, as_of=as_of)
    progress(2, 2)
    return f"Published the report ({pages} pages, SHA-256 {report.sha256[:16]}…)", "reports.published"
