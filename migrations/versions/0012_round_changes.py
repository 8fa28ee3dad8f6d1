"""Rounds can be edited until drawn and cancelled with a reason (issue 13).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
