"""A sheet of single-agency audit returns (issue 17): reading it (XLSX or CSV, with the case import's guards: size,
content sniffing, zip-bomb limits, read-only workbooks, formulas never evaluated), checking EVERY row, then
recording them all (or, with any problem, none), and the blank template to fill in.

Problems are located as the case import locates them (``ImportIssue``: file, sheet, row, column, what is wrong);
rows are numbered as the spreadsheet numbers them, the header being row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from sqlalchemy import select

from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter
from auditapp.extensions import db
from auditapp.importers.records import ImportFailed, Issues, Source, fail
from auditapp.importers.safety import XlsxLimits, check_basics, text_lines, xlsx_limits
from auditapp.importers.xlsx import is_blank, open_workbook, sheet_rows
from auditapp.models import Agency, User
from auditapp.programme.returns import GRADE_LABELS, ReturnValues, check_quarter, may_record, problems_of, record_return
from auditapp.vocabulary import ReturnSource

SHEET = "Returns"
MAX_ROWS = 500
#: field -> the column's heading, in the template's order
COLUMNS: dict[str, str] = {
    "agency": "Agency",
    "quarter": "Quarter",
    "audited": "Audited",
    **GRADE_LABELS,
    "themes": "Themes",
    "key_learning": "Key learning",
}
EXAMPLE = ("Test Health", "2026-q1", 12, 1, 6, 4, 1, "Neglect; Domestic abuse", "Voice of the child recorded well...")
EXPLAINED = (
    "The agency's name, as the service shows it",
    "The financial year and quarter: 2026-q1 or 2026-27 Q1 (April to June 2026)",
    "How many case files were audited (0 to 10,000)",
    "How many were graded outstanding (blank means 0)",
    "How many were graded good (blank means 0)",
    "How many were graded requires improvement (blank means 0)",
    "How many were graded inadequate (blank means 0); the rest are not graded",
    "Up to 10 themes separated by ';', each up to 120 characters",
    "What the audits found and what will change (required when any case was audited; up to 5,000 characters)",
)
_LABEL = re.compile(r"^(\d{4})-(\d{2})\s*q([1-4])$")


def _key(heading: object) -> str:
    return " ".join(str(heading or "").replace("_", " ").replace("-", " ").split()).casefold()


_FIELD_OF = {_key(label): name for name, label in COLUMNS.items()}


@dataclass(frozen=True)
class SheetRow:
    number: int
    cells: dict[str, object]  # field -> raw cell value


@dataclass(frozen=True)
class UploadSummary:
    recorded: int
    corrected: int
    unchanged: int

    def __str__(self) -> str:
        def count(n: int, what: str) -> str:
            return f"{n} return{'s' if n != 1 else ''} {what}"

        parts = [count(self.recorded, "recorded"), f"{self.corrected} corrected"]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        return ", ".join(parts)


# ------------------------------------------------------------------------------------------------------ reading


def read_sheet(source: Source, *, max_bytes: int, limits: XlsxLimits) -> tuple[str | None, list[SheetRow]]:
    """The sheet's name (None for CSV) and its non-blank rows below the header. Raises ImportFailed when the file
    cannot be read or its header lacks a column."""
    kind = check_basics(source, max_bytes=max_bytes)
    suffix = PurePath(source.name).suffix.lower()
    if kind == "zip":
        with xlsx_limits(limits):
            return _read_xlsx(source)
    if kind == "text" and suffix in (".csv", ".txt", ""):
        try:
            return None, _rows(source.name, None, enumerate(csv.reader(text_lines(source)), start=1))
        except csv.Error as error:
            raise fail(source.name, f"The CSV could not be read: {error}") from None
    raise fail(source.name, "Upload the returns as an Excel workbook (.xlsx) or a CSV file")


def _read_xlsx(source: Source) -> tuple[str, list[SheetRow]]:
    workbook = open_workbook(source)
    try:
        title = SHEET if SHEET in workbook.sheetnames else workbook.sheetnames[0]
        return title, _rows(source.name, title, sheet_rows(workbook, title))
    finally:
        workbook.close()


def _rows(file: str, sheet: str | None, rows: Iterable[tuple[int, Sequence[object]]]) -> list[SheetRow]:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None or is_blank(first[1]):
        raise fail(file, "The first row must hold the column names: " + ", ".join(COLUMNS.values()), sheet=sheet, row=1)
    positions: dict[str, int] = {}
    for index, heading in enumerate(first[1]):
        name = _FIELD_OF.get(_key(heading))
        if name is not None and name not in positions:
            positions[name] = index
    missing = [label for name, label in COLUMNS.items() if name not in positions]
    if missing:
        raise fail(file, "The header row has no column " + ", ".join(f"'{m}'" for m in missing), sheet=sheet, row=1)
    out: list[SheetRow] = []
    for number, values in iterator:
        if is_blank(values):
            continue
        if len(out) == MAX_ROWS:
            raise fail(file, f"The sheet holds more than {MAX_ROWS} returns: split it", sheet=sheet, row=number)
        cells = {name: values[i] if i < len(values) else None for name, i in positions.items()}
        out.append(SheetRow(number, cells))
    if not out:
        raise fail(file, "The sheet has a header row but no returns below it", sheet=sheet, row=2)
    return out


# ----------------------------------------------------------------------------------------------------- checking


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _whole(value: object, *, blank: int | None) -> int | None:
    """A cell as a whole number (``blank`` when empty); ValueError when it is anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return blank
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().replace(",", "")
    if not text.isdigit() or len(text) > 6:
        raise ValueError
    return int(text)


