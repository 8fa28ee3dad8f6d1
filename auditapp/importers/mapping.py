"""The coordinator's mapping of workers and teams to localities, read from a CSV file or an .xlsx workbook.

Pure parsing: no Flask, no database. The first row names the columns (any letter case; "Allocated worker" is
``worker``): ``worker``, ``team`` and ``locality``. A row with a worker maps that worker to a team, a locality
or both; a row without a worker maps a team to its locality. ``parse_mapping`` returns the rows or raises
ImportFailed listing every problem, each with its file, row and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditapp.importers.records import ImportFailed, Issues, Source, fail
from auditapp.importers.safety import check_basics, text_lines
from auditapp.importers.values import clean_text, normalise_header
from auditapp.importers.xlsx import is_blank, open_workbook, sheet_rows

MAPPING_COLUMNS = ("worker", "team", "locality")
MAX_NAME = 120
MAX_ROWS = 20_000
_ALIASES = {
    "worker": "worker", "allocatedworker": "worker", "socialworker": "worker", "allocatedsocialworker": "worker",
    "team": "team", "allocatedteam": "team", "teamname": "team",
    "locality": "locality", "area": "locality", "localityname": "locality",
}  # fmt: skip


@dataclass(frozen=True)
class MappingRow:
    """One mapping: ``worker`` (None for a team's row) to ``team`` and/or ``locality``; ``row`` as in the file."""

    worker: str | None
    team: str | None
    locality: str | None
    row: int = 0

    @property
    def match_key(self) -> str:
        return f"worker:{self.worker.lower()}" if self.worker else f"team:{(self.team or '').lower()}"


def check_row(worker: str | None, team: str | None, locality: str | None) -> list[tuple[str | None, str]]:
    """The problems with one mapping row, as (column, message) pairs in GOV.UK words; empty when it is good."""
    problems: list[tuple[str | None, str]] = []
    for column, value in (("worker", worker), ("team", team), ("locality", locality)):
        if value and len(value) > MAX_NAME:
            problems.append((column, f"The {column} must be {MAX_NAME} characters or fewer"))
    if worker and not (team or locality):
        problems.append(("team", "Enter the worker's team or locality, or both"))
    elif not worker and not team:
        problems.append(("worker", "Enter a worker or a team"))
    elif not worker and not locality:
        problems.append(("locality", "Enter the team's locality"))
    return problems


def parse_mapping(source: Source, *, max_bytes: int) -> list[MappingRow]:
    """Read a mapping file (CSV or .xlsx, told apart by content). Raises ImportFailed; never anything else."""
    try:
        kind = check_basics(source, max_bytes=max_bytes)
        if kind == "zip":
            rows = _xlsx_rows(source)
        elif kind == "text":
            rows = _csv_rows(source)
        else:
            raise fail(source.name, "The file must be a CSV file or an Excel workbook (.xlsx)")
        return _read(source.name, rows)
    except ImportFailed:
        raise
    except Exception:  # the promise: no stack trace reaches the user, whatever the file holds
        raise fail(source.name, "The file could not be read: save it as CSV or .xlsx and upload it again") from None


def _csv_rows(source: Source) -> Iterable[tuple[int, Sequence[object]]]:
    try:
        return list(enumerate(csv.reader(text_lines(source)), start=1))
    except csv.Error:
        raise fail(source.name, "The CSV file is damaged: save it as CSV again and upload it") from None


def _xlsx_rows(source: Source) -> Iterable[tuple[int, Sequence[object]]]:
    workbook = open_workbook(source)
    try:
        return list(sheet_rows(workbook, workbook.sheetnames[0]))
    finally:
        workbook.close()


def _read(name: str, rows: Iterable[tuple[int, Sequence[object]]]) -> list[MappingRow]:
    issues = Issues()
    found: list[MappingRow] = []
    seen: dict[str, int] = {}
    columns: dict[str, int] | None = None
    for number, values in rows:
        if columns is None:
            if is_blank(values):
                continue
            columns = _header(name, number, values, issues)
            if issues:
                break
            continue
        if is_blank(values):
            continue
        if len(found) >= MAX_ROWS:
            issues.add(name, f"The file has more than {MAX_ROWS:,} rows: split it or remove rows", row=number)
            break
        cells = {key: clean_text(values[i]) if i < len(values) else None for key, i in columns.items()}
        worker, team, locality = (cells.get(key) for key in MAPPING_COLUMNS)
        problems = check_row(worker, team, locality)
        for column, message in problems:
            issues.add(name, message, row=number, column=column)
        if problems:
            continue
        row = MappingRow(worker, team, locality, number)
        first = seen.setdefault(row.match_key, number)
        if first != number:
            what = f"The worker '{worker}'" if worker else f"The team '{team}'"
            issues.add(name, f"{what} is also on row {first}: map each once", row=number, column=_key_column(row))
            continue
        found.append(row)
        if issues.full:
            break
    if columns is None and not issues:
        issues.add(name, "The file is empty: the first row should name the columns worker, team and locality")
    issues.raise_if_any()
    return found


def _key_column(row: MappingRow) -> str:
    return "worker" if row.worker else "team"


def _header(name: str, number: int, values: Sequence[object], issues: Issues) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(values):
        heading = clean_text(cell) or ""
        key = _ALIASES.get(normalise_header(heading))
        if not heading:
            continue
        if key is None:
            issues.add(
                name,
                f"'{heading[:60]}' is not a column of the mapping: use worker, team and locality",
                row=number,
                column=heading[:60],
            )
        elif key in columns:
            issues.add(name, f"The column '{key}' appears twice: remove one of them", row=number, column=heading[:60])
        else:
            columns[key] = index
    if not issues and "locality" not in columns and "team" not in columns:
        issues.add(name, "The first row must name the columns worker, team and locality", row=number)
    return columns


__all__ = ["MAPPING_COLUMNS", "MappingLookup", "MappingRow", "check_row", "parse_mapping"]


class MappingLookup:
    """The mapping as look-ups: a worker to (team, locality), a team to its locality (names ignore letter case)."""

    def __init__(self, rows: Iterable[MappingRow]) -> None:
        self.workers: dict[str, tuple[str | None, str | None]] = {}
        self.teams: dict[str, str] = {}
        for row in rows:
            if row.worker:
                self.workers[row.worker.strip().lower()] = (row.team, row.locality)
            elif row.team and row.locality:
                self.teams[row.team.strip().lower()] = row.locality

    def __bool__(self) -> bool:
        return bool(self.workers or self.teams)

    def resolve(
        self, worker: str | None, team: str | None, locality: str | None
    ) -> tuple[str | None, str | None, bool, bool]:
        """(team, locality, team came from the mapping, locality came from the mapping) for a case's names.

        Only blanks are filled: a team or locality the file gives is kept. A worker's own locality comes first,
        then the locality of the worker's (or the file's) team.
        """
        mapped_team, mapped_locality = self.workers.get((worker or "").strip().lower(), (None, None))
        team_mapped = not team and bool(mapped_team)
        team = team or mapped_team
        if locality:
            return team, locality, team_mapped, False
        locality = mapped_locality or self.teams.get((team or "").strip().lower())
        return team, locality, team_mapped, bool(locality)
