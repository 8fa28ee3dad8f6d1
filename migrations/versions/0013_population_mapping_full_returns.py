"""Worker and team to locality mapping; full returns mark missing cases as not in the latest return (issue 13).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'population_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('match_key', sa.String(length=130), nullable=False),
        sa.Column('worker', sa.String(length=120), nullable=True),
        sa.Column('team', sa.String(length=120), nullable=True),
        sa.Column('locality', sa.String(length=120), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_population_mappings')),
        sa.UniqueConstraint('match_key', name=op.f('uq_population_mappings_match_key')),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_format', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('missing_from_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('team_from_mapping', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('locality_from_mapping', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f('ix_cases_missing_from_batch_id'), ['missing_from_batch_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_cases_missing_from_batch_id_import_batches'), 'import_batches', ['missing_from_batch_id'],
            ['id'],
        )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_return', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('period', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('marked_missing_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('returned_count', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_return', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('period', sa.String(length=60), nullable=True))
    # Existing cases: the format of the import that last wrote them.
    op.execute(
        "UPDATE cases SET source_format = (SELECT import_batches.format FROM import_batches "
        "WHERE import_batches.id = cases.updated_batch_id)"
    )


def downgrade():
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_column('period')
        batch_op.drop_column('full_return')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('returned_count')
        batch_op.drop_column('marked_missing_count')
        batch_op.drop_column('period')
        batch_op.drop_column('full_return')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_missing_from_batch_id_import_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_missing_from_batch_id'))
        batch_op.drop_column('locality_from_mapping')
        batch_op.drop_column('team_from_mapping')
        batch_op.drop_column('missing_from_batch_id')
        batch_op.drop_column('source_format')
    op.drop_table('population_mappings')
