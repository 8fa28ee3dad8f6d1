"""Issue 17: the audit programme.

Each agency's quarterly single-agency audit return (single_agency_returns, one per agency and quarter), the year's
planned rounds (planned_rounds, each linked to the round that carried it out), and each agency's quality lead
(agencies.quality_lead_id: records the return and is reminded of it).

On SQLite, agencies gets its column by ALTER TABLE ADD COLUMN, as in migration 0019, so the lower(name) index of
migration 0010 is kept.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 07:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('single_agency_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('audited', sa.Integer(), nullable=False),
    sa.Column('graded_outstanding', sa.Integer(), nullable=False),
    sa.Column('graded_good', sa.Integer(), nullable=False),
    sa.Column('graded_requires_improvement', sa.Integer(), nullable=False),
    sa.Column('graded_inadequate', sa.Integer(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('key_learning', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_single_agency_returns_agency_id_agencies')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_single_agency_returns_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_single_agency_returns_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_agency_returns')),
    sa.UniqueConstraint('agency_id', 'year', 'quarter', name='uq_single_agency_returns_quarter')
    )
    with op.batch_alter_table('single_agency_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_single_agency_returns_agency_id'), ['agency_id'], unique=False)

    op.create_table('planned_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('theme', sa.String(length=120), nullable=False),
    sa.Column('agencies', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dropped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dropped_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_planned_rounds_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['audit_rounds.id'], name=op.f('fk_planned_rounds_round_id_audit_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_rounds')),
    sa.UniqueConstraint('round_id', name=op.f('uq_planned_rounds_round_id'))
    )
    with op.batch_alter_table('planned_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_rounds_month'), ['month'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column with its reference, never a constraint
        op.execute(
            'ALTER TABLE agencies ADD COLUMN quality_lead_id INTEGER '
            'CONSTRAINT fk_agencies_quality_lead_id_users REFERENCES users (id)'
        )
    else:
        op.add_column('agencies', sa.Column('quality_lead_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_agencies_quality_lead_id_users', 'agencies', 'users', ['quality_lead_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_agencies_quality_lead_id_users', 'agencies', type_='foreignkey')
    op.drop_column('agencies', 'quality_lead_id')
    with op.batch_alter_table('planned_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_rounds_month'))
    op.drop_table('planned_rounds')
    with op.batch_alter_table('single_agency_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_single_agency_returns_agency_id'))
    op.drop_table('single_agency_returns')
