"""The programme dashboard as a workbook (issue 17): an "About" sheet (the filters, when the figures were taken,
what each figure means), then one sheet per figure group with a header row and plain values (numbers as numbers,
dates as dates); text that a spreadsheet would run as a formula is neutralised, as in the other exports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from auditapp.importers.export import neutralise
from auditapp.programme import figures_types
from auditapp.programme.figures_types import Dashboard
from auditapp.programme.present import GRADE_LABELS, GRADES, title_of

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Row = list[object]


def _quarter_cells(quarter) -> Row:  # type: ignore[no-untyped-def]
    return [quarter.key, quarter.label]


def _sheets(d: Dashboard) -> list[tuple[str, Row, list[Row]]]:
    grade_heads = [GRADE_LABELS[g] for g in GRADES]
    return [
        (
            "Audits",
            [
                "Quarter",
                "Quarter label",
                "Agency",
                "Assigned",
                "Completed",
                "Completed on time",
                "Completed, no due date",
            ],
            [
                [*_quarter_cells(r.quarter), r.agency, r.assigned, r.completed, r.on_time, r.no_due_date]
                for r in d.audits
            ],
        ),
        (
            "Outstanding",
            ["Agency", "Outstanding", "Overdue", "Oldest due date (overdue)"],
            [[r.agency, r.outstanding, r.overdue, r.oldest_due] for r in d.outstanding],
        ),
        (
            "Moderation",
            [
                "Quarter",
                "Quarter label",
                "Moderated",
                "Agreed",
                "Re-graded",
                "Returned",
                "Blind pairs",
                "Blind matched",
            ],
            [
                [
                    *_quarter_cells(r.quarter),
                    r.moderated,
                    r.agreed,
                    r.regraded,
                    r.returned,
                    r.blind_pairs,
                    r.blind_matched,
                ]
                for r in d.agreement
            ],
        ),
        (
            "Grades",
            ["Quarter", "Quarter label", "Theme", "Source", *grade_heads, "Ungraded"],
            [
                [*_quarter_cells(r.quarter), r.theme, r.source, *[r.counts.get(g, 0) for g in GRADES], r.ungraded]
                for r in d.grades
            ],
        ),
        (
            "Concerns",
            [
                "Quarter",
                "Quarter label",
                "Agency",
                "Raised",
                "Acknowledged",
                "Median hours to acknowledge",
                "Longest hours to acknowledge",
                "Unacknowledged",
            ],
            [
                [
                    *_quarter_cells(r.quarter),
                    r.agency,
                    r.raised,
                    r.acknowledged,
                    r.median_hours,
                    r.longest_hours,
                    r.unacknowledged,
                ]
                for r in d.concerns
            ],
        ),
        (
            "Actions",
            ["Quarter due", "Quarter label", "Agency", "Due", "Completed by target date", "Completed late", "Overdue"],
            [
                [*_quarter_cells(r.quarter), r.agency, r.due, r.completed_on_time, r.completed_late, r.overdue]
                for r in d.actions
            ],
        ),
        (
            "Overdue actions",
            ["Action id", "Action", "Agency", "Owner", "Due date", "Days overdue"],
            [[r.action_id, r.description, r.agency, r.owner, r.due_date, r.days_overdue] for r in d.overdue_actions],
        ),
        (
            "Coverage",
            ["Kind", "Name", "Agency", "Last audited", "Audited in the last 12 months"],
            [[r.kind, r.name, r.agency, r.last_audited, "yes" if r.covered else "no"] for r in d.coverage],
        ),
        (
            "Schedule",
            ["Month", "Theme", "Agencies", "Status", "Round"],
            [[r.month, r.theme, ", ".join(r.agencies), r.status, r.round_name] for r in d.schedule],
        ),
        (
            "Returns",
            [
                "Quarter",
                "Quarter label",
                "Agency",
                "Status",
                "Due date",
                "Audited",
                *grade_heads,
                "Ungraded",
                "Themes",
                "Key learning",
            ],
            [
                [
                    *_quarter_cells(r.quarter),
                    r.agency,
                    r.status,
                    r.due_date,
                    r.audited,
                    *[r.counts.get(g) if r.audited is not None else None for g in GRADES],
                    r.ungraded,
                    ", ".join(r.themes),
                    r.key_learning,
                ]
                for r in d.returns
            ],
        ),
    ]


def _about(d: Dashboard) -> list[Row]:
    f = d.filters
    as_of = d.as_of.astimezone(UTC).replace(tzinfo=None) if d.as_of.tzinfo else d.as_of
    rows: list[Row] = [
        [title_of(d)],
        [],
        ["From quarter", f.first.long_label],
        ["To quarter", f.last.long_label],
        ["Agency", f.agency or "All agencies"],
        ["Theme", f.theme or "All themes"],
        ["Figures as at (UTC)", as_of],
        [],
        ["Definitions"],
    ]
    doc = figures_types.__doc__ or ""
    rows += [[line.strip().lstrip("- ").replace("**", "").replace("``", "")] for line in _paragraphs(doc)]
    return rows


def _paragraphs(doc: str) -> list[str]:
    """The data contract's definitions, one bullet a row."""
    items: list[str] = []
    for line in doc.split("Definitions", 1)[-1].splitlines():
        if line.startswith("- "):
            items.append(line)
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    return items


def _cell(value: object) -> object:
    return neutralise(value) if isinstance(value, str) else value


def build_xlsx(dashboard: Dashboard) -> bytes:
    """The workbook's bytes: "About", then a sheet per figure group (header row bold and frozen)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the unnamed default sheet
    about = workbook.create_sheet("About")
    for row in _about(dashboard):
        about.append([_cell(v) for v in row])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 40
    for title, header, rows in _sheets(dashboard):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 18
            for cell in column[1:]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "d mmm yyyy hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "d mmm yyyy"
    for cell in about["B"]:
        if isinstance(cell.value, datetime):
            cell.number_format = "d mmm yyyy hh:mm"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
