"""A pending upload keeps the records parsed from its files (zlib-compressed JSON), so the check page and the
import job use them instead of parsing the files again; and the files' SHA-256.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Uploads pending before this migration have no parsed records: they must be uploaded again (they expire
    # within the hour anyway).
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('parsed', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_column('parsed')
        batch_op.drop_column('sha256')
