"""Sign-in: the password check under the lock-out, and two-factor authentication (TOTP) with no replay.

The lock-out counts failures per email address, known or not, in ``sign_in_counters``: wrong passwords, wrong
security codes and wrong current passwords alike. Each attempt locks its counter row before it is checked, so
parallel attempts are counted one after another and no more than the threshold are ever checked in a window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import pyotp
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from auditapp.domain.passwords import hash_password, needs_rehash, verify_password
from auditapp.domain.trail.events import record_event, record_refusal
from auditapp.domain.user_sessions import end_all_sessions
from auditapp.extensions import db
from auditapp.models import SignInCounter, User
from auditapp.models.types import utcnow

FAILED = "sign_in_failed"
LOCKED = "sign_in_refused_locked"
# A dummy hash so unknown users cost the same time as known ones (no user enumeration by timing).
_dummy: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash to check an unknown address's password against, so it costs what a known one does. Made at the first
    sign-in, not at import (with the hasher then configured; about 0.1 s that no command should pay)."""
    if "hash" not in _dummy:
        _dummy["hash"] = hash_password(secrets.token_hex(16))
    return _dummy["hash"]


GENERIC_ERROR = "Enter a correct email address and password"
LOCKED_ERROR = "There have been too many failed attempts to sign in to this account. Wait 5 minutes and try again."


@dataclass(frozen=True)
class Policy:
    """The lock-out rule: ``threshold`` failures within ``window`` lock the address for ``window``."""

    threshold: int
    window: timedelta


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None
    locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


# -- the lock-out counter ---------------------------------------------------------------------------------------


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def lock_counter(email: str) -> SignInCounter:
    """The counter of ``email``, created if new and locked for the rest of the transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the row. SQLite: the transaction is already ``BEGIN IMMEDIATE`` (see
    ``extensions.make_sqlite_transactional``), so it holds the database's write lock.
    """
    key = _key(email)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(SignInCounter).values(key=key, failures=0).on_conflict_do_nothing(index_elements=["key"]))
    return db.session.scalars(
        select(SignInCounter)
        .where(SignInCounter.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def is_locked(counter: SignInCounter, *, now: datetime) -> bool:
    return counter.locked_until is not None and now < counter.locked_until


def count_failure(counter: SignInCounter, *, policy: Policy, now: datetime) -> bool:
    """Count one failure; True when it locks the address."""
    if counter.window_started_at is None or now - counter.window_started_at > policy.window:
        counter.failures, counter.window_started_at = 0, now
    counter.failures += 1
    locks = counter.failures >= policy.threshold
    if locks:
        counter.failures, counter.window_started_at, counter.locked_until = 0, None, now + policy.window
    db.session.flush()
    return locks


def clear_failures(counter: SignInCounter) -> None:
    counter.failures, counter.window_started_at, counter.locked_until = 0, None, None
    db.session.flush()


def record_locked(email: str, user: User | None) -> None:
    """The refused attempt on a locked address (kept even though the answer is an error)."""
    record_refusal(
        LOCKED,
        object_type="user",
        object_id=user.id if user else None,
        details={} if user else {"email": email.strip().lower()[:254]},
    )


# -- the password step ------------------------------------------------------------------------------------------


def authenticate(*, email: str, password: str, policy: Policy) -> SignInResult:
    """Check an email and password under the lock-out rule.

    A locked address is refused before any password is checked, even the right one. Known, unknown and inactive
    accounts get the same message at every attempt. Writes audit events and the counter; never commits. Raises
    HashingBusy when this process is hashing at capacity.
    """
    now = utcnow()
    counter = lock_counter(email)
    user = find_user_by_email(email)
    if is_locked(counter, now=now):
        record_locked(email, user)
        return SignInResult(None, LOCKED_ERROR, locked=True)
    matches = verify_password(user.password_hash if user else _dummy_hash(), password) and user is not None
    if not matches or user is None or not user.active:  # (matches implies a user: spelled out for mypy)
        count_failure(counter, policy=policy, now=now)
        reason = "unknown" if user is None else "inactive" if not user.active else "bad_password"
        record_event(
            FAILED,
            object_type="user",
            object_id=user.id if user else None,
            details={"reason": reason} if user else {"email": email.strip().lower()[:254], "reason": reason},
        )
        return SignInResult(None, GENERIC_ERROR)
    clear_failures(counter)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignInResult(user)


def check_current_password(user: User, password: str, *, policy: Policy, purpose: str) -> str | None:
    """Check a signed-in user's password before a sensitive change; the error to show, or None when right.

    Wrong answers count toward the same lock-out as sign-in failures and are audited, and the record is kept even
    though the form answers with an error.
    """
    now = utcnow()
    counter = lock_counter(user.email)
    if is_locked(counter, now=now):
        record_locked(user.email, user)
        return LOCKED_ERROR
    if verify_password(user.password_hash, password):
        clear_failures(counter)
        return None
    details = {"reason": "bad_password", "stage": purpose}
    record_refusal(
        FAILED,
        object_type="user",
        object_id=user.id,
        details=details,
        redo=lambda: count_failure(lock_counter(user.email), policy=policy, now=now),
    )
    count_failure(counter, policy=policy, now=now)
    return "Your current password is not correct"


# -- two-factor -------------------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def matching_step(secret: str, code: str, *, now: datetime | None = None) -> int | None:
    """The TOTP time step ``code`` belongs to (this one or either neighbour), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Accept ``step`` for ``user`` once: an atomic compare-and-set, so a replayed or raced code is refused."""
    # An UPDATE's result is a CursorResult (Session.execute is typed as returning any Result).
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ),
    )
    claimed = result.rowcount
    if claimed == 1:
        user.totp_last_step = step
        db.session.flush()
    return claimed == 1


