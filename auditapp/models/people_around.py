"""The people around the child (issue 15): the auditors' conversations with the allocated worker and their team
manager, and the family's views, one of each per sampled case."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.audit_round import SampledCase
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User


class ConversationKind(enum.StrEnum):
    WORKER = "worker"
    MANAGER = "manager"
    FAMILY = "family"

    @property
    def label(self) -> str:
        return {
            "worker": "The allocated worker",
            "manager": "The team manager",
            "family": "The family's views",
        }[self.value]


class ConversationMethod(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    WRITTEN = "written"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "phone": "By phone", "video": "By video call", "written": "In writing"}[
            self.value
        ]


class CaseConversation(Model):
    """What one of the people around the child said about the work with the child, as the lead auditor (or a QA
    coordinator) recorded it. One per kind per sampled case. For the family, ``sought`` says whether their views
    were sought; when not, ``not_sought_reason`` says why and the other fields stay empty. This holds the child's
    information: every view and change is an audit-trail event."""

    __tablename__ = "case_conversations"
    __table_args__ = (UniqueConstraint("sampled_case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sampled_case_id: Mapped[int] = mapped_column(ForeignKey("sampled_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a ConversationKind
    name: Mapped[str | None] = mapped_column(String(200))  # for the family: who, e.g. "Mother and young person"
    role: Mapped[str | None] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(20))  # a ConversationMethod
    said: Mapped[str | None] = mapped_column(Text)
    sought: Mapped[bool | None] = mapped_column(Boolean)  # the family only
    not_sought_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sampled_case: Mapped[SampledCase] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ConversationKind(self.kind).label

    @property
    def method_label(self) -> str | None:
        try:
            return ConversationMethod(self.method).label if self.method else None
        except ValueError:
            return self.method
