"""Findings of a round, the actions that follow them, and the board reports published for it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.audit_round import AuditRound
from auditapp.models.org import Agency
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User
from auditapp.vocabulary import ActionStatus

# Keyed by str: Action.status is a str column (ActionStatus members are equal to their values).
ACTION_STATUSES: dict[str, str] = {status: status.label for status in ActionStatus}


class Finding(Model):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(Text, default="")
    question_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # the tool questions it rests on
    case_refs: Mapped[list[str]] = mapped_column(JSON, default=list)  # the sampled cases it rests on
    so_what: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    audit_round: Mapped[AuditRound] = relationship()
    actions: Mapped[list[Action]] = relationship(back_populates="finding", order_by="Action.id")


class Action(Model):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    owner_name: Mapped[str] = mapped_column(String(120))
    # Issue 16: the user who owns the action and records its progress (None: an action from before, named only).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The learning loop (issue 15): how we will know it worked, when to look again, and the round that does.
    success_measure: Mapped[str | None] = mapped_column(Text)  # None: an action from before issue 15
    reaudit_date: Mapped[date | None] = mapped_column(Date)
    reaudit_round_id: Mapped[int | None] = mapped_column(ForeignKey("audit_rounds.id"))

    finding: Mapped[Finding] = relationship(back_populates="actions")
    agency: Mapped[Agency] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reaudit_round: Mapped[AuditRound | None] = relationship(foreign_keys=[reaudit_round_id])
    updates: Mapped[list[ActionUpdate]] = relationship(order_by="ActionUpdate.id")

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)

    def is_overdue(self, today: date) -> bool:
        """Overdue: past its due date and not done."""
        return self.status != ActionStatus.DONE and self.due_date < today


class ActionUpdate(Model):
    """A dated progress note on an action (append-only)."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    # Issue 16: the owner's RAG rating (a Rag) and the evidence of progress (what, where it can be seen).
    rag: Mapped[str | None] = mapped_column(String(10))
    evidence: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()


class PublishedReport(Model):
    """A published board report: the PDF exactly as published, and its SHA-256. Never changed afterwards.

    Each publication of a round is a new version (1, 2, ...); the newest supersedes the earlier ones. An interim
    report was published before the round was complete: ``missing`` says what was missing, ``interim_reason``
    why it was published anyway. A withdrawal is a :class:`ReportWithdrawal` row, so this row never changes.
    """

    __tablename__ = "published_reports"
    __table_args__ = (UniqueConstraint("round_id", "version", name="uq_published_reports_round_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_rounds.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    interim: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    interim_reason: Mapped[str | None] = mapped_column(Text)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)  # what was incomplete, in words
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("published_reports.id"))
    change_reason: Mapped[str | None] = mapped_column(Text)  # why this version replaces the one it supersedes

    audit_round: Mapped[AuditRound] = relationship()
    published_by: Mapped[User | None] = relationship()
    withdrawal: Mapped[ReportWithdrawal | None] = relationship(back_populates="report", uselist=False)


class ReportWithdrawal(Model):
    """A published report withdrawn from the board, with the reason: its own row, so the report never changes."""

    __tablename__ = "report_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("published_reports.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    report: Mapped[PublishedReport] = relationship(back_populates="withdrawal")
    withdrawn_by: Mapped[User | None] = relationship()