def _code_failed(user: User, *, stage: str, policy: Policy, now: datetime) -> bool:
    """Count a wrong code toward the lock-out and audit it; True when it locks the account."""
    record_event("two_factor_failed", object_type="user", object_id=user.id, actor_id=user.id, details={"stage": stage})
    return count_failure(lock_counter(user.email), policy=policy, now=now)


@dataclass(frozen=True)
class CodeResult:
    """``locked``: the account is locked now. ``refused``: it already was, so nothing was checked or counted (the
    answer can be an error); otherwise a failure was counted and must be committed."""

    ok: bool
    locked: bool = False
    refused: bool = False


def check_second_factor(user: User, code: str, *, policy: Policy) -> CodeResult:
    """Check a sign-in's security code under the lock-out; each time step signs in once."""
    now = utcnow()
    counter = lock_counter(user.email)
    if is_locked(counter, now=now):
        record_locked(user.email, user)
        return CodeResult(False, locked=True, refused=True)
    step = matching_step(user.totp_secret or "", code, now=now) if user.totp_secret else None
    if step is not None and _claim_step(user, step):
        clear_failures(counter)
        return CodeResult(True)
    return CodeResult(False, locked=_code_failed(user, stage="sign_in", policy=policy, now=now))


def enrol_totp(user: User, *, secret: str, code: str, policy: Policy, replacing: bool = False) -> CodeResult:
    """Store ``secret`` as the user's second factor when ``code`` proves the authenticator app has it.

    The caller has already checked that the user may enrol (no secret yet, or password and current code given).
    A wrong code counts toward the lock-out, and a locked account cannot enrol.
    """
    now = utcnow()
    if is_locked(lock_counter(user.email), now=now):
        record_locked(user.email, user)
        return CodeResult(False, locked=True, refused=True)
    step = matching_step(secret, code, now=now)
    if step is None:
        return CodeResult(False, locked=_code_failed(user, stage="enrol", policy=policy, now=now))
    user.totp_secret, user.totp_last_step = secret, step  # the enrolment code cannot sign in again
    record_event("two_factor_replaced" if replacing else "two_factor_enrolled", object_type="user", object_id=user.id)
    db.session.flush()
    return CodeResult(True)


def check_current_code(user: User, code: str, *, policy: Policy) -> bool:
    """Prove possession of the current authenticator before replacing it (each step once, failures counted)."""
    now = utcnow()
    step = matching_step(user.totp_secret or "", code, now=now) if user.totp_secret else None
    if step is not None and _claim_step(user, step):
        return True
    record_refusal(
        "two_factor_failed",
        object_type="user",
        object_id=user.id,
        details={"stage": "replace"},
        redo=lambda: count_failure(lock_counter(user.email), policy=policy, now=now),
    )
    count_failure(lock_counter(user.email), policy=policy, now=now)
    return False


def reset_two_factor(user: User, *, reason: str) -> None:
    """An admin's reset: the user's authenticator is forgotten and they set up a new one at their next sign-in."""
    user.totp_secret, user.totp_last_step = None, None
    record_event("two_factor_reset", object_type="user", object_id=user.id, details={"reason": reason[:500]})
    end_all_sessions(user, reason="two_factor_reset")
