"""Issue 15: the learning loop.

Partnership priorities and learning from reviews (learning_items), linked to the rounds that test them
(round_learning_items) and the findings that relate to them (finding_learning_items); on each action, how we will
know it worked (success_measure), when to audit again (reaudit_date) and the re-audit round made from it
(reaudit_round_id). Existing actions keep a NULL success measure: the pages say "Not recorded".

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'learning_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_items')),
    )
    with op.batch_alter_table('learning_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_items_kind'), ['kind'], unique=False)
    op.create_table(
        'round_learning_items',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('learning_item_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['learning_item_id'],
            ['learning_items.id'],
            name=op.f('fk_round_learning_items_learning_item_id_learning_items'),
        ),
        sa.ForeignKeyConstraint(
            ['round_id'], ['audit_rounds.id'], name=op.f('fk_round_learning_items_round_id_audit_rounds')
        ),
        sa.PrimaryKeyConstraint('round_id', 'learning_item_id', name=op.f('pk_round_learning_items')),
    )
    with op.batch_alter_table('round_learning_items', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_round_learning_items_learning_item_id'), ['learning_item_id'], unique=False
        )
    op.create_table(
        'finding_learning_items',
        sa.Column('finding_id', sa.Integer(), nullable=False),
        sa.Column('learning_item_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['finding_id'], ['findings.id'], name=op.f('fk_finding_learning_items_finding_id_findings')
        ),
        sa.ForeignKeyConstraint(
            ['learning_item_id'],
            ['learning_items.id'],
            name=op.f('fk_finding_learning_items_learning_item_id_learning_items'),
        ),
        sa.PrimaryKeyConstraint('finding_id', 'learning_item_id', name=op.f('pk_finding_learning_items')),
    )
    with op.batch_alter_table('finding_learning_items', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_finding_learning_items_learning_item_id'), ['learning_item_id'], unique=False
        )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('success_measure', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reaudit_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reaudit_round_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_actions_reaudit_round_id_audit_rounds'), 'audit_rounds', ['reaudit_round_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_actions_reaudit_round_id_audit_rounds'), type_='foreignkey')
        batch_op.drop_column('reaudit_round_id')
        batch_op.drop_column('reaudit_date')
        batch_op.drop_column('success_measure')
    with op.batch_alter_table('finding_learning_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_learning_items_learning_item_id'))
    op.drop_table('finding_learning_items')
    with op.batch_alter_table('round_learning_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_learning_items_learning_item_id'))
    op.drop_table('round_learning_items')
    with op.batch_alter_table('learning_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_items_kind'))
    op.drop_table('learning_items')
