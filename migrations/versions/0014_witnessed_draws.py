"""Witnessed draws: who froze the population, who witnessed, the server random value (hashrank-v2) (issue 14).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
