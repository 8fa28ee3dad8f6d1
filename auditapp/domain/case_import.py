"""Importing the case population: parse, compare with what is stored, then write every row or none.

``plan_import`` reads the files and works out what would change (new / updated / unchanged) without writing; it is
``parse_upload`` (the costly part, done once per upload) then ``plan_parsed`` (the comparison with what is stored).
``apply_import`` writes a plan with one import batch and one audit event, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from auditapp.domain.context import current_actor
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import (
    CASE_FIELDS,
    CaseRecord,
    ImportFailed,
    ParseResult,
    Source,
    XlsxLimits,
    collector_paused,
    parse_sources,
)
from auditapp.importers.mapping import MappingLookup, MappingRow
from auditapp.models import Agency, AgencyKind, Case, ImportBatch, Locality, Team
from auditapp.models.case import FORMAT_NAMES, STATUTORY_FORMATS, PopulationMapping

# CaseRecord field -> Case column, where they differ
COLUMN_FOR = {"agency": "agency_name", "locality": "locality_name", "team": "team_name"}
COLUMNS = tuple(COLUMN_FOR.get(name, name) for name in CASE_FIELDS)
CHUNK = 5000
ORG_COLUMNS = ("team_id", "locality_id", "agency_id")
# Stored beside the values: where the team and locality came from, the format, and whether a return left it out.
BOOKKEEPING = ("team_from_mapping", "locality_from_mapping", "source_format", "missing_from_batch_id")
Progress = Callable[[int, int], None]

__all__ = [
    "COLUMNS", "ImportFailed", "ImportPlan", "OrgMatcher", "apply_import", "format_family", "load_lookup",
    "upload_limits", "parse_upload", "plan_import",
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
    full_return: bool = False
    period: str | None = None
    # Case references whose team / locality the mapping supplied (the file left them blank).
    team_mapped: set[str] = field(default_factory=set)
    locality_mapped: set[str] = field(default_factory=set)
    # A full return: the stored cases of its format it leaves out. Any import: the left-out cases it holds again.
    not_in_return: list[str] = field(default_factory=list)
    back_in_return: list[str] = field(default_factory=list)
    # Cases in the file whose format or return marking changes without any value changing.
    bookkeeping: list[str] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES.get(self.format, "Other")

    @property
    def file_label(self) -> str:
        return ", ".join(self.files)

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "Would import" if dry_run else "Imported"
        text = f"{verb} {self.file_label}: {len(self.new)} new, {len(self.updated)} updated, {self.unchanged} unchanged"
        if self.not_in_return:
            marked = "would be" if dry_run else "were"
            text += f"; {len(self.not_in_return)} {marked} marked not in the latest return"
        if self.back_in_return:
            text += f"; {len(self.back_in_return)} back in the return"
        return text


def format_family(format: str | None) -> tuple[str, ...]:
    """The formats one full return covers: a generic file is one format, whether CSV or Excel."""
    if format in ("generic_csv", "generic_xlsx"):
        return ("generic_csv", "generic_xlsx")
    return (format or "",)


def load_lookup() -> MappingLookup:
    """The coordinator's mapping of workers and teams to localities, as look-ups."""
    rows = db.session.scalars(select(PopulationMapping).order_by(PopulationMapping.id))
    return MappingLookup(MappingRow(m.worker, m.team, m.locality) for m in rows)


def sha256_of(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(hashlib.sha256(source.data).digest())
    return digest.hexdigest()


def _stored_values() -> dict[str, tuple[Any, ...]]:
    """Each stored case's COLUMNS values followed by its BOOKKEEPING values, by case reference."""
    columns = [getattr(Case, name) for name in (*COLUMNS, *BOOKKEEPING)]
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
    full_return: bool = False,
    period: str | None = None,
) -> ImportPlan:
    """Parse ``sources`` and compare each record with the stored case of the same reference.

    Raises ImportFailed (every problem, located by file, sheet, row and column) and writes nothing.
    """
    parsed = parse_upload(sources, format=format, max_bytes=max_bytes, limits=limits)
    return plan_parsed(parsed, sha256=sha256_of(sources), full_return=full_return, period=period)


def _mapped(plan: ImportPlan, records: list[CaseRecord]) -> list[CaseRecord]:
    """The records with the blanks the mapping fills (statutory returns only: they seldom give team or locality)."""
    lookup = load_lookup() if plan.format in STATUTORY_FORMATS else None
    if not lookup:
        return records
    out = []
    for record in records:
        team, locality, team_mapped, locality_mapped = lookup.resolve(record.worker, record.team, record.locality)
        if team_mapped:
            plan.team_mapped.add(record.case_ref)
        if locality_mapped:
            plan.locality_mapped.add(record.case_ref)
        out.append(record._replace(team=team, locality=locality) if team_mapped or locality_mapped else record)
    return out


