"""The audit programme (issue 17): each agency's quarterly single-agency audit return, and the year's planned
multi-agency rounds (the schedule the dashboard sets against what was done)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.audit_round import AuditRound
from auditapp.models.org import Agency
from auditapp.models.types import UTCDateTime, utcnow

#: The grade columns of a return, best first, keyed by the grade values of ``auditapp.tools.GRADE_OPTIONS``.
RETURN_GRADE_COLUMNS: dict[str, str] = {
    "outstanding": "graded_outstanding",
    "good": "graded_good",
    "requires_improvement": "graded_requires_improvement",
    "inadequate": "graded_inadequate",
}


class SingleAgencyReturn(Model):
    """One agency's own (single-agency) case-file audits in one quarter, recorded by its quality lead or a QA
    coordinator: how many were audited, how many got each grade (the rest were not graded), the themes looked
    at and the key learning. One per agency and quarter; a correction changes it (the trail keeps the change)."""

    __tablename__ = "single_agency_returns"
    __table_args__ = (UniqueConstraint("agency_id", "year", "quarter", name="uq_single_agency_returns_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the financial year's starting year (auditapp.domain.quarters)
    quarter: Mapped[int] = mapped_column(Integer)  # 1 (April to June) to 4 (January to March)
    audited: Mapped[int] = mapped_column(Integer)
    graded_outstanding: Mapped[int] = mapped_column(Integer, default=0)
    graded_good: Mapped[int] = mapped_column(Integer, default=0)
    graded_requires_improvement: Mapped[int] = mapped_column(Integer, default=0)
    graded_inadequate: Mapped[int] = mapped_column(Integer, default=0)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_learning: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="form")  # a ReturnSource
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)

    agency: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def grade_counts(self) -> dict[str, int]:
        """Grade value -> number of audits given it, best first."""
        return {grade: getattr(self, column) for grade, column in RETURN_GRADE_COLUMNS.items()}

    @property
    def ungraded(self) -> int:
        return self.audited - sum(self.grade_counts().values())


class PlannedRound(Model):
    """A multi-agency round the year's audit schedule plans: its theme, the month it is to start in and the
    agencies it is to include; ``round_id`` links the round that carried it out, once there is one."""

    __tablename__ = "planned_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # always the first of the month
    theme: Mapped[str] = mapped_column(String(120))
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)  # agency names, as AuditRound.agencies
    note: Mapped[str | None] = mapped_column(Text)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("audit_rounds.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # taken out of the plan, with a reason
    dropped_reason: Mapped[str | None] = mapped_column(Text)

    audit_round: Mapped[AuditRound | None] = relationship()
