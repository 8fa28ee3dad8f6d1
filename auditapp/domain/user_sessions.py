"""Server-side sessions: one row per sign-in, so every sign-in gets a token of its own.

A sign-in is *pending* between the password and the second factor (for at most 5 minutes), then *active* under a
new token. Only a SHA-256 of a token is stored. Ending a row (sign-out, timeout, password change, admin reset,
deactivation) makes its cookie worthless at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import User, UserSession
from auditapp.models.types import utcnow

PENDING = "pending"
ACTIVE = "active"
PENDING_FOR = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _digest(token)


@dataclass(frozen=True)
class Method:
    """How the first step was made (issue 16): "password", or "sso" with the provider's name and ``amr``."""

    name: str = "password"
    provider: str | None = None
    amr: list[str] | None = None


PASSWORD = Method()


def start_pending(
    user: User,
    *,
    ip_address: str | None,
    user_agent: str | None,
    next_url: str | None,
    method: Method = PASSWORD,
) -> str:
    """Open a pending sign-in after the password (or identity provider) step; returns its token (for the cookie)."""
    token, digest = _new_token()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=digest,
            stage=PENDING,
            created_at=utcnow(),
            ip_address=ip_address,
            user_agent=(user_agent or "")[:200] or None,
            next_url=next_url,
            method=method.name,
            provider=method.provider,
            amr=method.amr,
        )
    )
    db.session.flush()
    return token


def load_pending(token: str | None) -> UserSession | None:
    """The pending sign-in of ``token`` if it is under 5 minutes old, not ended, and its user is active."""
    if not token:
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == _digest(token), UserSession.stage == PENDING, UserSession.ended_at.is_(None)
        )
    )
    if row is None or utcnow() - row.created_at > PENDING_FOR or not row.user.active:
        return None
    return row


def activate(
    user: User,
    *,
    pending: UserSession | None,
    second_factor: bool,
    ip_address: str | None,
    user_agent: str | None,
    method: Method = PASSWORD,
) -> str:
    """Make the sign-in active under a new token (a pending one is promoted) and record it; returns the token."""
    token, digest = _new_token()
    now = utcnow()
    row = pending or UserSession(
        user_id=user.id,
        created_at=now,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:200] or None,
        method=method.name,
        provider=method.provider,
        amr=method.amr,
    )
    row.token_hash, row.stage, row.signed_in_at, row.last_seen_at = digest, ACTIVE, now, now
    row.second_factor, row.totp_secret_offered = second_factor, None
    db.session.add(row)
    db.session.flush()
    record_event(
        "sign_in",
        object_type="user",
        object_id=user.id,
        actor_id=user.id,
        actor_email=user.email,
        details={"second_factor": second_factor, "session_id": row.id}
        | ({"method": row.method, "provider": row.provider} if row.method != "password" else {}),
    )
    return token


def reauthenticated(row: UserSession, *, how: str) -> None:
    """The signed-in user proved who they are again (for publishing or changing roles): a fresh sign-in now."""
    row.reauthenticated_at = utcnow()
    record_event(
        "reauthenticated",
        object_type="user",
        object_id=row.user_id,
        details={"session_id": row.id, "method": how},
    )
    db.session.flush()


def proved_within(row: UserSession | None, *, seconds: int, now: datetime) -> bool:
    """True when the sign-in (or the last re-authentication) of ``row`` is at most ``seconds`` old."""
    if row is None:
        return False
    stamps = [stamp for stamp in (row.signed_in_at, row.reauthenticated_at) if stamp is not None]
    return bool(stamps) and now - max(stamps) <= timedelta(seconds=seconds)


def load_active(token: str | None, *, absolute: timedelta) -> UserSession | None:
    """The active, unexpired sign-in of ``token`` whose user is still active, or None."""
    if not token:
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == _digest(token), UserSession.stage == ACTIVE, UserSession.ended_at.is_(None)
        )
    )
    if row is None or row.signed_in_at is None or utcnow() - row.signed_in_at > absolute or not row.user.active:
        return None
    return row


def touch(row: UserSession, *, now: datetime) -> None:
    """Note that the session was used (at most once a minute, so reading pages does not write every time)."""
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.flush()


def end_session(row: UserSession, *, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.ended_reason = utcnow(), reason[:32]
        record_event(
            "session_ended", object_type="user", object_id=row.user_id, details={"session_id": row.id, "reason": reason}
        )
        db.session.flush()


def sign_out(user: User, row: UserSession | None, *, reason: str) -> None:
    """The user signed out (or was signed out): record it and end this sign-in."""
    record_event("sign_out", object_type="user", object_id=user.id, details={"reason": reason})
    if row is not None:
        end_session(row, reason=reason)


def time_out(user: User, row: UserSession | None, *, reason: str) -> None:
    """The sign-in passed its idle or absolute timeout (``reason``): record it as the user's, and end it."""
    record_event(
        "session_timed_out",
        object_type="user",
        object_id=user.id,
        actor_id=user.id,
        actor_email=user.email,
        details={"reason": reason},
    )
    if row is not None:
        end_session(row, reason=f"timed_out_{reason}")


def end_all_sessions(user: User, *, reason: str, keep: UserSession | None = None) -> int:
    """End every open sign-in of ``user`` (except ``keep``); records how many. Returns that number."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    # An UPDATE's result is a CursorResult (Session.execute is typed as returning any Result).
    result = cast(
        CursorResult[Any],
        db.session.execute(
            query.values(ended_at=utcnow(), ended_reason=reason[:32]).execution_options(synchronize_session="fetch")
        ),
    )
    ended = result.rowcount
    record_event("sessions_ended", object_type="user", object_id=user.id, details={"reason": reason, "sessions": ended})
    db.session.flush()
    return ended


def active_sessions(user: User, *, absolute: timedelta) -> list[UserSession]:
    """The user's sign-ins still open, newest first."""
    since = utcnow() - absolute
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.stage == ACTIVE,
                UserSession.ended_at.is_(None),
                UserSession.signed_in_at >= since,
            )
            .order_by(UserSession.signed_in_at.desc())
        )
    )


def session_expired(
    *, signed_in_at: datetime | None, last_seen_at: datetime | None, now: datetime, idle: timedelta, absolute: timedelta
) -> str | None:
    """Why a session has expired ("idle" or "absolute"), or None."""
    if signed_in_at is None or now - signed_in_at > absolute:
        return "absolute"
    if last_seen_at is None or now - last_seen_at > idle:
        return "idle"
    return None
