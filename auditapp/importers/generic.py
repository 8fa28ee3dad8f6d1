"""The generic case format, as CSV or as the first suitable sheet of an .xlsx workbook.

The first row is the header. Column names are matched ignoring case, spaces and punctuation
('Case Ref' is `case_ref`). `case_ref` and `status` are required; the optional columns are the rest of
CASE_FIELDS. Dates are ISO (2024-03-31) or dd/mm/yyyy (31/03/2024); an .xlsx may also hold real date cells.
Columns holding personal data (names, addresses, postcodes, UPN, NHS number) are ignored and never read;
any other unknown column is an error, so a misspelt column is not silently dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from auditapp.importers.records import CASE_FIELDS, DATE_FIELDS, CaseRecord, Issues, Source, fail
from auditapp.importers.rules import check_date_order
from auditapp.importers.safety import text_lines
from auditapp.importers.values import (
    ValueProblem,
    clean_text,
    normalise_header,
    parse_bool,
    parse_category,
    parse_count,
    parse_date,
    parse_gender,
    parse_status,
)
from auditapp.importers.xlsx import is_blank, open_workbook, sheet_rows

if TYPE_CHECKING:  # openpyxl is imported when a workbook is opened, not with the module
    from openpyxl.workbook.workbook import Workbook

REQUIRED = ("case_ref", "status")
PERSONAL_COLUMNS = frozenset({
    "name", "firstname", "forename", "forenames", "givenname", "surname", "lastname", "familyname",
    "middlename", "childname", "childsname", "fullname", "preferredname", "address", "postcode", "upn",
    "formerupn", "nhsnumber", "nhsno", "nhs", "uln", "niNumber".lower(), "nationalinsurancenumber",
})  # fmt: skip
_PERSONAL_PREFIXES = ("address", "postcode", "street", "town", "telephone", "phone", "email")
_ALIASES = {"dob": "date_of_birth", "caseid": "case_ref", "childid": "case_ref", "sex": "gender"}

Parser = Callable[[object], object]
MAX_SHARED_TEXTS = 20_000  # distinct names remembered per file; a few hundred teams and workers is usual
_UNSEEN = object()


def _parser_for(name: str, *, serials: bool) -> Parser:
    if name in DATE_FIELDS:
        return (lambda value: parse_date(value, serials=True)) if serials else parse_date
    special: dict[str, Parser] = {
        "status": parse_status, "gender": parse_gender, "seen_alone": parse_bool,
        "previous_cp_plans": parse_count, "category_of_abuse": parse_category,
    }  # fmt: skip
    return special.get(name, clean_text)


def is_generic_header(cells: Iterable[object]) -> bool:
    """True when a header row names both required generic columns."""
    keys = {_field_for(normalise_header(cell)) for cell in cells}
    return all(name in keys for name in REQUIRED)


def names_generic_column(cells: Iterable[object]) -> bool:
    """True when a header row names any generic column: enough to read it as a (possibly wrong) generic file."""
    return any(_field_for(normalise_header(cell)) for cell in cells)


_FIELD_KEYS = {normalise_header(name): name for name in CASE_FIELDS} | _ALIASES


def _field_for(key: str) -> str | None:
    return _FIELD_KEYS.get(key)


def _is_personal(key: str) -> bool:
    return key in PERSONAL_COLUMNS or key.startswith(_PERSONAL_PREFIXES)


class GenericTable:
    """Reads rows of one generic table once its header has been checked."""

    def __init__(self, file: str, sheet: str | None, header: list[object], issues: Issues, *, serials: bool):
        self.file, self.sheet, self.issues = file, sheet, issues
        self.headings = [clean_text(cell) or "" for cell in header]
        self.width = len(header)
        self.columns: list[tuple[str, int, Parser]] = []
        self.seen: dict[str, int] = {}
        self.records: list[CaseRecord] = []
        self.strings: dict[str, str | None] = {}  # cell text -> its clean text, shared by every row that has it
        self._map_header(serials=serials)
        # CSV cells are all text, and every column but case_ref repeats a few hundred or thousand values (dates,
        # codes, names): each column remembers what its texts parse to, and a row whose cells were all seen
        # before is read with one dict look-up per cell, in C (see add_row). Workbook cells can be numbers and
        # dates, which must not meet a text key (1 == True), so workbooks keep the parsers.
        self.memos: list[dict[object, object] | None] = [
            None if serials or name == "case_ref" else {} for name, _, _ in self.columns
        ]
        self.fast: list[tuple[str, int, Callable[[object], object]]] = [
            (name, index, parse if memo is None else memo.__getitem__)
            for (name, index, parse), memo in zip(self.columns, self.memos, strict=True)
        ]

    def _map_header(self, *, serials: bool) -> None:
        used: dict[str, int] = {}
        for index, heading in enumerate(self.headings):
            key = normalise_header(heading)
            name = _field_for(key)
            if not key or (name is None and _is_personal(key)):
                continue  # blank heading, or personal data we must not read
            if name is None:
                self._header_issue(
                    f"'{heading}' is not a column this format uses: rename it to one of "
                    f"{', '.join(CASE_FIELDS)}, or remove it",
                    heading,
                )
            elif name in used:
                self._header_issue(
                    f"The column '{name}' appears twice (columns {used[name] + 1} and {index + 1}): remove one of them",
                    heading,
                )
            else:
                used[name] = index
                parse = _parser_for(name, serials=serials)
                if parse is clean_text and name != "case_ref":
                    parse = self._shared_text
                self.columns.append((name, index, parse))
        missing = [name for name in REQUIRED if name not in used]
        if missing:
            self.issues.add(
                self.file,
                f"The header must include {' and '.join(missing)}. The first row should "
                f"hold the column names, such as {', '.join(CASE_FIELDS[:4])}",
                sheet=self.sheet,
                row=1,
            )

    def _header_issue(self, message: str, heading: str) -> None:
        self.issues.add(self.file, message, sheet=self.sheet, row=1, column=heading)

    @property
    def usable(self) -> bool:
        """False when the header is so wrong that reading rows would only repeat the same error."""
        return not self.issues

    def add_row(self, number: int, values: Sequence[object]) -> None:
        """Parse one data row; problems go to `issues`, a good row is kept."""
        if len(values) != self.width and not self._fix_width(number, values):
            return
        try:  # every cell at once; a row with a bad cell is read again, cell by cell, to report each problem
            try:
                fields = {name: get(values[index]) for name, index, get in self.fast}
            except KeyError:  # a text its column has not seen yet: parse the row, and remember its cells
                fields = self._parse_remembering(values)
        except ValueProblem:
            self._report_cells(number, values)
            return
        if self._check_ref(number, fields.get("case_ref")) and check_date_order(
            fields, self.issues, self.file, self.sheet, number
        ):
            self.records.append(CaseRecord(**fields))  # type: ignore[arg-type]

    def _parse_remembering(self, values: Sequence[object]) -> dict[str, object]:
        """Parse every cell of a row and remember each text's value in its column's memo (bounded: a column of
        more than MAX_SHARED_TEXTS different texts stops remembering and is parsed cell by cell). Raises
        ValueProblem for a bad cell, which is not remembered."""
        fields: dict[str, object] = {}
        for position, ((name, index, parse), memo) in enumerate(zip(self.columns, self.memos, strict=True)):
            value = values[index]
            fields[name] = parsed = parse(value)
            if memo is not None and type(value) is str:
                if len(memo) < MAX_SHARED_TEXTS:
                    memo[value] = parsed
                else:
                    self.memos[position], self.fast[position] = None, (name, index, parse)
        return fields

    def _report_cells(self, number: int, values: Sequence[object]) -> None:
        fields: dict[str, object] = {}
        for name, index, parse in self.columns:
            try:
                fields[name] = parse(values[index])
            except ValueProblem as problem:
                self.issues.add(self.file, str(problem), sheet=self.sheet, row=number, column=self.headings[index])
        self._check_ref(number, fields.get("case_ref"))  # a duplicate reference is worth reporting too

    def _shared_text(self, value: object) -> str | None:
        """clean_text, answering each repeated agency, locality, team or worker name with one shared copy."""
        if type(value) is not str:
            return clean_text(value)
        text = self.strings.get(value, _UNSEEN)
        if text is _UNSEEN:
            text = clean_text(value)  # raises ValueProblem for an Excel error, which is then not remembered
            if len(self.strings) < MAX_SHARED_TEXTS:
                self.strings[value] = text
        return text  # type: ignore[return-value]

    def _fix_width(self, number: int, values: Sequence[object]) -> bool:
        extra = values[self.width :]
        if len(values) > self.width and is_blank(extra):
            return True  # trailing empty cells, as spreadsheets often save them
        self.issues.add(
            self.file,
            f"This row has {len(values)} cells but the header has {self.width} columns: "
            "check for a missing or extra comma",
            sheet=self.sheet,
            row=number,
        )
        return False

    def _check_ref(self, number: int, ref: object) -> bool:
        if ref is None:
            self.issues.add(
                self.file,
                "Enter the case reference",
                sheet=self.sheet,
                row=number,
                column=self.headings[self._index("case_ref")],
            )
            return False
        first = self.seen.setdefault(str(ref), number)
        if first != number:
            self.issues.add(
                self.file,
                f"Case reference '{ref}' is also on row {first}: each case must appear once",
                sheet=self.sheet,
                row=number,
                column=self.headings[self._index("case_ref")],
            )
            return False
        return True

    def _index(self, name: str) -> int:
        return next(index for field, index, _ in self.columns if field == name)


def parse_generic_csv(source: Source, issues: Issues) -> list[CaseRecord]:
    """Read a generic CSV file; problems are added to `issues`."""
    reader = csv.reader(text_lines(source))
    table: GenericTable | None = None
    try:
        header = next(reader, None)
        if header is None or is_blank(header):
            raise fail(source.name, "The first row must hold the column names, such as case_ref and status", row=1)
        table = GenericTable(source.name, None, list(header), issues, serials=False)
        if not table.usable:
            return []
        _read_rows(table, enumerate(reader, start=2), source.name)
    except csv.Error as error:
        issues.add(source.name, f"The CSV could not be read: {error}", row=reader.line_num)
    return table.records if table is not None and not issues else []


def _read_rows(
    table: GenericTable,
    rows: Iterable[tuple[int, Sequence[object]]],
    name: str,
    sheet: str | None = None,
) -> None:
    count = 0
    for number, values in rows:
        if is_blank(values):
            continue
        count += 1
        table.add_row(number, values)
        if table.issues.full:
            break
    if count == 0:
        table.issues.add(name, "The file has a header row but no cases below it", sheet=sheet, row=2)


def parse_generic_xlsx(source: Source, issues: Issues) -> list[CaseRecord]:
    """Read the first sheet of a workbook whose first row holds the generic header."""
    workbook = open_workbook(source)
    try:
        title = find_generic_sheet(workbook.sheetnames, workbook)
        if title is None:
            raise fail(
                source.name,
                "No sheet has case_ref and status in its first row: put the column names "
                "in the first row of the first sheet",
            )
        rows = sheet_rows(workbook, title)
        _, header = next(rows)
        table = GenericTable(source.name, title, list(header), issues, serials=True)
        if table.usable:
            _read_rows(table, rows, source.name, title)
        return table.records if not issues else []
    finally:
        workbook.close()


def find_generic_sheet(titles: list[str], workbook: Workbook) -> str | None:
    """The first sheet whose first row is a generic header."""
    for title in titles:
        first = next(workbook[title].iter_rows(max_row=1, values_only=True), ())
        if is_generic_header(first):
            return title
    return None
