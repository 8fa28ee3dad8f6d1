"""Importing the case population: parse, compare with what is stored, then write every row or none.

``plan_import`` reads the files and works out what would change (new / updated / unchanged) without writing;
``apply_import`` writes a plan with one import batch and one audit event, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update

from auditapp.domain.audit_trail import record_event
from auditapp.domain.context import current_actor
from auditapp.extensions import db
from auditapp.importers import CASE_FIELDS, CaseRecord, ImportFailed, Source, parse_sources
from auditapp.models import Agency, AgencyKind, Case, ImportBatch, Locality, Team

# CaseRecord field -> Case column, where they differ
COLUMN_FOR = {"agency": "agency_name", "locality": "locality_name", "team": "team_name"}
COLUMNS = tuple(COLUMN_FOR.get(name, name) for name in CASE_FIELDS)
CHUNK = 5000
Progress = Callable[[int, int], None]

__all__ = ["COLUMNS", "ImportFailed", "ImportPlan", "apply_import", "plan_import", "sha256_of"]


@dataclass
class ImportPlan:
    """What an import would do. ``updated`` maps a case reference to the names of the fields that change."""

    format: str
    files: list[str]
    sha256: str
    records: list[CaseRecord]
    new: list[CaseRecord] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    skipped_files: list[str] = field(default_factory=list)
    previous_batch: ImportBatch | None = None

    @property
    def file_label(self) -> str:
        return ", ".join(self.files)

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "Would import" if dry_run else "Imported"
        return (f"{verb} {self.file_label}: {len(self.new)} new, {len(self.updated)} updated, "
                f"{self.unchanged} unchanged")


def sha256_of(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(hashlib.sha256(source.data).digest())
    return digest.hexdigest()


def _stored_values() -> dict[str, tuple[Any, ...]]:
    columns = [getattr(Case, name) for name in COLUMNS]
    return {row[0]: tuple(row) for row in db.session.execute(select(*columns))}


def plan_import(sources: list[Source], *, format: str | None = None, max_bytes: int) -> ImportPlan:  # noqa: A002
    """Parse ``sources`` and compare each record with the stored case of the same reference.

    Raises ImportFailed (every problem, located by file, sheet, row and column) and writes nothing.
    """
    parsed = parse_sources(sources, format=format, max_bytes=max_bytes)
    plan = ImportPlan(format=parsed.format, files=parsed.files, sha256=sha256_of(sources), records=parsed.records,
                      skipped_files=parsed.skipped)
    plan.previous_batch = db.session.scalar(
        select(ImportBatch).where(ImportBatch.sha256 == plan.sha256).order_by(ImportBatch.id.desc()).limit(1))
    stored = _stored_values()
    for record in parsed.records:
        values = tuple(getattr(record, name) for name in CASE_FIELDS)
        before = stored.get(record.case_ref)
        if before is None:
            plan.new.append(record)
        elif before != values:
            pairs = zip(before, values, strict=True)
            plan.updated[record.case_ref] = [COLUMNS[i] for i, (a, b) in enumerate(pairs) if a != b]
        else:
            plan.unchanged += 1
    return plan


class _OrgMatcher:
    """Links the names in a file to the partnership's own agencies, localities and teams (case-insensitive)."""

    def __init__(self) -> None:
        self.agencies = {a.name.lower(): a.id for a in db.session.scalars(select(Agency))}
        social = list(db.session.scalars(select(Agency).where(Agency.kind == AgencyKind.SOCIAL_CARE)))
        if len(social) == 1:  # the LA files say "Children's social care": that is this partnership's agency
            self.agencies.setdefault("children's social care", social[0].id)
        self.localities = {loc.name.lower(): loc.id for loc in db.session.scalars(select(Locality))}
        self.teams: dict[str, Team] = {}
        for team in db.session.scalars(select(Team)):
            self.teams.setdefault(team.name.lower(), team)

    def ids(self, record: CaseRecord) -> dict[str, int | None]:
        team = self.teams.get((record.team or "").lower())
        locality_id = self.localities.get((record.locality or "").lower()) or (team.locality_id if team else None)
        agency_id = self.agencies.get((record.agency or "").lower()) or (team.agency_id if team else None)
        return {"team_id": team.id if team else None, "locality_id": locality_id, "agency_id": agency_id}


def _row(record: CaseRecord, matcher: _OrgMatcher, batch_id: int) -> dict[str, Any]:
    row = {COLUMNS[i]: getattr(record, name) for i, name in enumerate(CASE_FIELDS)}
    row.update(matcher.ids(record))
    row["updated_batch_id"] = batch_id
    return row


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def apply_import(plan: ImportPlan, *, progress: Progress | None = None) -> ImportBatch:
    """Write ``plan``: insert new cases, update changed ones, record the batch and an audit event. Flushes only.

    Everything goes into the caller's transaction, so a failure part-way leaves nothing behind.
    """
    actor = current_actor()
    batch = ImportBatch(file_names=plan.file_label, sha256=plan.sha256, format=plan.format,
                        imported_by_id=actor.user_id, imported_by_label=actor.email, rows_read=len(plan.records),
                        new_count=len(plan.new), updated_count=len(plan.updated), unchanged_count=plan.unchanged)
    db.session.add(batch)
    db.session.flush()
    matcher = _OrgMatcher()
    total, done = len(plan.new) + len(plan.updated), 0
    for chunk in _chunks(plan.new):
        rows = [{**_row(r, matcher, batch.id), "created_batch_id": batch.id} for r in chunk]
        db.session.execute(insert(Case), rows)
        done += len(chunk)
        if progress:
            progress(done, total)
    if plan.updated:
        ids = {ref: case_id for ref, case_id in db.session.execute(select(Case.case_ref, Case.id))}
        changed = [r for r in plan.records if r.case_ref in plan.updated]
        for chunk in _chunks(changed):
            db.session.execute(update(Case), [{**_row(r, matcher, batch.id), "id": ids[r.case_ref]} for r in chunk])
            done += len(chunk)
            if progress:
                progress(done, total)
    record_event("cases_imported", object_type="import_batch", object_id=batch.id, details={
        "files": plan.files, "sha256": plan.sha256, "format": plan.format, "new": [r.case_ref for r in plan.new],
        "updated": plan.updated, "unchanged": plan.unchanged})
    db.session.flush()
    return batch


def population_size() -> int:
    return db.session.scalar(select(func.count(Case.id))) or 0
