"""Messages to people (issue 16): one row per message to one person, and each person's choices.

A message is written in the transaction of the change that causes it (an audit assigned, a concern raised), so a
change that rolls back tells nobody; the worker sends it after the commit. ``idempotency_key`` names the event
and its recipient, and is unique: the same event never makes a second message, however often it is noticed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User
from auditapp.vocabulary import DeliveryStatus


class Notification(Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(40), index=True)  # a NotifyEvent
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # the address when the message was made
    link: Mapped[str] = mapped_column(String(500))  # a path on this site, e.g. /audits/12
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED, index=True)
    channel: Mapped[str | None] = mapped_column(String(20))  # "notify", "smtp", or None (not sent)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner: Mapped[str | None] = mapped_column(String(80))  # host:pid:start of the worker sending it
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_reference: Mapped[str | None] = mapped_column(String(120))  # Notify's id, or the Message-ID
    error: Mapped[str | None] = mapped_column(Text)  # the last failure, in words (no child's data)

    user: Mapped[User] = relationship()


class NotificationPreference(Model):
    """A user's choice for one kind of optional message; no row: they get it."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event", name="uq_notification_preferences_user_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))  # a NotifyEvent with .optional
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
