"""Witnessed draws: who froze the population, who witnessed, the server random value (hashrank-v2) (issue 14).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_rounds") as batch:
        batch.add_column(sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("frozen_by", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("frozen_population_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("witnessed_by", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_rounds") as batch:
        batch.drop_column("witnessed_by")
        batch.drop_column("frozen_population_sha256")
        batch.drop_column("frozen_by")
        batch.drop_column("frozen_at")
