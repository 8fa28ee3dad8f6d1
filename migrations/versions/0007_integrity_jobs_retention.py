"""Audit trail integrity (hash chain, append-only triggers, privileges for a separate application role); the process
that owns a background job (so one interrupted by a restart can be marked failed); when a round was anonymised.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:30:00

"""
import os

import sqlalchemy as sa
from alembic import op

from auditapp.domain.audit_chain import GENESIS, HEAD_ID, link_hash
from auditapp.models.types import UTCDateTime
from auditapp.security.db_role import POSTGRES_TRIGGERS, SQLITE_TRIGGERS, grant_statements

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

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
