"""Worker and team to locality mapping; full returns mark missing cases as not in the latest return (issue 13).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
