"""The learning loop (issue 15): partnership priorities and learning from reviews, and what they are linked to.

A round tests some of them; a finding relates to some of them. The links are plain association tables (no
relationship on ``AuditRound`` or ``Finding``): the domain (``auditapp.domain.learning``) reads and writes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from auditapp.extensions import Model
from auditapp.models.types import UTCDateTime, utcnow

PRIORITY, REVIEW_LEARNING = "priority", "review_learning"
LEARNING_KINDS: dict[str, str] = {
    PRIORITY: "Partnership priority",
    REVIEW_LEARNING: "Learning from a review",
}


class LearningItem(Model):
    """A partnership priority ("Neglect"), or learning from a child safeguarding practice review, a rapid review or
    a national panel review, with its ``source``. Retired items (``active`` false) stay linked where they were."""

    __tablename__ = "learning_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(300))  # e.g. "Child Safeguarding Practice Review: Child K"
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def kind_label(self) -> str:
        return LEARNING_KINDS.get(self.kind, self.kind)


round_learning_items = Table(
    "round_learning_items",
    Model.metadata,
    Column("round_id", ForeignKey("audit_rounds.id"), primary_key=True),
    Column("learning_item_id", ForeignKey("learning_items.id"), primary_key=True, index=True),
)

finding_learning_items = Table(
    "finding_learning_items",
    Model.metadata,
    Column("finding_id", ForeignKey("findings.id"), primary_key=True),
    Column("learning_item_id", ForeignKey("learning_items.id"), primary_key=True, index=True),
)