def parse_quarter(value: object) -> Quarter:
    """``2026-q1`` or ``2026-27 Q1``; ValueError for anything else."""
    text = _text(value).casefold()
    match = _LABEL.match(text)
    if match:
        quarter = Quarter(int(match.group(1)), int(match.group(3)))
        if (quarter.year + 1) % 100 != int(match.group(2)):
            raise ValueError
        return quarter
    return Quarter.parse(text)


@dataclass(frozen=True)
class _Checked:
    number: int
    agency: Agency
    quarter: Quarter
    values: ReturnValues


def _agencies() -> dict[str, Agency]:
    return {a.name.casefold(): a for a in db.session.scalars(select(Agency))}


def _check_row(row: SheetRow, *, user: User, today: date, agencies: dict[str, Agency], add) -> _Checked | None:
    cells, ok = row.cells, True
    name = _text(cells["agency"])
    agency = agencies.get(name.casefold())
    if not name:
        ok = add("agency", "Enter the agency's name")
    elif agency is None:
        ok = add("agency", f"There is no agency called '{name[:120]}'")
    elif not may_record(user, agency):
        ok = add("agency", f"You cannot record returns for {agency.name}: only for the agency you are quality lead of")
    quarter = None
    try:
        quarter = parse_quarter(cells["quarter"])
        check_quarter(quarter, today)
    except ValueError:
        ok = add("quarter", "Write the quarter as 2026-q1 or 2026-27 Q1")
    except DomainError as error:
        ok = add("quarter", error.message)
    numbers: dict[str, int | None] = {}
    for field in ("audited", *GRADE_LABELS):
        try:
            numbers[field] = _whole(cells[field], blank=None if field == "audited" else 0)
        except ValueError:
            ok = add(field, "must be a whole number")
    if not ok or agency is None or quarter is None:
        return None
    values = ReturnValues(
        audited=numbers["audited"],
        grades={grade: numbers[grade] for grade in GRADE_LABELS},
        themes=_text(cells["themes"]).split(";"),
        key_learning=_text(cells["key_learning"]),
    )
    problems = problems_of(values)
    for field, message in problems.items():
        add(field, message)
    return None if problems else _Checked(row.number, agency, quarter, values)


def check_rows(file: str, sheet: str | None, rows: list[SheetRow], *, user: User, today: date) -> list[_Checked]:
    """Every row checked (agency, the user's right to record for it, quarter, numbers, the return's rules, a
    second row for the same agency and quarter). Raises ImportFailed listing every problem."""
    issues = Issues()
    agencies = _agencies()
    seen: dict[tuple[int, Quarter], int] = {}
    checked: list[_Checked] = []
    for row in rows:

        def add(field: str, message: str, number: int = row.number) -> bool:
            issues.add(file, message, sheet=sheet, row=number, column=COLUMNS[field])
            return False

        result = _check_row(row, user=user, today=today, agencies=agencies, add=add)
        if result is None:
            continue
        first = seen.setdefault((result.agency.id, result.quarter), row.number)
        if first != row.number:
            add("quarter", f"{result.agency.name}'s return for {result.quarter.label} is in row {first} already")
            continue
        checked.append(result)
    issues.raise_if_any()
    return checked


def record_sheet(source: Source, *, user: User, today: date, max_bytes: int, limits: XlsxLimits) -> UploadSummary:
    """Read, check and record a sheet of returns: every row is checked first, and with any problem nothing is
    recorded (ImportFailed lists them all). A row for a quarter that has a return corrects it. Audited: one
    trail row per return recorded or corrected."""
    sheet, rows = read_sheet(source, max_bytes=max_bytes, limits=limits)
    checked = check_rows(source.name, sheet, rows, user=user, today=today)
    recorded = corrected = unchanged = 0
    for row in checked:
        result = record_return(
            agency=row.agency,
            quarter=row.quarter,
            values=row.values,
            user=user,
            source=ReturnSource.UPLOAD,
            today=today,
            version=None,
            check_version=False,
        )
        if result.created:
            recorded += 1
        elif result.changed:
            corrected += 1
        else:
            unchanged += 1
    return UploadSummary(recorded, corrected, unchanged)


# ----------------------------------------------------------------------------------------------------- template


def template_xlsx() -> bytes:
    """A blank workbook to fill in: the "Returns" sheet with its header, and an "Example" sheet with a filled-in
    row and what each column holds."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    returns = workbook.active
    assert returns is not None
    returns.title = SHEET
    returns.append(list(COLUMNS.values()))
    example = workbook.create_sheet("Example")
    example.append(list(COLUMNS.values()))
    example.append(list(EXAMPLE))
    example.append(list(EXPLAINED))
    example.append([])
    example.append(["Fill in the Returns sheet, one row per agency and quarter. This sheet is not read."])
    for sheet in (returns, example):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter in "ABCDEFGHI":
            sheet.column_dimensions[letter].width = 24
    for cell in example[3]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["ImportFailed", "UploadSummary", "record_sheet", "template_xlsx"]
