"""Single sign-on's attempts (issue 16): one row per redirect to an identity provider, used once.

Authlib keeps an attempt's state data (nonce, redirect URI) here rather than in the cookie (see ``auth.sso``), so
the server knows which attempts are open: a callback is accepted once, and a replayed state or a nonce that has
signed in before is refused even when the browser sends back an old cookie. Only SHA-256 digests of the state and
nonce are stored beside the data Authlib needs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from auditapp.extensions import Model
from auditapp.models.types import UTCDateTime, utcnow


class SsoAttempt(Model):
    __tablename__ = "sso_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of Authlib's key (provider and state)
    nonce_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    data: Mapped[dict | None] = mapped_column(JSON)  # Authlib's state data; cleared once used
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
