"""Counts and facts for the home pages and the health check: read-only, and no child's data."""

from __future__ import annotations

from sqlalchemy import func, select, text

from auditapp.extensions import db
from auditapp.models import Agency, Case, ImportBatch, Locality, Team, User

COUNTED = {"users": User, "agencies": Agency, "localities": Locality, "teams": Team, "cases": Case}


def count(what: str) -> int:
    """How many ``what`` (one of ``COUNTED``) there are."""
    return db.session.scalar(select(func.count()).select_from(COUNTED[what])) or 0


def last_import() -> ImportBatch | None:
    return db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))


def database_answers() -> bool:
    """The database answers a query (for ``/healthz``); raises when it does not."""
    return db.session.execute(text("SELECT 1")).scalar() == 1
