"""Single sign-on's rules (issue 16): who an identity provider's verified identity is here, and every refusal.

The web layer (``auth.sso``) talks to the provider through Authlib, which checks the ID token's signature, issuer,
audience, expiry and nonce. This module then decides, from the token's claims, which provisioned user it is:

* the email must be present, verified (``email_verified``) and in one of the provider's domains;
* the user is found by that email (case-insensitive); a user already bound to an identity (``sso_issuer`` and
  ``sso_subject``) must be that identity; the first sign-in binds it;
* the user must be active and belong to the provider's agency (else: another tenant's account);
* an unknown user is refused, unless the provider creates users: then an inactive action owner (the least
  privileged role) is created, waiting for an admin to approve it.

Each attempt (a redirect to the provider) is stored in ``sso_attempts`` and used once, so a replayed callback (the
same state again, or a nonce that has signed in already) is refused. Refusals are audited with the provider and
the reason, never the token. Nothing here commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from auditapp.domain.passwords import hash_password
from auditapp.domain.trail.events import record_event, record_refusal
from auditapp.extensions import db
from auditapp.models import Agency, Role, User
from auditapp.models.sso import SsoAttempt
from auditapp.models.types import utcnow

#: ``amr`` values that mean a second factor was used at the provider (RFC 8176; Entra ID sends "mfa").
SECOND_FACTORS = frozenset({"mfa", "otp", "hwk", "swk", "fido"})
#: The role of a user created at their first sign-in: an action owner sees only the actions they own.
JIT_ROLE = Role.ACTION_OWNER
REFUSED = "sso_sign_in_refused"

REASONS: dict[str, str] = {
    "provider_error": "Your organisation's sign-in service did not confirm who you are. Start again from the sign-in "
    "page.",
    "provider_unreachable": "Your organisation's sign-in service is not answering. Try again in a few minutes.",
    "not_started_here": "This sign-in was not started in this browser, or it took too long. Start again from the "
    "sign-in page.",
    "replayed_state": "This sign-in has already been used. Start again from the sign-in page.",
    "replayed_nonce": "This sign-in has already been used. Start again from the sign-in page.",
    "no_email": "Your organisation's account did not tell us your email address. Ask your IT service desk to "
    "include it.",
    "email_unverified": "Your organisation has not confirmed your email address. Ask your IT service desk.",
    "wrong_tenant": "Your account belongs to another organisation. Use the button for your own organisation, or "
    "ask your partnership's auditapp administrator.",
    "unknown_user": "There is no auditapp account for your email address. Ask your partnership's auditapp "
    "administrator to add you.",
    "deactivated": "Your auditapp account has been deactivated. Ask your partnership's auditapp administrator.",
    "awaiting_approval": "Your auditapp account is waiting for an administrator to approve it.",
    "identity_mismatch": "Your auditapp account is linked to a different account at your organisation. Ask your "
    "partnership's auditapp administrator.",
    "different_person": "You confirmed who you are as a different person. Sign in again as yourself.",
}


@dataclass(frozen=True)
class Tenant:
    """What the rules need of a provider (``auth.sso_config.Provider`` gives one)."""

    name: str
    issuer: str
    agency: str
    domains: tuple[str, ...]
    create_users: bool = False


@dataclass(frozen=True)
class Outcome:
    """A user to sign in, a user just created (waiting for approval), or a refusal (``reason``, in REASONS)."""

    user: User | None = None
    created: User | None = None
    reason: str | None = None

    @property
    def message(self) -> str:
        return REASONS[self.reason] if self.reason else ""


def second_factor_used(amr: list[str] | None) -> bool:
    return bool(SECOND_FACTORS & set(amr or []))


# -- the attempts, each used once -------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def save_attempt(key: str, data: dict[str, Any], *, expires_in: int) -> None:
    """Store Authlib's state data for ``key`` (its "_state_<provider>_<state>")."""
    nonce = (data.get("data") or {}).get("nonce")
    now = utcnow()
    db.session.add(
        SsoAttempt(
            key_hash=_digest(key),
            nonce_hash=_digest(nonce) if nonce else None,
            data=data,
            created_at=now,
            expires_at=now + timedelta(seconds=expires_in),
        )
    )
    db.session.flush()


def _attempt(key: str) -> SsoAttempt | None:
    return db.session.scalar(select(SsoAttempt).where(SsoAttempt.key_hash == _digest(key)))


def attempt_status(key: str, *, now: datetime | None = None) -> str:
    """ "open", "used" (a replay), or "unknown" (never started here, or expired)."""
    row = _attempt(key)
    if row is None:
        return "unknown"
    if row.used_at is not None:
        return "used"
    return "open" if (now or utcnow()) < row.expires_at else "unknown"


def load_attempt(key: str) -> dict[str, Any] | None:
    return row.data if (row := _attempt(key)) is not None and attempt_status(key) == "open" else None


