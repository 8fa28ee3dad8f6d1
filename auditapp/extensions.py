"""The database extensions, created unbound and initialised in the app factory (the web-only ones, CSRF and
Flask-Login, live with the web layer: ``app`` and ``security.sessions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, Table, event
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:  # the domain and models import this module, and import no Flask
    from flask import Flask

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:  # every model here maps one table (DeclarativeBase allows any FromClause, e.g. a join)
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time Flask-SQLAlchemy's ``db.Model`` (Base with its additions: table names, the
# session binding); to mypy ``db.Model`` is an attribute, not a type, so it sees Base, which declares the same
# mapping.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


MIGRATIONS_DIRECTORY = "AUDITAPP_MIGRATIONS_DIRECTORY"


def init_migrations(app: Flask) -> None:
    """Set up Flask-Migrate for ``app`` when migrations are first needed (``auditapp db``, ``upgrade_database``).

    Flask-Migrate imports Alembic, which no page and no other command needs: loading it lazily keeps the command
    line's start-up fast.
    """
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=app.config[MIGRATIONS_DIRECTORY])


def upgrade_database(app: Flask) -> None:
    """Apply every migration to ``app``'s database (inside an app context)."""
    from flask_migrate import upgrade

    init_migrations(app)
    upgrade()


SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_sqlite_transactional(engine: Engine) -> None:
    """Give pysqlite real transactions that wait for each other instead of failing with "database is locked".

    - BEGIN when SQLAlchemy begins, so savepoints and rollbacks work (pysqlite otherwise starts transactions
      lazily and commits before DDL, which breaks all-or-nothing imports and the tests' per-test rollback; SQLAlchemy
      docs, "Serializable isolation / Savepoints / Transactional DDL").
    - BEGIN IMMEDIATE: almost every request writes (the audit trail records views too). A deferred transaction that
      read first and then writes fails at once when another connection wrote meanwhile (no busy wait is possible
      then); an immediate one takes the write lock up front, so concurrent requests queue for it.
    - WAL journal (readers never block the writer) and a busy timeout of 30 s for the queue.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
