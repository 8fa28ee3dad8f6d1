"""Importing the case population: parse, compare with what is stored, then write every row or none.

``plan_import`` reads the files and works out what would change (new / updated / unchanged) without writing; it is
``parse_upload`` (the costly part, done once per upload) then ``plan_parsed`` (the comparison with what is stored).
``apply_import`` writes a plan with one import batch and one audit event, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from auditapp.domain.context import current_actor
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import CASE_FIELDS, CaseRecord, ImportFailed, ParseResult, Source, XlsxLimits, parse_sources
from auditapp.models import Agency, AgencyKind, Case, ImportBatch, Locality, Team

# CaseRecord field -> Case column, where they differ
COLUMN_FOR = {"agency": "agency_name", "locality": "locality_name", "team": "team_name"}
COLUMNS = tuple(COLUMN_FOR.get(name, name) for name in CASE_FIELDS)
CHUNK = 5000
ORG_COLUMNS = ("team_id", "locality_id", "agency_id")
Progress = Callable[[int, int], None]

__all__ = [
    "COLUMNS", "ImportFailed", "ImportPlan", "apply_import", "upload_limits", "parse_upload", "plan_import",
    "plan_parsed", "sha256_of",
]  # fmt: skip


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
        return f"{verb} {self.file_label}: {len(self.new)} new, {len(self.updated)} updated, {self.unchanged} unchanged"


def sha256_of(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(hashlib.sha256(source.data).digest())
    return digest.hexdigest()


def _stored_values() -> dict[str, tuple[Any, ...]]:
    columns = [getattr(Case, name) for name in COLUMNS]
    return {row[0]: tuple(row) for row in db.session.execute(select(*columns))}


def upload_limits(config: Mapping[str, Any]) -> XlsxLimits:
    """What a workbook may expand to, as configured (``MAX_UNCOMPRESSED_PART_BYTES``, ``..._TOTAL_BYTES``)."""
    default = XlsxLimits()
    return XlsxLimits(
        part_bytes=config.get("MAX_UNCOMPRESSED_PART_BYTES", default.part_bytes),
        total_bytes=config.get("MAX_UNCOMPRESSED_TOTAL_BYTES", default.total_bytes),
    )


def parse_upload(
    sources: list[Source],
    *,
    format: str | None = None,
    max_bytes: int,
    limits: XlsxLimits | None = None,
) -> ParseResult:
    """Read ``sources`` into case records; raises ImportFailed. ``limits`` default to the importers' own."""
    return parse_sources(sources, format=format, max_bytes=max_bytes, limits=limits or XlsxLimits())


def plan_import(
    sources: list[Source],
    *,
    format: str | None = None,
    max_bytes: int,
    limits: XlsxLimits | None = None,
) -> ImportPlan:
    """Parse ``sources`` and compare each record with the stored case of the same reference.

    Raises ImportFailed (every problem, located by file, sheet, row and column) and writes nothing.
    """
    parsed = parse_upload(sources, format=format, max_bytes=max_bytes, limits=limits)
    return plan_parsed(parsed, sha256=sha256_of(sources))


def plan_parsed(parsed: ParseResult, *, sha256: str) -> ImportPlan:
    """Compare records already parsed (from files whose ``sha256_of`` is ``sha256``) with the stored cases."""
    plan = ImportPlan(
        format=parsed.format,
        files=parsed.files,
        sha256=sha256,
        records=parsed.records,
        skipped_files=parsed.skipped,
    )
    plan.previous_batch = db.session.scalar(
        select(ImportBatch).where(ImportBatch.sha256 == plan.sha256).order_by(ImportBatch.id.desc()).limit(1)
    )
    stored = _stored_values()
    for record in parsed.records:
        values = tuple(record)  # a CaseRecord is a named tuple of CASE_FIELDS, the order of COLUMNS
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
        # A file names a few hundred teams at most: work out each (team, locality, agency) once, not per row.
        self.known: dict[tuple[str | None, str | None, str | None], tuple[int | None, int | None, int | None]] = {}

    def ids(self, record: CaseRecord) -> tuple[int | None, int | None, int | None]:
        """(team_id, locality_id, agency_id) for the record's names, in ORG_COLUMNS order."""
        names = (record.team, record.locality, record.agency)
        found = self.known.get(names)
        if found is None:
            found = self.known[names] = self._match(*names)
        return found

    def _match(
        self, team_name: str | None, locality: str | None, agency: str | None
    ) -> tuple[int | None, int | None, int | None]:
        team = self.teams.get((team_name or "").lower())
        locality_id = self.localities.get((locality or "").lower()) or (team.locality_id if team else None)
        agency_id = self.agencies.get((agency or "").lower()) or (team.agency_id if team else None)
        return (team.id if team else None, locality_id, agency_id)


def _rows(records: list[CaseRecord], matcher: _OrgMatcher, extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Parameter sets for an executemany, every one with the same keys: the columns, org ids and ``extra``."""
    keys = (*COLUMNS, *ORG_COLUMNS, *extra)
    tail = tuple(extra.values())
    ids = matcher.ids
    return [dict(zip(keys, (*r, *ids(r), *tail), strict=True)) for r in records]


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def apply_import(plan: ImportPlan, *, progress: Progress | None = None) -> ImportBatch:
    """Write ``plan``: insert new cases, update changed ones, record the batch and an audit event. Flushes only.

    Everything goes into the caller's transaction, so a failure part-way leaves nothing behind.
    """
    actor = current_actor()
    batch = ImportBatch(
        file_names=plan.file_label,
        sha256=plan.sha256,
        format=plan.format,
        imported_by_id=actor.user_id,
        imported_by_label=actor.email,
        rows_read=len(plan.records),
        new_count=len(plan.new),
        updated_count=len(plan.updated),
        unchanged_count=plan.unchanged,
    )
    db.session.add(batch)
    db.session.flush()
    matcher = _OrgMatcher()
    total, done = len(plan.new) + len(plan.updated), 0
    # Core statements on the table, not the ORM bulk path: that one regroups the rows by which values are
    # None and ran one statement per one or two rows. These are plain executemany calls, in the session's
    # transaction all the same.
    table = Case.__table__
    for chunk in _chunks(plan.new):
        db.session.execute(
            insert(table), _rows(chunk, matcher, {"created_batch_id": batch.id, "updated_batch_id": batch.id})
        )
        done += len(chunk)
        if progress:
            progress(done, total)
    if plan.updated:
        ids = {ref: case_id for ref, case_id in db.session.execute(select(Case.case_ref, Case.id))}
        changed = [r for r in plan.records if r.case_ref in plan.updated]
        by_id = update(table).where(table.c.id == bindparam("case_id"))
        for chunk in _chunks(changed):
            rows = _rows(chunk, matcher, {"updated_batch_id": batch.id})
            for row in rows:
                row["case_id"] = ids[row["case_ref"]]
            db.session.execute(by_id, rows)
            done += len(chunk)
            if progress:
                progress(done, total)
    record_event(
        "cases_imported",
        object_type="import_batch",
        object_id=batch.id,
        details={
            "files": plan.files,
            "sha256": plan.sha256,
            "format": plan.format,
            "new": [r.case_ref for r in plan.new],
            "updated": plan.updated,
            "unchanged": plan.unchanged,
        },
    )
    db.session.flush()
    return batch
