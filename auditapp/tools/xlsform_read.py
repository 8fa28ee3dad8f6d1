"""Reading a tool spreadsheet: the sheets, their columns and the grammar of their cells (see SPREADSHEETS.md).

Collects every problem with the sheet, row and column it is in, and remembers where each element of the definition
came from (``Reader.where``: JSON path -> cell), so that :mod:`.xlsform` can translate the checks of ``load_tool``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .model import ANSWER_TYPES, AuditTool, ToolDefinitionError
from .xlsform_cells import read_agencies, read_computed, read_condition, read_labels

BEGIN, END = "begin_section", "end_section"
MAX_VERSION = 2**31 - 1  # as loader.MAX_VERSION (not imported: the loader reads shipped spreadsheets with this)
MAX_ROWS = 2000  # a tool has tens of questions: far more is a wrong file, and would be slow to check
MAX_COLUMNS = 40
SETTINGS_COLUMNS = ("key", "version", "title", "kind", "description", "calendar", "grade_scale_name")
QUESTION_COLUMNS = (
    "type", "name", "label", "hint", "required", "relevant", "required_if", "choices", "labels", "polarity",
    "unit", "agency", "computed", "when_start_missing", "min", "max", "integer", "max_length", "error_required",
    "error_override_reason", "evidence_label", "evidence_hint", "evidence_required",
)  # fmt: skip
CHOICE_COLUMNS = ("list_name", "name", "label")
GRADE_COLUMNS = ("value", "label", "descriptor")
_REQUIRED_HEADERS = {"settings": ("key", "version", "title", "kind"), "questions": ("type", "name", "label")}
_REQUIRED_HEADERS |= {"choices": CHOICE_COLUMNS, "grades": ("value", "label")}
_COLUMNS = {"settings": SETTINGS_COLUMNS, "questions": QUESTION_COLUMNS, "choices": CHOICE_COLUMNS}
_COLUMNS["grades"] = GRADE_COLUMNS

# Question JSON field -> questions-sheet column, for text copied as is; and the section's fields on its row.
QUESTION_TEXT = {"text": "label", "hint": "hint", "error_required": "error_required"}
QUESTION_TEXT["error_override_reason"] = "error_override_reason"
SECTION_TEXT = {"title": "label", "description": "hint"}
EVIDENCE_COLUMNS = {"label": "evidence_label", "hint": "evidence_hint", "required": "evidence_required"}
EVIDENCE_COLUMNS |= {"max_length": "max_length", "error_required": "error_required"}
_QUESTION_FIELDS = {"id": "name", "type": "type", "required": "required", "show_when": "relevant"}
_QUESTION_FIELDS |= {"required_when": "required_if", "options": "choices", "labels": "labels", "unit": "unit"}
_QUESTION_FIELDS |= {"meets_standard": "polarity", "agencies": "agency", "computed": "computed", "min": "min"}
_QUESTION_FIELDS |= {"max": "max", "integer": "integer", "max_length": "max_length"} | QUESTION_TEXT
_SECTION_FIELDS = {"id": "name", "agencies": "agency", "questions": "type"} | SECTION_TEXT

_PATH = re.compile(r"^((?:[a-z_]+|\[\d+\])(?:\.[a-z_]+|\[\d+\])*)(?: \('[^']*'\))?: (.*)$", re.DOTALL)
_INNER_PATH = re.compile(r"sections\[\d+\](?:\.questions\[\d+\])?")
Where = tuple[str, int, str | None]  # sheet, spreadsheet row number, column header (None: the whole row)

# ----------------------------------------------------------------------------------------------------- import


class Reader:
    """The state of one workbook being read: the errors so far, and where each JSON element came from."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[tuple[Where | None, str]] = []
        self.where: dict[str, Where] = {}
        self.unreadable: set[str] = set()  # sheets whose headers are wrong, so whose rows were not read

    def error(self, where: Where | None, message: str) -> None:
        self.errors.append((where, message))

    def cell(self, row: dict[str, Any], column: str, where: Where, read: Callable[[str], Any]) -> Any:
        """The cell read by ``read`` (a grammar of xlsform_cells); None, with the problem noted, if it cannot be."""
        text = self.text(row, column, where)
        if text is None:
            return None
        try:
            return read(text)
        except ValueError as problem:
            self.error(where[:2] + (column,), str(problem))
            return None

    def text(self, row: dict[str, Any], column: str, where: Where) -> str | None:
        value = row.get(column)
        if value is None:
            return None
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    def flag(self, row: dict[str, Any], column: str, where: Where) -> bool | None:
        text = self.text(row, column, where)
        if text is None:
            return None
        if text.lower() in ("yes", "true"):
            return True
        if text.lower() in ("no", "false"):
            return False
        self.error(where[:2] + (column,), f"'{text}' is not yes or no")
        return None

    def number(self, row: dict[str, Any], column: str, where: Where, *, whole: bool = False) -> int | float | None:
        value = row.get(column)
        if isinstance(value, str):
            value = value.strip().replace(",", "") or None
            try:
                value = None if value is None else float(value)
            except ValueError:
                self.error(where[:2] + (column,), f"'{row[column]}' is not a number")
                return None
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            if value is not None:
                self.error(where[:2] + (column,), "enter a number")
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        if whole and not isinstance(value, int):
            self.error(where[:2] + (column,), f"'{value}' is not a whole number")
            return None
        return value


