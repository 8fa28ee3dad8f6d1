"""Finding organisations and users by name, for the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from auditapp.domain.auth import find_user_by_email
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.models import Agency, Team, User


def agency_id_by_name(name: str) -> int:
    """The id of the agency called ``name`` (case-insensitive). Raises DomainError when there is none."""
    agency_id = db.session.scalar(select(Agency.id).where(func.lower(Agency.name) == name.strip().lower()))
    if agency_id is None:
        raise DomainError(f"There is no agency called {name!r}", field="agency")
    return agency_id


def team_id_by_name(name: str, *, agency_id: int | None) -> int:
    """The id of the team called ``name`` (within the agency, when given). Raises DomainError when not unique."""
    query = select(Team.id).where(func.lower(Team.name) == name.strip().lower())
    if agency_id is not None:
        query = query.where(Team.agency_id == agency_id)
    ids = list(db.session.scalars(query))
    if len(ids) != 1:
        raise DomainError(
            f"There is no single team called {name!r}" + ("" if agency_id else ": give --agency"), field="team"
        )
    return ids[0]


def user_by_email(email: str) -> User:
    """The user with this email address (case-insensitive). Raises DomainError when there is none."""
    user = find_user_by_email(email)
    if user is None:
        raise DomainError(f"There is no user with the email address {email!r}", field="email")
    return user
