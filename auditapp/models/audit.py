"""Audits: one agency audit per assignment, the joint discussion per case, moderation, safeguarding concerns,
and audit tools loaded by an admin (the shipped tools live in the package)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.audit_round import Assignment, SampledCase
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User
from auditapp.vocabulary import AuditState

# Keyed by str: AgencyAudit.state is a str column (AuditState members are equal to their values).
AUDIT_STATES: dict[str, str] = {state: state.label for state in AuditState}


class ToolVersion(Model):
    """An audit tool version loaded by an admin. Versions are immutable: a change is a new version."""

    __tablename__ = "tool_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgencyAudit(Model):
    """One auditor's audit of one sampled case, answered against the round's pinned tool."""

    __tablename__ = "agency_audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=AuditState.NOT_STARTED, index=True)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Optimistic concurrency: every save must carry the version it was loaded at.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderation_decision: Mapped[str | None] = mapped_column(String(20))  # a ModerationDecision
    moderation_comment: Mapped[str | None] = mapped_column(Text)
    moderated_grade: Mapped[str | None] = mapped_column(String(40))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Blind moderation: the moderator's own grade, recorded before they saw the auditor's, and the auditor's grade
    # at that moment (the pair stands even if the audit is returned and re-graded later).
    blind_grade: Mapped[str | None] = mapped_column(String(40))
    blind_auditor_grade: Mapped[str | None] = mapped_column(String(40))
    blind_graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    blind_graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assignment: Mapped[Assignment] = relationship(backref=backref("audit", uselist=False))
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    blind_graded_by: Mapped[User | None] = relationship(foreign_keys=[blind_graded_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return AUDIT_STATES.get(self.state, self.state)


class JointDiscussion(Model):
    """The multi-agency conclusions for one sampled case, recorded by the lead auditor."""

    __tablename__ = "joint_discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sampled_case_id: Mapped[int] = mapped_column(ForeignKey("sampled_cases.id"), unique=True)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The panel record (issue 15): when the panel met, who attended ([{"name", "role", "agency"}, ...]) and what
    # the agencies did not agree and how it was resolved.
    panel_date: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    disagreements: Mapped[str | None] = mapped_column(Text)
    # The feedback letter to the allocated worker and team manager (issue 15).
    letter_worker_name: Mapped[str | None] = mapped_column(String(200))
    letter_manager_name: Mapped[str | None] = mapped_column(String(200))
    letter_strengths: Mapped[str | None] = mapped_column(Text)
    letter_learning: Mapped[str | None] = mapped_column(Text)

    sampled_case: Mapped[SampledCase] = relationship()

    __mapper_args__ = {"version_id_col": version}


class SafeguardingConcern(Model):
    """An immediate concern about a child's current safety, raised from an audit."""

    __tablename__ = "safeguarding_concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    sampled_case_id: Mapped[int] = mapped_column(ForeignKey("sampled_cases.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    description: Mapped[str] = mapped_column(Text)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    action_taken: Mapped[str | None] = mapped_column(Text)

    sampled_case: Mapped[SampledCase] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
