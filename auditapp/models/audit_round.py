"""Audit rounds: the sample drawn for a round, and the auditors assigned to each sampled case."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.case import Case
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User
from auditapp.vocabulary import AuditState, RoundMode

# Keyed by str: AuditRound.mode is a str column (RoundMode members are equal to their values).
MODES: dict[str, str] = {mode: mode.label for mode in RoundMode}
STRATIFY_FIELDS = {
    "none": "No stratification",
    "locality": "Locality",
    "team": "Team",
    "status": "Status",
    "agency": "Agency",
}


class AuditRound(Model):
    __tablename__ = "audit_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    theme: Mapped[str | None] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(20))
    # {"statuses": [...], "localities": [...], "teams": [...], "agencies": [...], "open_from": iso, "open_to": iso}
    population_filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exclude_audited_within_months: Mapped[int] = mapped_column(Integer, default=12)
    sample_size: Mapped[int] = mapped_column(Integer, default=12)
    stratify_by: Mapped[str] = mapped_column(String(20), default="none")
    min_per_stratum: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    peers_not_from_case_locality: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Blind moderation (issue 14): the moderator records their own grade before seeing the auditor's.
    blind_moderation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_load: Mapped[int | None] = mapped_column(Integer)
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)  # multi-agency rounds: agency names
    lead_agency: Mapped[str | None] = mapped_column(String(120))
    due_date: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seed: Mapped[str | None] = mapped_column(String(200))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    drawn_by: Mapped[str | None] = mapped_column(String(254))
    certificate: Mapped[str | None] = mapped_column(Text)  # the sampling certificate, JSON
    # A witnessed draw (hashrank-v2, issue 14): the population frozen, and its fingerprint shown to the witness.
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    frozen_by: Mapped[str | None] = mapped_column(String(254))
    frozen_population_sha256: Mapped[str | None] = mapped_column(String(64))
    witnessed_by: Mapped[str | None] = mapped_column(String(254))  # "name (role)" of the draw's witness
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # under the retention policy
    # The audit tool pinned when the round is created: a later version never changes this round.
    tool_key: Mapped[str] = mapped_column(
        String(80), default="multi_agency_case_file_audit", server_default="multi_agency_case_file_audit"
    )
    tool_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    tool_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Cancelled (issue 13): kept, with its sample and trail, but nothing more can be done on it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    exclusions: Mapped[list[RoundExclusion]] = relationship(
        cascade="all, delete-orphan", order_by="RoundExclusion.case_ref"
    )
    sampled: Mapped[list[SampledCase]] = relationship(
        cascade="all, delete-orphan", back_populates="round", order_by="(SampledCase.stratum, SampledCase.position)"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return "Cancelled"
        if self.drawn_at is None:
            return "Not sampled"
        assignments = [
            a
            for s in self.sampled
            if not s.replaced
            for a in s.assignments
            if a.audit is None or a.audit.state != AuditState.WITHDRAWN  # withdrawn audits hold no place
        ]
        if not assignments:
            return "Sampled"
        if all(a.audit is not None and a.audit.state == AuditState.MODERATED for a in assignments):
            return "Audits moderated"
        return "In progress"


class RoundExclusion(Model):
    """A case the coordinator named as not to be drawn, with the reason (e.g. under serious case review)."""

    __tablename__ = "round_exclusions"
    __table_args__ = (UniqueConstraint("round_id", "case_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_rounds.id", ondelete="CASCADE"), index=True)
    case_ref: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))


class SampledCase(Model):
    """A case in a round's sample; ``replaced`` ones stay, to show the replacement history."""

    __tablename__ = "sampled_cases"
    __table_args__ = (UniqueConstraint("round_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_rounds.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    replaced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    replaced_reason: Mapped[str | None] = mapped_column(String(500))

    case: Mapped[Case] = relationship()
    round: Mapped[AuditRound] = relationship(back_populates="sampled")
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="sampled_case", order_by="(Assignment.lead.desc(), Assignment.id)"
    )


class Assignment(Model):
    """An auditor assigned to a sampled case, for an agency's place (None: independent)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("sampled_case_id", "auditor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sampled_case_id: Mapped[int] = mapped_column(ForeignKey("sampled_cases.id"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_name: Mapped[str | None] = mapped_column(String(120))
    lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    due_date: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Manual assignments that break a conflict rule: the rules broken and the coordinator's justification.
    breaches: Mapped[list[str]] = mapped_column(JSON, default=list)
    justification: Mapped[str | None] = mapped_column(Text)

    sampled_case: Mapped[SampledCase] = relationship(back_populates="assignments")
    auditor: Mapped[User] = relationship(foreign_keys=[auditor_id])

    if TYPE_CHECKING:
        # The backref of AgencyAudit.assignment: the assignment's AgencyAudit once started, else None. Any, not
        # AgencyAudit: naming it here would import models.audit, which imports this module (an import cycle, which
        # tests/test_house.py forbids even for TYPE_CHECKING imports).
        audit: Mapped[Any]
