"""The Board front section: what the QA group writes for the Board about a round (issue 14).

One row per round (board_statements.round_id is unique): the assurance level, the statement, what is working and
what worries the QA group, what children and families told us, and the asks of the Board (one a line).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'board_statements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('assurance_level', sa.String(length=20), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('working', sa.Text(), nullable=False),
        sa.Column('worried', sa.Text(), nullable=False),
        sa.Column('voices', sa.Text(), nullable=False),
        sa.Column('asks', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['round_id'], ['audit_rounds.id'], name=op.f('fk_board_statements_round_id_audit_rounds')
        ),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_board_statements_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_statements')),
        sa.UniqueConstraint('round_id', name=op.f('uq_board_statements_round_id')),
    )


def downgrade():
    op.drop_table('board_statements')
