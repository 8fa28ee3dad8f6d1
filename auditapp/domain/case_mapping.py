"""The coordinator's mapping of workers and teams to localities, and applying it to the statutory returns' cases.

Annex A, the CIN census and SSDA903 seldom give a case's team or locality. The mapping fills those blanks: on
import (``case_import``) and, whenever the mapping changes, on the cases already stored (``reapply_mapping``), so
stratifying by locality or team and the conflict-of-interest rules work on them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select, update

from auditapp.domain.case_import import OrgMatcher, load_lookup
from auditapp.domain.errors import DomainError, NotFound
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import CaseRecord
from auditapp.importers.mapping import MappingRow, check_row
from auditapp.importers.values import clean_text
from auditapp.models import Case
from auditapp.models.case import STATUTORY_FORMATS, PopulationMapping
from auditapp.models.types import utcnow


@dataclass(frozen=True)
class MappingSummary:
    """The mapping and how much of the statutory returns' population it places."""

    rows: list[PopulationMapping]
    statutory_cases: int
    without_locality: int
    without_team: int


def mapping_summary() -> MappingSummary:
    """The mapping's rows (workers first, then teams) and the statutory cases still without a team or locality."""
    rows = list(
        db.session.scalars(
            select(PopulationMapping).order_by(
                PopulationMapping.worker.is_(None), func.lower(PopulationMapping.worker), PopulationMapping.team
            )
        )
    )
    statutory = select(func.count(Case.id)).where(Case.source_format.in_(STATUTORY_FORMATS))
    return MappingSummary(
        rows=rows,
        statutory_cases=db.session.scalar(statutory) or 0,
        without_locality=db.session.scalar(statutory.where(Case.locality_name.is_(None))) or 0,
        without_team=db.session.scalar(statutory.where(Case.team_name.is_(None))) or 0,
    )


def replace_mapping(rows: list[MappingRow], *, file_name: str) -> int:
    """Replace the whole mapping by ``rows`` (read from ``file_name``) and re-apply it; return the cases changed.

    The file has been read in full before anything is written, and everything happens in the caller's transaction:
    a bad file changes nothing.
    """
    db.session.execute(delete(PopulationMapping))
    now = utcnow()
    db.session.add_all(
        PopulationMapping(match_key=r.match_key, worker=r.worker, team=r.team, locality=r.locality, updated_at=now)
        for r in rows
    )
    db.session.flush()
    changed = reapply_mapping()
    record_event(
        "population_mapping_replaced",
        object_type="population_mapping",
        details={"file": file_name, "rows": len(rows), "cases_changed": changed},
    )
    return changed


def save_mapping_row(*, worker: str | None, team: str | None, locality: str | None) -> int:
    """Add a row to the mapping, or change the row of the same worker (or team); re-apply it. Returns the cases
    changed. Raises DomainError naming the field at fault."""
    worker, team, locality = (clean_text(v) for v in (worker, team, locality))
    for field, message in check_row(worker, team, locality):
        raise DomainError(message, field=field)
    row = MappingRow(worker, team, locality)
    existing = db.session.scalar(select(PopulationMapping).where(PopulationMapping.match_key == row.match_key))
    if existing is None:
        existing = PopulationMapping(match_key=row.match_key)
        db.session.add(existing)
    existing.worker, existing.team, existing.locality, existing.updated_at = worker, team, locality, utcnow()
    db.session.flush()
    changed = reapply_mapping()
    record_event(
        "population_mapping_changed",
        object_type="population_mapping",
        object_id=existing.id,
        details={"worker": worker, "team": team, "locality": locality, "cases_changed": changed},
    )
    return changed


def get_mapping_row(mapping_id: int) -> PopulationMapping:
    row = db.session.get(PopulationMapping, mapping_id)
    if row is None:
        raise NotFound("That row of the mapping no longer exists")
    return row


def remove_mapping_row(*, mapping_id: int) -> int:
    """Remove one row of the mapping and re-apply it; return the cases changed. Raises NotFound."""
    row = get_mapping_row(mapping_id)
    details = {"worker": row.worker, "team": row.team, "locality": row.locality}
    db.session.delete(row)
    db.session.flush()
    changed = reapply_mapping()
    record_event(
        "population_mapping_removed",
        object_type="population_mapping",
        object_id=mapping_id,
        details={**details, "cases_changed": changed},
    )
    return changed


def reapply_mapping() -> int:
    """Fill, again, the team and locality of stored statutory-return cases from the mapping; return how many change.

    A name the file gave is kept; one the mapping gave is worked out afresh (and cleared when the mapping no longer
    gives it). Flushes only; the callers record the event.
    """
    lookup, matcher = load_lookup(), OrgMatcher()
    query = select(
        Case.id, Case.case_ref, Case.status, Case.agency_name, Case.team_name, Case.locality_name, Case.worker,
        Case.team_from_mapping, Case.locality_from_mapping, Case.team_id, Case.locality_id, Case.agency_id,
    ).where(Case.source_format.in_(STATUTORY_FORMATS))  # fmt: skip
    changes = []
    for case_id, ref, status, agency, team, locality, worker, team_m, locality_m, *org_ids in db.session.execute(query):
        file_team, file_locality = (None if team_m else team), (None if locality_m else locality)
        new_team, new_locality, new_team_m, new_locality_m = lookup.resolve(worker, file_team, file_locality)
        if (new_team, new_locality, new_team_m, new_locality_m) == (team, locality, bool(team_m), bool(locality_m)):
            continue
        record = CaseRecord(ref, status, agency=agency, locality=new_locality, team=new_team)
        team_id, locality_id, agency_id = matcher.ids(record)
        changes.append(
            {
                "case_id": case_id, "team_name": new_team, "locality_name": new_locality,
                "team_from_mapping": new_team_m, "locality_from_mapping": new_locality_m,
                "team_id": team_id, "locality_id": locality_id, "agency_id": agency_id or org_ids[2],
            }
        )  # fmt: skip
    table = Case.__table__
    for start in range(0, len(changes), 5000):
        db.session.execute(update(table).where(table.c.id == bindparam("case_id")), changes[start : start + 5000])
    db.session.flush()
    db.session.expire_all()  # the rows changed underneath the session's Case objects
    return len(changes)


def mapping_csv() -> str:
    """The mapping as a CSV file with the columns worker, team and locality (the upload reads it back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["worker", "team", "locality"])
    for row in mapping_summary().rows:
        writer.writerow([_safe(row.worker), _safe(row.team), _safe(row.locality)])
    return out.getvalue()


def _safe(value: str | None) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