def _refuse_container(data: bytes, name: str) -> str | None:
    if data[:4] == b"PK\x03\x04":
        return None
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return f"{name}: this is an old Excel file (.xls); save it as an Excel workbook (.xlsx) and upload it again"
    return f"{name}: this is not an Excel workbook (.xlsx); upload the tool's spreadsheet, or its JSON definition"


def _open(data: bytes, name: str) -> Any:
    from auditapp.importers.records import ImportFailed, Source
    from auditapp.importers.xlsx import open_workbook

    problem = _refuse_container(data, name)
    if problem:
        raise ToolDefinitionError([problem])
    try:
        return open_workbook(Source(name, data))
    except ImportFailed as failure:
        raise ToolDefinitionError([f"{name}: {issue.message}" for issue in failure.issues]) from None


def _sheet_rows(reader: Reader, workbook: Any, title: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {header: value}) for each non-blank data row of a sheet, after checking its headers."""
    sheet = workbook[title]
    headers: list[str | None] = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_ROWS + 1:
            reader.error((title, number, None), f"the sheet has more than {MAX_ROWS} rows; a tool needs far fewer")
            return
        for index, cell in enumerate(cells):
            if getattr(cell, "data_type", None) == "f":
                header = headers[index] if index < len(headers) else None
                reader.error((title, number, header), "is a formula; type the value itself (formulas are not read)")
        values = [None if getattr(c, "data_type", None) == "f" else c.value for c in cells]
        if number == 1:
            checked = _headers(reader, title, values)
            if checked is None:
                return
            headers = checked
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        row: dict[str, Any] = {}
        for index, value in enumerate(values):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            header = headers[index] if index < len(headers) else None
            if header is None:
                reader.error((title, number, None), f"column {index + 1} has a value but no header in row 1")
            else:
                row[header] = value
        yield number, row


def _headers(reader: Reader, title: str, values: list[Any]) -> list[str | None] | None:
    if len(values) > MAX_COLUMNS:
        reader.error((title, 1, None), f"the sheet has more than {MAX_COLUMNS} columns")
        return None
    headers = [str(v).strip().lower() if v is not None and str(v).strip() else None for v in values]
    known = _COLUMNS[title]
    unknown = [h for h in headers if h is not None and h not in known]
    for header in unknown:
        reader.error((title, 1, header), f"unknown column '{header}' (columns: {', '.join(known)})")
    for header in sorted({h for h in headers if h is not None and headers.count(h) > 1}):
        reader.error((title, 1, header), "the column appears more than once")
    missing = [h for h in _REQUIRED_HEADERS[title] if h not in headers]
    if missing:
        reader.error((title, 1, None), f"missing column {', '.join(missing)}")
    if unknown or missing:
        reader.unreadable.add(title)
        return None
    return headers


# Stand-ins for a required value that is missing, already reported: with them the rest of the tool can still be
# checked (the schema would otherwise stop at the first missing field). A tool with a stand-in is never loaded.
_PLACEHOLDERS = {"key": "untitled_tool", "title": "(missing)", "kind": "agency_audit"}


def _settings(reader: Reader, workbook: Any, data: dict[str, Any]) -> str | None:
    """Fill the top-level fields from the settings sheet; return the grade scale's name, if any."""
    rows = list(_sheet_rows(reader, workbook, "settings"))
    if not rows:
        reader.error(("settings", 2, None), "enter the tool's settings in row 2 (key, version, title and kind)")
        return None
    for number, _ in rows[1:]:
        reader.error(("settings", number, None), "the settings sheet has one row of values, in row 2; remove this row")
    number, row = rows[0]
    where: Where = ("settings", number, None)
    for column in ("key", "title", "kind", "description", "calendar"):
        value = reader.text(row, column, where)
        reader.where[column] = ("settings", number, column)
        if value is not None:
            data[column] = value
        elif column in _PLACEHOLDERS:
            reader.error(("settings", number, column), f"enter the tool's {column}")
            data[column] = _PLACEHOLDERS[column]
    reader.where["version"] = ("settings", number, "version")
    version = reader.number(row, "version", where, whole=True)
    if version is None and "version" not in row:
        reader.error(("settings", number, "version"), "enter the tool's version (a whole number, 1 or more)")
        data["version"] = 1  # a placeholder, as in _PLACEHOLDERS
    elif version is not None:
        if not 1 <= int(version) <= MAX_VERSION:
            reader.error(("settings", number, "version"), f"the version must be from 1 to {MAX_VERSION}")
        data["version"] = version
    reader.where["grade_scale.name"] = ("settings", number, "grade_scale_name")
    return reader.text(row, "grade_scale_name", where)


