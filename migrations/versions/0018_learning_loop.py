"""Issue 15: learning loop (reserved; its helper fills it in).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
