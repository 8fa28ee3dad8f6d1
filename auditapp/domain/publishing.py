"""Publishing a round's board report: the PDF and its SHA-256 stored immutably; downloads are audited."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AuditRound, PublishedReport


def publish(audit_round: AuditRound, *, pdf: bytes, pages: int, as_of: datetime) -> PublishedReport:
    """Store the report exactly as rendered. A later publication is a new report; nothing is overwritten."""
    if not pdf.startswith(b"%PDF"):
        raise DomainError("The report could not be produced")
    report = PublishedReport(
        round_id=audit_round.id,
        title=f"{audit_round.name}: case file audit report",
        published_by_id=current_actor().user_id,
        as_of=as_of,
        pdf=pdf,
        pages=pages,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    db.session.add(report)
    db.session.flush()
    record_event(
        "report_published",
        object_type="published_report",
        object_id=report.id,
        details={"round_id": audit_round.id, "sha256": report.sha256, "pages": pages},
    )
    return report


def published_reports() -> list[PublishedReport]:
    return list(db.session.scalars(select(PublishedReport).order_by(PublishedReport.published_at.desc())))


def download(report: PublishedReport) -> bytes:
    """The published PDF; every download is an audit event."""
    record_event(
        "report_downloaded", object_type="published_report", object_id=report.id, details={"sha256": report.sha256}
    )
    return report.pdf