def _choices(reader: Reader, workbook: Any) -> dict[str, list[tuple[int, dict[str, str]]]]:
    lists: dict[str, list[tuple[int, dict[str, str]]]] = {}
    if "choices" not in workbook.sheetnames:
        return lists
    for number, row in _sheet_rows(reader, workbook, "choices"):
        where: Where = ("choices", number, None)
        values = {c: reader.text(row, c, where) for c in CHOICE_COLUMNS}
        missing = [c for c in CHOICE_COLUMNS if values[c] is None]
        for column in missing:
            reader.error(("choices", number, column), f"enter the {column.replace('_', ' ')}")
        if not missing:
            option = {"value": values["name"] or "", "label": values["label"] or ""}
            lists.setdefault(values["list_name"] or "", []).append((number, option))
    return lists


def _grades(reader: Reader, workbook: Any, name: str | None, data: dict[str, Any]) -> None:
    if "grades" not in workbook.sheetnames:
        if name is not None:
            reader.error(("settings", 2, "grade_scale_name"), "there is no grades sheet for this grade scale")
        return
    levels: list[dict[str, str]] = []
    for number, row in _sheet_rows(reader, workbook, "grades"):
        where: Where = ("grades", number, None)
        level = {c: reader.text(row, c, where) for c in GRADE_COLUMNS}
        index = len(levels)
        reader.where[f"grade_scale.levels[{index}]"] = where
        for column in GRADE_COLUMNS:
            reader.where[f"grade_scale.levels[{index}].{column}"] = ("grades", number, column)
        levels.append({k: v for k, v in level.items() if v is not None})
    reader.where["grade_scale"] = reader.where["grade_scale.levels"] = ("grades", 1, None)
    data["grade_scale"] = {"levels": levels} | ({"name": name} if name is not None else {})


_SECTION_COLUMNS = {"type", "name", "label", "hint", "agency", "max_length", "error_required"}
_SECTION_COLUMNS |= {"evidence_label", "evidence_hint", "evidence_required"}
_QUESTION_ONLY = set(QUESTION_COLUMNS) - {"evidence_label", "evidence_hint", "evidence_required"}


def _misplaced(reader: Reader, row: dict[str, Any], allowed: set[str], where: Where, what: str) -> None:
    for column in row:
        if column not in allowed:
            reader.error(where[:2] + (column,), f"a {what} row does not use this column; leave it blank")


def _section(reader: Reader, row: dict[str, Any], where: Where, path: str) -> dict[str, Any]:
    _misplaced(reader, row, _SECTION_COLUMNS, where, BEGIN)
    section: dict[str, Any] = {"id": reader.text(row, "name", where) or f"row_{where[1]}"}
    if "name" not in row:
        reader.error(where[:2] + ("name",), "enter the section's name (its id, for example child_voice)")
    for field, column in SECTION_TEXT.items():
        text = reader.text(row, column, where)
        if text is not None:
            section[field] = text
    if "title" not in section:
        reader.error(where[:2] + ("label",), "enter the section's title")
        section["title"] = _PLACEHOLDERS["title"]
    evidence: dict[str, Any] = {}
    for field, column in EVIDENCE_COLUMNS.items():
        cell = where[:2] + (column,)
        reader.where[f"{path}.evidence.{field}"] = cell
        if field == "required":
            value: Any = reader.flag(row, column, cell)
        elif field == "max_length":
            value = reader.number(row, column, cell, whole=True)
        else:
            value = reader.text(row, column, cell)
        if value is not None:
            evidence[field] = value
    if evidence:
        section["evidence"] = evidence
    agencies = reader.cell(row, "agency", where, read_agencies)
    if agencies is not None:
        section["agencies"] = agencies
    reader.where[path] = reader.where[f"{path}.evidence"] = where
    reader.where |= {f"{path}.{f}": where[:2] + (c,) for f, c in _SECTION_FIELDS.items()}
    section["questions"] = []
    return section


