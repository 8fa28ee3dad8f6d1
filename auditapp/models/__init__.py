"""Database models, one module per aggregate. Import them all here so Alembic sees every table."""

from auditapp.models.audit_event import AuditEvent
from auditapp.models.org import Agency, AgencyKind, Locality, Team
from auditapp.models.user import AuditorType, Role, User

__all__ = ["Agency", "AgencyKind", "AuditEvent", "AuditorType", "Locality", "Role", "Team", "User"]
