"""People who use auditapp and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import db
from auditapp.models.org import Agency, Team
from auditapp.models.types import UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    QA_COORDINATOR = "qa_coordinator"
    AUDITOR = "auditor"
    BOARD_MEMBER = "board_member"

    @property
    def label(self) -> str:
        return {
            "admin": "Admin",
            "qa_coordinator": "QA coordinator",
            "auditor": "Auditor",
            "board_member": "Board member",
        }[self.value]


class AuditorType(enum.StrEnum):
    INDEPENDENT = "independent"
    PEER = "peer"

    @property
    def label(self) -> str:
        return {"independent": "Independent", "peer": "Peer"}[self.value]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    auditor_type: Mapped[AuditorType | None] = mapped_column(str_enum(AuditorType))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # One server-side session token per user: rotating it ends every session of that user.
    session_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot hold a session
        return self.active

    def get_id(self) -> str:
        # Flask-Login stores this in the cookie: the token, never the row id, so rotation logs out.
        return self.session_token or ""

    @property
    def role_label(self) -> str:
        return self.role.label

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
