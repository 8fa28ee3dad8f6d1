"""What the QA group writes for the Board about a round: the front section of the round's report (issue 14)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.audit_round import AuditRound
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User
from auditapp.vocabulary import AssuranceLevel


class BoardStatement(Model):
    """One per round: the assurance level and statement, what is working and what worries the QA group, what
    children and families told us, and what the QA group asks of the Board (one ask a line). Written by the QA
    coordinator; every save is an audit-trail event. Free text goes through the report's scrubber."""

    __tablename__ = "board_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_rounds.id"), unique=True)
    assurance_level: Mapped[str] = mapped_column(String(20))  # an AssuranceLevel
    statement: Mapped[str] = mapped_column(Text)
    working: Mapped[str] = mapped_column(Text, default="")
    worried: Mapped[str] = mapped_column(Text, default="")
    voices: Mapped[str] = mapped_column(Text, default="")
    asks: Mapped[str] = mapped_column(Text, default="")  # one ask a line
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    audit_round: Mapped[AuditRound] = relationship()
    updated_by: Mapped[User | None] = relationship()

    @property
    def level(self) -> AssuranceLevel | None:
        try:
            return AssuranceLevel(self.assurance_level)
        except ValueError:
            return None
