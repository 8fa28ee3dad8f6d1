"""Audit trail integrity (hash chain, append-only triggers, privileges for a separate application role); the process
that owns a background job (so one interrupted by a restart can be marked failed); when a round was anonymised.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:30:00

"""
import hashlib
import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import DateTime, TypeDecorator

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# This migration imports no application code (issue 12): what it needs from ``auditapp`` is copied below, so a later
# change to the application can never change what this migration does. Each copy is FROZEN as of this migration
# (revision 0007) and must never be changed, even when the live code changes: the hashes and SQL it produces are
# part of the databases already upgraded with it. tests/test_migrations_frozen.py checks the hashing still agrees
# with the live code today.


# --- Frozen copy of auditapp.models.types.UTCDateTime, as of revision 0007. Never change. ---
class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- Frozen copy of the event hashing in auditapp.domain.audit_chain (since moved to auditapp.domain.trail.chain),
# as of revision 0007. Never change: the links written here must keep the hashes the application verifies. Verbatim,
# except that ``audit_event`` is not annotated with the AuditEvent model (this migration hashes plain rows). ---
GENESIS = "0" * 64
HEAD_ID = 1


#: The event's fields, in the order they are hashed.
FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "request_id",
    "details",
)


def _content(values: Sequence[Any]) -> bytes:
    """The hashed bytes of an event's values (in FIELDS order, details already as JSON gives them back)."""
    content = list(values)
    content[1] = content[1].isoformat(timespec="microseconds")
    content[10] = content[10] or {}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(audit_event) -> bytes:
    """The event's content as stable bytes (the same whether built in memory or read back from the database)."""
    values = [getattr(audit_event, name) for name in FIELDS]
    values[10] = json.loads(json.dumps(values[10] or {}, default=str))  # as the database will return it
    return _content(values)


def _hash(previous: str, seq: int, content: bytes) -> str:
    return hashlib.sha256(f"{previous}\n{seq}\n".encode() + content).hexdigest()


def link_hash(previous: str, seq: int, audit_event) -> str:
    return _hash(previous, seq, canonical(audit_event))


# --- Frozen copy of auditapp.security.db_role (grants and append-only triggers), as of revision 0007. Never change
# (``auditapp db-role grant`` uses the live copy, which may move on). ---
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
# --- End of the frozen copies. ---

events = sa.table(
    "audit_events", sa.column("id", sa.Integer), sa.column("occurred_at", UTCDateTime()),
    sa.column("actor_id", sa.Integer), sa.column("actor_email", sa.String), sa.column("actor_role", sa.String),
    sa.column("action", sa.String), sa.column("object_type", sa.String), sa.column("object_id", sa.String),
    sa.column("ip_address", sa.String), sa.column("request_id", sa.String), sa.column("details", sa.JSON),
)


def _link_existing_events(bind) -> None:
    """Chain the events written before this migration, in id order (they were committed under the old code)."""
    chain = sa.table("audit_chain", sa.column("seq"), sa.column("event_id"), sa.column("hash"))
    seq, previous, batch = 0, GENESIS, []
    for row in bind.execute(sa.select(events).order_by(events.c.id)):
        seq += 1
        previous = link_hash(previous, seq, row)
        batch.append({"seq": seq, "event_id": row.id, "hash": previous})
        if len(batch) == 5000:
            bind.execute(chain.insert(), batch)
            batch = []
    if batch:
        bind.execute(chain.insert(), batch)
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    bind.execute(head.insert().values(id=HEAD_ID, seq=seq, hash=previous))


def upgrade():
    op.create_table('audit_chain',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_chain_event_id_audit_events')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_chain')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_chain_event_id'))
    )
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=80), nullable=True))
    with op.batch_alter_table('audit_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    _link_existing_events(bind)
    for statement in (POSTGRES_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        op.execute(statement)
    role = os.environ.get("AUDITAPP_DB_APP_ROLE")
    if role and bind.dialect.name == "postgresql":
        for statement in grant_statements(role):
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("audit_events", "audit_chain"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS auditapp_append_only()")
    else:
        for table in ("audit_events", "audit_chain"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('owner')
    with op.batch_alter_table('audit_rounds', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    op.drop_table('audit_chain_head')
    op.drop_table('audit_chain')
