"""Audit tools written as spreadsheets, in the style of XLSForm: a workbook to a definition and back.

The format (sheets ``settings``, ``questions``, ``choices`` and ``grades``; the columns; the grammar of the
``relevant``, ``required_if``, ``computed`` and ``labels`` cells) is described in ``SPREADSHEETS.md``. Every
problem is reported at once, each naming the sheet, row and column as a coordinator sees them; the checks of
:func:`load_tool`, which speak of JSON paths (``sections[1].questions[2].type``), are translated back to the cell
the element came from. Pure: openpyxl only, through the importers' bounded reader (no zip bombs).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from .loader import load_tool, tool_to_json
from .model import AuditTool
from .xlsform_cells import NO_PROPOSAL, computed_text, condition_text, labels_text
from .xlsform_read import (
    BEGIN,
    CHOICE_COLUMNS,
    END,
    EVIDENCE_COLUMNS,
    GRADE_COLUMNS,
    QUESTION_COLUMNS,
    QUESTION_TEXT,
    SECTION_TEXT,
    SETTINGS_COLUMNS,
    checked_tool,
)

# ---------------------------------------------------------------------------------------------------- export


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _section_row(section: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"type": BEGIN, "name": section["id"]}
    row |= {column: section.get(field) for field, column in SECTION_TEXT.items()}
    evidence = section.get("evidence", {})
    row |= {column: evidence.get(field) for field, column in EVIDENCE_COLUMNS.items()}
    row["evidence_required"] = _yes_no(evidence.get("required"))
    row["agency"] = " ".join(section["agencies"]) if "agencies" in section else None
    return row


def _question_row(question: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"type": question["type"], "name": question["id"]}
    row |= {column: question.get(field) for field, column in QUESTION_TEXT.items()}
    row |= {"required": _yes_no(question.get("required")), "integer": _yes_no(question.get("integer"))}
    row |= {"polarity": question.get("meets_standard"), "unit": question.get("unit")}
    row |= {"min": question.get("min"), "max": question.get("max"), "max_length": question.get("max_length")}
    for field, column in (("show_when", "relevant"), ("required_when", "required_if")):
        row[column] = condition_text(question[field]) if field in question else None
    if "options" in question:
        row["choices"] = question["id"]
    if "labels" in question:
        row["labels"] = labels_text(question["labels"])
    if "agencies" in question:
        row["agency"] = " ".join(question["agencies"])
    if "computed" in question:
        row["computed"] = computed_text(question["computed"])
        if "when_start_missing" in question["computed"]:
            row["when_start_missing"] = question["computed"]["when_start_missing"] or NO_PROPOSAL
    return row


def _write_sheet(workbook: Any, title: str, headers: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that happens to start with "=" is text, not a formula
    for index, header in enumerate(headers, start=1):
        width = max([len(header)] + [min(len(str(r.get(header) or "")), 60) for r in rows])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width + 2


def tool_to_workbook(tool: AuditTool | Mapping[str, Any]) -> bytes:
    """The tool (or a definition) as an .xlsx workbook that :func:`workbook_to_definition` reads back unchanged."""
    from openpyxl import Workbook

    data = tool.definition if isinstance(tool, AuditTool) else tool
    settings = {k: data.get(k) for k in SETTINGS_COLUMNS if k != "grade_scale_name"}
    settings["grade_scale_name"] = data.get("grade_scale", {}).get("name")
    questions, choices = [], []
    for section in data["sections"]:
        questions.append(_section_row(section))
        for question in section["questions"]:
            questions.append(_question_row(question))
            for option in question.get("options", []):
                choices.append({"list_name": question["id"], "name": option["value"], "label": option["label"]})
        questions.append({"type": END, "name": section["id"]})
    workbook = Workbook()
    for sheet in workbook.worksheets:  # the blank sheet a new workbook starts with
        workbook.remove(sheet)
    _write_sheet(workbook, "settings", SETTINGS_COLUMNS, [settings])
    _write_sheet(workbook, "questions", QUESTION_COLUMNS, questions)
    _write_sheet(workbook, "choices", CHOICE_COLUMNS, choices)
    if "grade_scale" in data:
        _write_sheet(workbook, "grades", GRADE_COLUMNS, list(data["grade_scale"]["levels"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_to_definition(data: bytes, *, name: str) -> dict[str, Any]:
    """Read a tool spreadsheet (.xlsx) into a definition, checked as :func:`load_tool` checks it.

    Raises :class:`ToolDefinitionError` listing every problem, each naming the sheet, row and column
    ("questions sheet, row 14, column relevant: ${child_seen} is not a question earlier in the tool").
    """
    return tool_to_json(parse_tool_workbook(data, name=name))


def parse_tool_workbook(data: bytes, *, name: str) -> AuditTool:
    """Read a tool spreadsheet and load it as :func:`load_tool` does (raises :class:`ToolDefinitionError`)."""
    return checked_tool(data, name=name, load=load_tool)
