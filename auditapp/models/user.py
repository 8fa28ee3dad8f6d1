"""People who use auditapp and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.org import Agency, Team
from auditapp.models.types import UTCDateTime, str_enum, utcnow
from auditapp.vocabulary import AuditorType  # defined once there; still importable from here and auditapp.models


class Role(enum.StrEnum):
    ADMIN = "admin"
    QA_COORDINATOR = "qa_coordinator"
    AUDITOR = "auditor"
    BOARD_MEMBER = "board_member"
    ACTION_OWNER = "action_owner"  # issue 16: sees and updates only the actions they own

    @property
    def label(self) -> str:
        return {
            "admin": "Admin",
            "qa_coordinator": "QA coordinator",
            "auditor": "Auditor",
            "board_member": "Board member",
            "action_owner": "Action owner",
        }[self.value]


class User(UserMixin, Model):
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
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted for this user: each step signs in once (no replay of a seen code).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Set when an admin or operator chose the password: the user must change it at their next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Single sign-on (issue 16): a user created at their first sign-in waits, inactive, for an admin's approval;
    # once signed in through a provider, its issuer and subject bind the account to that identity.
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sso_issuer: Mapped[str | None] = mapped_column(String(300))
    sso_subject: Mapped[str | None] = mapped_column(String(255))

    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot hold a session
        return self.active

    #: The token of the sign-in this request belongs to (set when the session is started or loaded; not stored).
    current_session_token = None  # str once set; deliberately unannotated, so the ORM does not map it

    def get_id(self) -> str:
        # Flask-Login stores this in the cookie: the sign-in's own token, never the row id, so ending that sign-in
        # on the server (sign-out, password change, deactivation) makes the cookie worthless.
        return self.current_session_token or ""

    @property
    def role_label(self) -> str:
        return self.role.label

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Model):
    """One sign-in: pending (password given, second factor not yet) or active, until it ends.

    Only a SHA-256 of the token is stored, so a copy of the database cannot be replayed as a cookie.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str] = mapped_column(String(16))  # "pending" or "active"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: A secret offered for enrolment during a pending sign-in (kept here, never in the cookie).
    totp_secret_offered: Mapped[str | None] = mapped_column(String(64))
    next_url: Mapped[str | None] = mapped_column(String(500))
    # How the user signed in (issue 16): "password" or "sso", the provider's name, the provider's ``amr`` values,
    # and when they last proved who they are (sign-in, or a fresh sign-in for publishing or changing roles).
    method: Mapped[str] = mapped_column(String(16), default="password", server_default="password")
    provider: Mapped[str | None] = mapped_column(String(60))
    amr: Mapped[list[str] | None] = mapped_column(JSON)
    reauthenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class SignInCounter(Model):
    """Failed attempts for one email address (known or not), the unit the lock-out counts and locks.

    The row is locked while an attempt is checked (FOR UPDATE on PostgreSQL; SQLite transactions are immediate),
    so parallel attempts are counted one after another.
    """

    __tablename__ = "sign_in_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the lower-cased email
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SiteSetting(Model):
    """Facts about this database itself, such as "this is a demo database"."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
