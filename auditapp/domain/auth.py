"""Sign-in, lock-out, sessions and two-factor authentication."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import func, select

from auditapp.domain.audit_trail import count_events, record_event
from auditapp.domain.passwords import hash_password, needs_rehash, verify_password
from auditapp.extensions import db
from auditapp.models import User
from auditapp.models.types import utcnow

FAILED = "sign_in_failed"
LOCKED = "sign_in_refused_locked"
# A dummy hash so unknown users cost the same time as known ones (no user enumeration by timing).
_DUMMY_HASH = hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


GENERIC_ERROR = "Enter a correct email address and password"
LOCKED_ERROR = (
    "There have been too many failed attempts to sign in to this account. Wait 5 minutes and try again."
)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(*, email: str, password: str, threshold: int, window: timedelta) -> SignInResult:
    """Check an email and password, applying the lock-out rule.

    The (threshold+1)th attempt within ``window`` after ``threshold`` failures is refused even with the right
    password, and logged. Unknown and known users get the same message. Writes audit events; never commits.
    """
    user = find_user_by_email(email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        record_event(FAILED, object_type="user", details={"email": email.strip().lower()[:254], "reason": "unknown"})
        return SignInResult(None, GENERIC_ERROR)
    since = utcnow() - window
    recent = count_events(action=[FAILED, LOCKED], object_type="user", object_id=user.id, since=since)
    if recent >= threshold:
        record_event(LOCKED, object_type="user", object_id=user.id, details={"recent_failures": recent})
        return SignInResult(None, LOCKED_ERROR)
    if not verify_password(user.password_hash, password) or not user.active:
        reason = "inactive" if user.active is False else "bad_password"
        record_event(FAILED, object_type="user", object_id=user.id, details={"reason": reason})
        return SignInResult(None, GENERIC_ERROR)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignInResult(user)


def start_session(user: User, *, second_factor: bool) -> str:
    """Record a successful sign-in and return the user's server-side session token."""
    if not user.session_token:
        user.session_token = secrets.token_urlsafe(32)
        user.session_started_at = utcnow()
    record_event("sign_in", object_type="user", object_id=user.id, actor_id=user.id, actor_email=user.email,
                 details={"second_factor": second_factor})
    db.session.flush()
    return user.session_token


def end_all_sessions(user: User, *, reason: str) -> None:
    """Rotate the user's session token so every session cookie issued before is refused by the server."""
    user.session_token = None
    user.session_started_at = None
    record_event("sessions_ended", object_type="user", object_id=user.id, details={"reason": reason})
    db.session.flush()


def session_expired(*, signed_in_at: datetime | None, last_seen_at: datetime | None, now: datetime,
                    idle: timedelta, absolute: timedelta) -> str | None:
    """Why a session has expired ("idle" or "absolute"), or None."""
    if signed_in_at is None or now - signed_in_at > absolute:
        return "absolute"
    if last_seen_at is None or now - last_seen_at > idle:
        return "idle"
    return None


def load_user_by_token(token: str) -> User | None:
    if not token:
        return None
    user = db.session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def verify_totp(secret: str, code: str) -> bool:
    code = "".join(ch for ch in code if ch.isdigit())
    return len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def enrol_totp(user: User, *, secret: str, code: str) -> bool:
    """Store ``secret`` as the user's second factor when ``code`` proves the authenticator app has it."""
    if not verify_totp(secret, code):
        record_event("two_factor_failed", object_type="user", object_id=user.id, details={"stage": "enrol"})
        return False
    user.totp_secret = secret
    record_event("two_factor_enrolled", object_type="user", object_id=user.id)
    return True


def check_second_factor(user: User, code: str) -> bool:
    ok = bool(user.totp_secret) and verify_totp(user.totp_secret or "", code)
    if not ok:
        record_event("two_factor_failed", object_type="user", object_id=user.id, actor_id=user.id,
                     details={"stage": "sign_in"})
    return ok