def use_attempt(key: str) -> bool:
    """Mark the attempt used (its data forgotten); False when it was used already (a raced or replayed callback)."""
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(SsoAttempt)
            .where(SsoAttempt.key_hash == _digest(key), SsoAttempt.used_at.is_(None))
            .values(used_at=utcnow(), data=None)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.flush()
    return result.rowcount == 1


def nonce_used_before(nonce: str | None, key: str) -> bool:
    """True when another, already used attempt carried ``nonce`` (an ID token replayed into a new attempt)."""
    if not nonce:
        return False
    found = db.session.scalar(
        select(func.count(SsoAttempt.id)).where(
            SsoAttempt.nonce_hash == _digest(nonce),
            SsoAttempt.key_hash != _digest(key),
            SsoAttempt.used_at.is_not(None),
        )
    )
    return bool(found)


# -- refusals and matching --------------------------------------------------------------------------------------


def refuse(tenant_name: str, reason: str, *, user: User | None = None, key: str | None = None) -> Outcome:
    """Audit a refused sign-in (kept when the answer, a 403, rolls the rest back) and use up its attempt."""
    assert reason in REASONS, reason
    record_refusal(
        REFUSED,
        object_type="user",
        object_id=user.id if user else None,
        details={"provider": tenant_name, "reason": reason},
        redo=(lambda: use_attempt(key)) if key else None,
    )
    return Outcome(reason=reason)


def _agency_id(tenant: Tenant) -> int | None:
    return db.session.scalar(select(Agency.id).where(func.lower(Agency.name) == tenant.agency.lower()))


def _create_pending(tenant: Tenant, email: str, claims: dict[str, Any], agency_id: int) -> User:
    name = str(claims.get("name") or email.split("@")[0])[:120]
    user = User(
        email=email,
        name=name,
        role=JIT_ROLE,
        agency_id=agency_id,
        password_hash=hash_password(_digest(f"{email} {utcnow().isoformat()}")),  # never given to anyone
        active=False,
        pending_approval=True,
        sso_issuer=tenant.issuer,
        sso_subject=str(claims["sub"]),
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        "sso_user_created",
        object_type="user",
        object_id=user.id,
        details={"provider": tenant.name, "role": JIT_ROLE.value, "pending_approval": True},
    )
    return user


def match(tenant: Tenant, claims: dict[str, Any], *, key: str | None = None) -> Outcome:
    """The provisioned user of a verified ID token's ``claims``, a new user waiting for approval, or a refusal."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        return refuse(tenant.name, "no_email", key=key)
    if claims.get("email_verified") is not True:
        return refuse(tenant.name, "email_unverified", key=key)
    if email.rsplit("@", 1)[1] not in tenant.domains:
        return refuse(tenant.name, "wrong_tenant", key=key)
    agency_id = _agency_id(tenant)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        if tenant.create_users and agency_id is not None:
            return Outcome(created=_create_pending(tenant, email, claims, agency_id))
        return refuse(tenant.name, "unknown_user", key=key)
    if user.pending_approval:
        return refuse(tenant.name, "awaiting_approval", user=user, key=key)
    if not user.active:
        return refuse(tenant.name, "deactivated", user=user, key=key)
    if agency_id is None or user.agency_id != agency_id:
        return refuse(tenant.name, "wrong_tenant", user=user, key=key)
    subject = str(claims.get("sub") or "")
    if user.sso_subject is not None and (user.sso_issuer, user.sso_subject) != (tenant.issuer, subject):
        return refuse(tenant.name, "identity_mismatch", user=user, key=key)
    if user.sso_subject is None:
        user.sso_issuer, user.sso_subject = tenant.issuer, subject
        record_event("sso_identity_bound", object_type="user", object_id=user.id, details={"provider": tenant.name})
        db.session.flush()
    return Outcome(user=user)


def confirm_same_person(tenant: Tenant, claims: dict[str, Any], user: User, *, key: str | None = None) -> Outcome:
    """A fresh sign-in at the provider: it must be the signed-in user's own identity (issuer and subject)."""
    outcome = match(tenant, claims, key=key)
    if outcome.reason is not None:
        return outcome
    if outcome.user is None or outcome.user.id != user.id:
        return refuse(tenant.name, "different_person", user=user, key=key)
    return outcome


# -- approval and the password form -----------------------------------------------------------------------------


def pending_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.pending_approval.is_(True)).order_by(User.created_at)))


def approve(user: User) -> bool:
    """An admin approves a user created at their first sign-in: the account becomes active. False if not pending."""
    if not user.pending_approval:
        return False
    user.pending_approval, user.active = False, True
    record_event("user_approved", object_type="user", object_id=user.id, details={"role": user.role.value})
    db.session.flush()
    return True


def password_sign_in_refused(user: User) -> str | None:
    """After a correct password: the refusal to show when the user's agency signs in only through its provider."""
    agency = user.agency
    if agency is None or agency.password_sign_in:
        return None
    record_refusal(
        "sign_in_refused_password_off", object_type="user", object_id=user.id, details={"agency_id": agency.id}
    )
    return f"Staff of {agency.name} sign in with their organisation's account"
