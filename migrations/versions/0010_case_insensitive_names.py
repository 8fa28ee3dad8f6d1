"""Agency, locality and team names are unique whatever their case, enforced by the database (unique indexes on
lower(name)), so the application inserts and lets the database refuse a duplicate instead of checking first.

On SQLite, a later batch migration that recreates agencies, localities or teams must create these indexes again
(SQLAlchemy cannot reflect expression indexes there, so a batch copy would drop them).

Refuses to run, naming them, when names that differ only in case already exist: rename one of each pair first.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = (
    # (index, table, columns, the scope within which names must differ)
    ('uq_agencies_lower_name', 'agencies', ['lower(name)'], []),
    ('uq_localities_lower_name', 'localities', ['lower(name)'], []),
    ('uq_teams_agency_id_lower_name', 'teams', ['agency_id', 'lower(name)'], ['agency_id']),
)


def _check_no_duplicates(connection, table: str, scope: list[str]) -> None:
    keys = ', '.join([*scope, 'lower(name)'])
    rows = connection.execute(
        sa.text(f'SELECT {keys}, count(*) FROM {table} GROUP BY {keys} HAVING count(*) > 1')  # noqa: S608 - fixed names
    ).fetchall()
    if rows:
        names = '; '.join(str(row[-2]) for row in rows)
        raise RuntimeError(f'{table} has names that differ only in case ({names}): rename them, then upgrade again.')


def upgrade():
    connection = op.get_bind()
    for name, table, columns, scope in INDEXES:
        _check_no_duplicates(connection, table, scope)
        op.create_index(name, table, [sa.text(c) for c in columns], unique=True)


def downgrade():
    for name, table, _columns, _scope in INDEXES:
        op.drop_index(name, table_name=table)
