"""Views of a round that show children's data, each recorded in the audit trail.

The round page lists the sampled cases, the findings page the cases a finding names, the certificate every case
reference in the population, and the report (preview and draft PDF) pseudonymised case summaries. The events name
the round only: no case references or other child data go into their details.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditapp.domain.trail.events import record_event
from auditapp.models import AuditRound


def view_round(audit_round: AuditRound) -> None:
    """The coordinator opened the round page (its sample, assignments and progress)."""
    record_event("round_viewed", object_type="round", object_id=audit_round.id)


def view_findings(audit_round: AuditRound) -> None:
    """The coordinator opened the round's findings page."""
    record_event("findings_viewed", object_type="round", object_id=audit_round.id)


def download_certificate(audit_round: AuditRound) -> dict[str, Any]:
    """The round's sampling certificate, for download. Raises DomainError when no sample has been drawn."""
    from auditapp.domain.sampling import certificate_of

    certificate = certificate_of(audit_round)
    record_event(
        "certificate_downloaded",
        object_type="round",
        object_id=audit_round.id,
        details={
            "population_size": certificate.get("population_size"),
            "sample_size": len(certificate.get("sample") or []),
        },
    )
    return certificate


def report_previewed(audit_round: AuditRound, *, as_of: datetime) -> None:
    """The coordinator read the board report in the browser (the web layer renders it)."""
    record_event(
        "report_previewed", object_type="round", object_id=audit_round.id, details={"as_of": as_of.isoformat()}
    )


def report_draft_trail(audit_round: AuditRound, *, as_of: datetime, pages: int) -> tuple[str, str, int, dict[str, Any]]:
    """The event recorded when the coordinator downloads a draft PDF of the board report (made in the worker, kept
    on its job only: issue 16)."""
    return ("report_draft_downloaded", "round", audit_round.id, {"as_of": as_of.isoformat(), "pages": pages})