def _simple_fields(reader: Reader, row: dict[str, Any], where: Where) -> dict[str, Any]:
    """A question's text, yes/no, keyword and number cells, as JSON fields (blank cells left out)."""
    fields: dict[str, Any] = {}
    for field, column in QUESTION_TEXT.items():
        fields[field] = reader.text(row, column, where)
    for field in ("required", "integer"):
        fields[field] = reader.flag(row, field, where)
    for field, column in (("meets_standard", "polarity"), ("unit", "unit")):
        value = reader.text(row, column, where)
        fields[field] = value.lower() if value is not None else None
    for field in ("min", "max", "max_length"):
        fields[field] = reader.number(row, field, where, whole=field == "max_length")
    return {k: v for k, v in fields.items() if v is not None}


def _options(
    reader: Reader,
    qtype: str,
    list_name: str | None,
    lists: dict[str, list[tuple[int, dict[str, str]]]],
    where: Where,
    path: str,
) -> list[dict[str, str]] | None:
    if list_name is not None and qtype != "choice":
        reader.error(where[:2] + ("choices",), "only a choice question has a choices list; leave it blank")
        return None
    if qtype != "choice":
        return None
    if list_name is None:
        reader.error(where[:2] + ("choices",), "enter the name of the question's list in the choices sheet")
        return None
    if list_name not in lists:
        reader.error(where[:2] + ("choices",), f"there is no list '{list_name}' in the choices sheet")
        return None
    for index, (number, _) in enumerate(lists[list_name]):
        reader.where[f"{path}.options[{index}]"] = ("choices", number, None)
        reader.where[f"{path}.options[{index}].value"] = ("choices", number, "name")
        reader.where[f"{path}.options[{index}].label"] = ("choices", number, "label")
    return [option for _, option in lists[list_name]]


def _computed(reader: Reader, row: dict[str, Any], where: Where) -> dict[str, Any] | None:
    fallback = reader.text(row, "when_start_missing", where)
    if "computed" not in row and fallback is not None:
        reader.error(where[:2] + ("when_start_missing",), "only a computed question has this; leave it blank")
    computed: dict[str, Any] | None = reader.cell(row, "computed", where, lambda text: read_computed(text, fallback))
    return computed


def _question(
    reader: Reader, row: dict[str, Any], where: Where, path: str, lists: dict[str, list[tuple[int, dict[str, str]]]]
) -> dict[str, Any]:
    _misplaced(reader, row, _QUESTION_ONLY, where, "question")
    question: dict[str, Any] = {"id": reader.text(row, "name", where) or f"row_{where[1]}", "type": row["type"]}
    if "name" not in row:
        reader.error(where[:2] + ("name",), "enter the question's name (its id, for example child_seen_alone)")
    question |= _simple_fields(reader, row, where)
    if "text" not in question:
        reader.error(where[:2] + ("label",), "enter the question")
        question["text"] = _PLACEHOLDERS["title"]
    for field, column in (("show_when", "relevant"), ("required_when", "required_if")):
        condition = reader.cell(row, column, where, read_condition)
        if condition is not None:
            question[field] = condition
    extras = {
        "labels": reader.cell(row, "labels", where, read_labels),
        "agencies": reader.cell(row, "agency", where, read_agencies),
        "computed": _computed(reader, row, where),
    }
    question |= {k: v for k, v in extras.items() if v is not None}
    list_name = reader.text(row, "choices", where)
    reader.where[path] = where
    reader.where |= {f"{path}.{f}": where[:2] + (c,) for f, c in _QUESTION_FIELDS.items()}
    reader.where[f"{path}.computed.when_start_missing"] = where[:2] + ("when_start_missing",)
    options = _options(reader, question["type"], list_name, lists, where, path)
    if options is not None:
        question["options"] = options
    return question


