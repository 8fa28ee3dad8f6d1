"""The application's own PostgreSQL role: every privilege it needs, and no UPDATE or DELETE on the audit trail."""

from __future__ import annotations

from sqlalchemy import text

from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.security.db_role import grant_statements


def grant_application_role(role: str) -> None:
    """Grant ``role`` the application's privileges (the caller commits). Raises DomainError off PostgreSQL or for a
    role name that is not a plain identifier."""
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        raise DomainError(f"Database roles are a PostgreSQL feature; this database is {dialect}.")
    try:
        statements = grant_statements(role)
    except ValueError as error:
        raise DomainError(str(error)) from None
    for statement in statements:
        db.session.execute(text(statement))
    record_event("db_role_granted", object_type="db_role", object_id=role)
