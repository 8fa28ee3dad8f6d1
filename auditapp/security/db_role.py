"""Database privileges for a deployment where the application connects as its own PostgreSQL role.

The schema owner (who runs the migrations) grants the application role what it needs on every table, then takes
away UPDATE, DELETE and TRUNCATE on the audit trail and its hash chain, and every write on ``alembic_version``.
Default privileges give the same to tables that later migrations create. Migration 0007 applies this when
``AUDITAPP_DB_APP_ROLE`` names the role; ``auditapp db-role grant ROLE`` applies it at any time (it is idempotent).
"""

from __future__ import annotations

import re

APPEND_ONLY_TABLES = ("audit_events", "audit_chain")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """The SQL that gives ``role`` the application's privileges (PostgreSQL only)."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain PostgreSQL role name (lower-case letters, digits, _).")
    role_ident = f'"{role}"'
    append_only = ", ".join(APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role_ident}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role_ident}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role_ident}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role_ident}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role_ident}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role_ident}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role_ident}",
    ]


# Triggers that refuse changes to the append-only tables for everyone, the table owner included (an owner could
# drop them; the application role, which owns nothing, cannot).
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION auditapp_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$""",
    *[
        statement
        for table in APPEND_ONLY_TABLES
        for statement in (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION auditapp_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION auditapp_append_only()",
        )
    ],
]
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: {verb} on {table} is not allowed'); END"
    for table in APPEND_ONLY_TABLES
    for verb in ("UPDATE", "DELETE")
]