def _sections(reader: Reader, workbook: Any, data: dict[str, Any]) -> None:
    lists = _choices(reader, workbook)
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for number, row in _sheet_rows(reader, workbook, "questions"):
        where: Where = ("questions", number, None)
        kind = (reader.text(row, "type", where) or "").lower()
        row["type"] = kind
        if kind == BEGIN:
            current = _section(reader, row, where, f"sections[{len(sections)}]")
            sections.append(current)
        elif kind == END:
            name = reader.text(row, "name", where)
            if current is None:
                reader.error(where[:2] + ("type",), "there is no section open to end")
            elif name is not None and name != current["id"]:
                reader.error(where[:2] + ("name",), f"this ends section '{current['id']}', not '{name}'")
            current = None
        elif kind not in ANSWER_TYPES:
            known = ", ".join((*ANSWER_TYPES, BEGIN, END))
            shown = f"unknown type '{kind}'" if kind else "enter the row's type"
            reader.error(where[:2] + ("type",), f"{shown}; use one of: {known}")
        elif current is None:
            reader.error(where[:2] + ("type",), f"the question is not in a section: add a {BEGIN} row above it")
        else:
            path = f"sections[{len(sections) - 1}].questions[{len(current['questions'])}]"
            current["questions"].append(_question(reader, row, where, path, lists))
    if not sections and "questions" not in reader.unreadable:
        reader.error(("questions", 2, "type"), f"the tool has no sections: start one with a {BEGIN} row")
    reader.where["sections"] = ("questions", 1, None)
    data["sections"] = sections


def read_workbook(data: bytes, *, name: str) -> tuple[dict[str, Any], Reader]:
    """The definition as the sheets give it (not yet checked by load_tool), and the reader with its problems.

    Raises ToolDefinitionError when the file is not a readable workbook or lacks the settings or questions sheet.
    """
    workbook = _open(data, name)
    reader = Reader(name)
    missing = [s for s in ("settings", "questions") if s not in workbook.sheetnames]
    if missing:
        raise ToolDefinitionError(
            [f"{name}: the workbook has no {' or '.join(missing)} sheet (sheets: {', '.join(workbook.sheetnames)})"]
        )
    definition: dict[str, Any] = {"schema_version": 1}
    grade_scale_name = _settings(reader, workbook, definition)
    _grades(reader, workbook, grade_scale_name, definition)
    _sections(reader, workbook, definition)
    return definition, reader


def _translate(reader: Reader, message: str) -> tuple[Where | None, str]:
    """A load_tool message (``sections[1].questions[2].type: ...``) as the cell it is about and what is wrong."""
    match = _PATH.match(message)
    if not match:
        return None, message
    path, detail = match.group(1), match.group(2)
    while path and path not in reader.where:
        path = re.sub(r"(\.[a-z_]+|\[\d+\])$", "", path)
    if not path:
        return None, message
    where = reader.where[path]

    def row_of(inner: re.Match[str]) -> str:
        found = reader.where.get(inner.group())
        return f"{found[0]} sheet row {found[1]}" if found else inner.group()

    detail = _INNER_PATH.sub(row_of, detail)
    if where[2] in ("relevant", "required_if"):
        detail = re.sub(r"^'(\w+)' is not a question", r"${\1} is not a question", detail)
    return where, detail


def _format(name: str, where: Where | None, detail: str) -> str:
    if where is None:
        return detail if detail.startswith(f"{name}:") else f"{name}: {detail}"
    sheet, row, column = where
    return f"{sheet} sheet, row {row}" + (f", column {column}" if column else "") + f": {detail}"


_SHEET_ORDER = {"settings": 0, "questions": 1, "choices": 2, "grades": 3}


def checked_tool(data: bytes, *, name: str, load: Callable[[dict[str, Any]], AuditTool]) -> AuditTool:
    """Read a tool spreadsheet and check it with ``load`` (``load_tool``, passed in: the loader imports this).

    Raises ToolDefinitionError listing every problem, the checks' JSON paths translated to sheet, row, column.
    """
    definition, reader = read_workbook(data, name=name)
    errors = list({e[0] or e[1]: e for e in reversed(reader.errors)}.values())[::-1]  # the first for each cell
    rows_with_errors = {(w[0], w[1]) for w, _ in errors if w is not None}
    try:
        tool = load(definition)
    except ToolDefinitionError as error:
        for message in error.errors:
            where, detail = _translate(reader, message)
            if (where is None and errors) or (where is not None and (where[0], where[1]) in rows_with_errors):
                continue  # a consequence of a problem already reported for that row
            errors.append((where, detail))
    if errors:
        ordered = sorted(errors, key=lambda e: (_SHEET_ORDER.get(e[0][0], 9), e[0][1]) if e[0] else (-1, 0))
        raise ToolDefinitionError([_format(name, where, detail) for where, detail in ordered])
    return tool
