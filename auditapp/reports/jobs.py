"""Building and publishing the board report as a background job: a long build never holds a page open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from auditapp.domain import publishing
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import get_round
from auditapp.jobs import Progress, job
from auditapp.reports.report_types import Interim, Version


@job("report_publish")
def run_publish(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    """Check the round again, render its report as a tagged PDF and publish it as the round's next version (stored
    with its SHA-256, never changed). An incomplete round gives an interim report, which needs the reason given
    on the check page; a round that became incomplete since the check is refused, to be checked again."""
    from auditapp.reports.render import render_report_pdf

    audit_round = get_round(payload["round_id"])
    as_of = datetime.fromisoformat(payload["as_of"])
    progress(0, 2)
    missing = publishing.readiness(audit_round).missing()
    reason = (payload.get("interim_reason") or "").strip()
    change = (payload.get("change_reason") or "").strip()
    if missing and not reason:
        raise DomainError("The round changed after you checked it and is not complete: check it again, then publish")
    latest = publishing.latest_report(audit_round)
    current = publishing.current_report(audit_round)
    if current is not None and not change:
        raise DomainError("A report was published after you checked the round: check it again, then publish")
    version = Version(
        number=latest.version + 1 if latest else 1,
        replaces=current.version if current else None,
        reason=change if current else None,
    )
    pdf, pages = render_report_pdf(
        audit_round,
        as_of=as_of,
        partnership=current_app.config["PARTNERSHIP_NAME"],
        interim=Interim(missing=missing, reason=reason) if missing else None,
        version=version,
    )
    progress(1, 2)
    report = publishing.publish(
        audit_round,
        pdf=pdf,
        pages=pages,
        as_of=as_of,
        missing=missing,
        interim_reason=reason,
        change_reason=change if current else None,
    )
    progress(2, 2)
    kind = " as an interim report" if report.interim else ""
    return (
        f"Published the report{kind} (version {report.version}, {pages} pages, SHA-256 {report.sha256[:16]}…)",
        "reports.published",
    )
