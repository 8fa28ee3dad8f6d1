"""Issue 15: the people around the child.

The conversations with the allocated worker and the team manager, and the family's views, one of each per sampled
case (case_conversations); the joint discussion's panel record (the date the panel met, who attended, the
disagreements) and the feedback letter's words on joint_discussions.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sampled_case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('role', sa.String(length=200), nullable=True),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('method', sa.String(length=20), nullable=True),
        sa.Column('said', sa.Text(), nullable=True),
        sa.Column('sought', sa.Boolean(), nullable=True),
        sa.Column('not_sought_reason', sa.Text(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['sampled_case_id'],
            ['sampled_cases.id'],
            name=op.f('fk_case_conversations_sampled_case_id_sampled_cases'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['recorded_by_id'], ['users.id'], name=op.f('fk_case_conversations_recorded_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_conversations')),
        sa.UniqueConstraint('sampled_case_id', 'kind', name=op.f('uq_case_conversations_sampled_case_id')),
    )
    with op.batch_alter_table('case_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_conversations_sampled_case_id'), ['sampled_case_id'], unique=False)
    with op.batch_alter_table('joint_discussions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('panel_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('attendees', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('disagreements', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('letter_worker_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('letter_manager_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('letter_strengths', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('letter_learning', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('joint_discussions', schema=None) as batch_op:
        batch_op.drop_column('letter_learning')
        batch_op.drop_column('letter_strengths')
        batch_op.drop_column('letter_manager_name')
        batch_op.drop_column('letter_worker_name')
        batch_op.drop_column('disagreements')
        batch_op.drop_column('attendees')
        batch_op.drop_column('panel_date')
    with op.batch_alter_table('case_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_conversations_sampled_case_id'))
    op.drop_table('case_conversations')
