"""Rounds can be edited until drawn and cancelled with a reason (issue 13).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:20:00

"""
import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


@contextmanager
def _rebuilt_audit_rounds():
    """SQLite adds a foreign key by rebuilding the table (batch mode), reflecting the tables it refers to. The
    lower(name) expression indexes of 0010 on agencies, localities and teams cannot be reflected (a warning) and
    are not touched: audit_rounds has none. Foreign keys are not enforced on SQLite here, so nothing cascades."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection', category=sa.exc.SAWarning)
        with op.batch_alter_table('audit_rounds', schema=None) as batch_op:
            yield batch_op


def upgrade():
    with _rebuilt_audit_rounds() as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_rounds_cancelled_by_id_users'), 'users', ['cancelled_by_id'], ['id']
        )


def downgrade():
    with _rebuilt_audit_rounds() as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_rounds_cancelled_by_id_users'), type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
