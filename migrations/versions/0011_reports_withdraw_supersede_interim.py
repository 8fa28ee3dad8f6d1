"""Published reports: interim, withdrawn, superseded versions (issue 13).

Each published report gets its version within its round (1, 2, ...: existing reports are numbered in the order
they were published, each superseding the one before), whether it is an interim report (with what was missing
and why it was published anyway) and, from version 2, why it replaced the earlier one. A withdrawal is a row of
its own (report_withdrawals), so a published report is still never changed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("interim", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("interim_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("missing", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("change_reason", sa.Text(), nullable=True))
    # Number the reports already published, per round, in the order they were published.
    op.execute(
        "UPDATE published_reports SET "
        "version = (SELECT count(*) FROM published_reports p WHERE p.round_id = published_reports.round_id "
        "AND p.id <= published_reports.id), "
        "missing = '[]', "
        "supersedes_id = (SELECT max(p.id) FROM published_reports p WHERE p.round_id = published_reports.round_id "
        "AND p.id < published_reports.id)"
    )
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.alter_column("missing", existing_type=sa.JSON(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_published_reports_supersedes_id_published_reports"),
            "published_reports",
            ["supersedes_id"],
            ["id"],
        )
        batch_op.create_unique_constraint("uq_published_reports_round_version", ["round_id", "version"])

    op.create_table(
        "report_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["published_reports.id"], name=op.f("fk_report_withdrawals_report_id_published_reports")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["users.id"], name=op.f("fk_report_withdrawals_withdrawn_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_withdrawals")),
        sa.UniqueConstraint("report_id", name=op.f("uq_report_withdrawals_report_id")),
    )


def downgrade():
    op.drop_table("report_withdrawals")
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.drop_constraint("uq_published_reports_round_version", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_published_reports_supersedes_id_published_reports"), type_="foreignkey")
        batch_op.drop_column("change_reason")
        batch_op.drop_column("supersedes_id")
        batch_op.drop_column("missing")
        batch_op.drop_column("interim_reason")
        batch_op.drop_column("interim")
        batch_op.drop_column("version")
