"""Creating and changing users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auditapp.domain.auth import find_user_by_email
from auditapp.domain.errors import DomainError
from auditapp.domain.passwords import hash_password, password_problem, verify_password
from auditapp.domain.trail.events import record_event
from auditapp.domain.user_sessions import end_all_sessions
from auditapp.extensions import db
from auditapp.models import Agency, AuditorType, Role, Team, User
from auditapp.models.types import utcnow


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))


def _check_role_fields(role: Role, auditor_type: AuditorType | None, agency: Agency | None, team: Team | None) -> None:
    if role is Role.AUDITOR:
        if auditor_type is None:
            raise DomainError("Select whether the auditor is independent or a peer", field="auditor_type")
        if agency is None:
            raise DomainError("Select the auditor's agency", field="agency_id")
        if auditor_type is AuditorType.PEER and team is None:
            raise DomainError("Select the peer auditor's team", field="team_id")
    if team is not None and agency is not None and team.agency_id != agency.id:
        raise DomainError("The team must belong to the selected agency", field="team_id")


def _resolve(agency_id: int | None, team_id: int | None) -> tuple[Agency | None, Team | None]:
    agency = db.session.get(Agency, agency_id) if agency_id else None
    team = db.session.get(Team, team_id) if team_id else None
    if agency_id and agency is None:
        raise DomainError("Select an agency from the list", field="agency_id")
    if team_id and team is None:
        raise DomainError("Select a team from the list", field="team_id")
    return agency, team


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    auditor_type: AuditorType | None = None,
    agency_id: int | None = None,
    team_id: int | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a user after checking the email is free, the role's fields and the password policy.

    The password was chosen by someone else (an admin or an operator), so by default the user must change it at
    their first sign-in. Raises DomainError naming the field at fault.
    """
    email = email.strip().lower()
    if find_user_by_email(email) is not None:
        raise DomainError("A user with this email address already exists", field="email")
    problem = password_problem(password, email=email)
    if problem:
        raise DomainError(problem, field="password")
    agency, team = _resolve(agency_id, team_id)
    if role is not Role.AUDITOR:
        auditor_type = None
    _check_role_fields(role, auditor_type, agency, team)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        auditor_type=auditor_type,
        agency=agency,
        team=team,
        password_hash=hash_password(password),
        active=True,
        password_changed_at=utcnow(),
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    record_event("user_created", object_type="user", object_id=user.id, details=_describe(user))
    return user


def _describe(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "auditor_type": user.auditor_type.value if user.auditor_type else None,
        "agency_id": user.agency_id,
        "team_id": user.team_id,
        "active": user.active,
    }


def update_user(
    user: User,
    *,
    name: str,
    role: Role,
    auditor_type: AuditorType | None,
    agency_id: int | None,
    team_id: int | None,
    active: bool,
) -> User:
    """Change a user's details; deactivating ends all their sessions. Records what changed."""
    before = _describe(user)
    agency, team = _resolve(agency_id, team_id)
    if role is not Role.AUDITOR:
        auditor_type = None
    _check_role_fields(role, auditor_type, agency, team)
    user.name, user.role, user.auditor_type = name.strip(), role, auditor_type
    user.agency, user.team = agency, team
    db.session.flush()
    was_active = user.active
    user.active = active
    after = _describe(user)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        record_event("user_updated", object_type="user", object_id=user.id, details={"changes": changes})
    if was_active and not active:
        end_all_sessions(user, reason="deactivated")
    return user


def set_active(user: User, *, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends every session of theirs at once."""
    if user.active == active:
        return
    user.active = active
    record_event("user_activated" if active else "user_deactivated", object_type="user", object_id=user.id)
    if not active:
        end_all_sessions(user, reason="deactivated")


def change_password(user: User, *, new_password: str) -> None:
    """Set a new password (policy checked) and end every existing session of the user."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise DomainError(problem, field="new_password")
    if verify_password(user.password_hash, new_password):
        raise DomainError("Your new password must be different from your current one", field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    record_event("password_changed", object_type="user", object_id=user.id)
    end_all_sessions(user, reason="password_changed")


def set_password_by_admin(user: User, *, new_password: str) -> None:
    """An admin sets a new password for someone who forgot theirs: every session of the user ends, and the user
    must change the password at their next sign-in (the admin knows it). Raises DomainError on the policy."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    record_event("password_reset_by_admin", object_type="user", object_id=user.id)
    end_all_sessions(user, reason="password_reset")
