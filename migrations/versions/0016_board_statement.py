"""The Board front section: what the QA group writes for the Board about a round (issue 14).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:05:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    pass  # reserved for issue 14's board statement: filled in by its author


def downgrade():
    pass