def plan_parsed(
    parsed: ParseResult, *, sha256: str, full_return: bool = False, period: str | None = None
) -> ImportPlan:
    """Compare records already parsed (from files whose ``sha256_of`` is ``sha256``) with the stored cases.

    The mapping fills the team and locality a statutory return leaves blank. A ``full_return`` holds every case
    of its format for ``period``: the stored cases of that format it leaves out are listed in ``not_in_return``.
    """
    plan = ImportPlan(
        format=parsed.format,
        files=parsed.files,
        sha256=sha256,
        records=[],
        skipped_files=parsed.skipped,
        full_return=full_return,
        period=(period or "").strip() or None,
    )
    plan.records = _mapped(plan, parsed.records)
    plan.previous_batch = db.session.scalar(
        select(ImportBatch).where(ImportBatch.sha256 == plan.sha256).order_by(ImportBatch.id.desc()).limit(1)
    )
    stored = _stored_values()
    width = len(COLUMNS)
    for record in plan.records:
        values = tuple(record)  # a CaseRecord is a named tuple of CASE_FIELDS, the order of COLUMNS
        before = stored.get(record.case_ref)
        if before is None:
            plan.new.append(record)
            continue
        team_from_mapping, locality_from_mapping, source_format, missing = before[width:]
        changed = [COLUMNS[i] for i, (a, b) in enumerate(zip(before[:width], values, strict=True)) if a != b]
        for column, was, now in (
            ("team_name", team_from_mapping, record.case_ref in plan.team_mapped),
            ("locality_name", locality_from_mapping, record.case_ref in plan.locality_mapped),
        ):
            if bool(was) != now and column not in changed:
                changed.append(column)  # the same name, now from the file rather than the mapping (or back)
        if missing is not None:
            plan.back_in_return.append(record.case_ref)
        if changed:
            plan.updated[record.case_ref] = changed
        else:
            plan.unchanged += 1
            if missing is not None or source_format != plan.format:
                plan.bookkeeping.append(record.case_ref)
    if full_return:
        held = {record.case_ref for record in plan.records}
        family = format_family(plan.format)
        plan.not_in_return = sorted(
            ref
            for ref, before in stored.items()
            if before[width + 2] in family and before[width + 3] is None and ref not in held
        )
    return plan


class OrgMatcher:
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


def _rows(
    plan: ImportPlan,
    records: list[CaseRecord],
    matcher: OrgMatcher,
    extra: dict[str, Any],
    *,
    omit_blank: bool = False,
) -> list[dict[str, Any]]:
    """Parameter sets for an executemany, every one with the same keys: the columns, org ids, where the team and
    locality came from, and ``extra``.

    With ``omit_blank`` (inserts only: an update must write its NULLs) a column that is None in every record is
    left out: the database stores NULL for it all the same, and each value sent costs a bind parameter to process.
    Files leave many columns blank throughout (a CIN census has no team, locality or worker; few files give
    section 47 or looked-after dates), and the parameters were most of an insert's time. No Case column that can
    be None has a default, so leaving one out changes nothing stored.
    """
    keys = (*COLUMNS, *ORG_COLUMNS, "team_from_mapping", "locality_from_mapping", *extra)
    tail = tuple(extra.values())
    ids, teams, localities = matcher.ids, plan.team_mapped, plan.locality_mapped
    values = [(*r, *ids(r), r.case_ref in teams, r.case_ref in localities, *tail) for r in records]
    if omit_blank and values:
        count = len(values)
        kept = [index for index, column in enumerate(zip(*values, strict=True)) if column.count(None) != count]
        if len(kept) < len(keys):  # case_ref and status are never None, so at least two are kept
            pick = itemgetter(*kept)
            kept_keys = tuple(keys[index] for index in kept)
            return [dict(zip(kept_keys, pick(row), strict=True)) for row in values]
    return [dict(zip(keys, row, strict=True)) for row in values]


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
        full_return=plan.full_return,
        period=plan.period,
        marked_missing_count=len(plan.not_in_return),
        returned_count=len(plan.back_in_return),
    )
    db.session.add(batch)
    db.session.flush()
    matcher = OrgMatcher()
    total, done = len(plan.new) + len(plan.updated), 0
    # Core statements on the table, not the ORM bulk path: that one regroups the rows by which values are
    # None and ran one statement per one or two rows. These are plain executemany calls, in the session's
    # transaction all the same.
    table = Case.__table__
    in_return = {"source_format": plan.format, "missing_from_batch_id": None}
    with collector_paused():  # a few hundred thousand short-lived dicts and tuples, none in a cycle
        for chunk in _chunks(plan.new):
            extra = {"created_batch_id": batch.id, "updated_batch_id": batch.id, **in_return}
            db.session.execute(insert(table), _rows(plan, chunk, matcher, extra, omit_blank=True))
            done += len(chunk)
            if progress:
                progress(done, total)
    ids: dict[str, int] = {}
    if plan.updated or plan.bookkeeping or plan.not_in_return:
        ids = {ref: case_id for ref, case_id in db.session.execute(select(Case.case_ref, Case.id))}
    by_id = update(table).where(table.c.id == bindparam("case_id"))
    if plan.updated:
        changed = [r for r in plan.records if r.case_ref in plan.updated]
        for chunk in _chunks(changed):
            rows = _rows(plan, chunk, matcher, {"updated_batch_id": batch.id, **in_return})
            for row in rows:
                row["case_id"] = ids[row["case_ref"]]
            db.session.execute(by_id, rows)
            done += len(chunk)
            if progress:
                progress(done, total)
    _mark_returns(plan, batch, ids, by_id)
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
            "full_return": plan.full_return,
            "period": plan.period,
            "not_in_return": plan.not_in_return,
            "back_in_return": plan.back_in_return,
        },
    )
    db.session.flush()
    return batch


def _mark_returns(plan: ImportPlan, batch: ImportBatch, ids: dict[str, int], by_id: Any) -> None:
    """Unchanged cases: their format and return marking; a full return: mark the cases it leaves out."""
    for chunk in _chunks(plan.bookkeeping):
        rows = [{"case_id": ids[ref], "format": plan.format} for ref in chunk]
        db.session.execute(by_id.values(source_format=bindparam("format"), missing_from_batch_id=None), rows)
    for chunk in _chunks(plan.not_in_return):
        rows = [{"case_id": ids[ref], "missing": batch.id} for ref in chunk]
        db.session.execute(by_id.values(missing_from_batch_id=bindparam("missing")), rows)
