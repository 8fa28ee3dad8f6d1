"""Blind moderation: a round setting and the moderator's own grade recorded first (issue 14).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 07:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_moderation', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('agency_audits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_grade', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('blind_auditor_grade', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('blind_graded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('blind_graded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_agency_audits_blind_graded_by_id_users'), 'users', ['blind_graded_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('agency_audits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agency_audits_blind_graded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('blind_graded_at')
        batch_op.drop_column('blind_graded_by_id')
        batch_op.drop_column('blind_auditor_grade')
        batch_op.drop_column('blind_grade')
    with op.batch_alter_table('audit_rounds', schema=None) as batch_op:
        batch_op.drop_column('blind_moderation')
