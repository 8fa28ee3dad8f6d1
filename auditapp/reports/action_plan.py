"""The action plan's exports (issue 16): a spreadsheet (XLSX, made in the request) and a PDF for Board papers
(landscape A4, tagged like the Board report, made in the worker as the "action_plan" document).

Neither carries a child's data: actions, findings' titles, owners, dates, RAG ratings and progress notes only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app

from auditapp.domain import action_progress
from auditapp.domain.findings import ActionFilter, action_plan
from auditapp.models import Action
from auditapp.models.types import utcnow
from auditapp.reports.document_jobs import Document, document

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION_COLUMNS = [
    "Round",
    "Finding",
    "Action",
    "Agency",
    "Owner",
    "Due date",
    "Status",
    "Latest RAG",
    "Latest update",
    "Latest update note",
    "Success measure",
    "Re-audit by",
]
UPDATE_COLUMNS = ["Round", "Action", "Date", "Who", "RAG", "Status", "Progress", "Evidence"]
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}


@dataclass(frozen=True)
class PlanExport:
    actions: list[Action]
    title: str


def filters_payload(filters: ActionFilter) -> dict[str, Any]:
    """An ActionFilter as a job's payload (JSON), and back with :func:`filters_from_payload`."""
    return {
        "agency_id": filters.agency_id,
        "status": filters.status,
        "round_id": filters.round_id,
        "owner_id": filters.owner_id,
        "published_only": filters.published_only,
    }


def filters_from_payload(payload: dict[str, Any]) -> ActionFilter:
    return ActionFilter(
        agency_id=payload.get("agency_id"),
        status=payload.get("status"),
        round_id=payload.get("round_id"),
        owner_id=payload.get("owner_id"),
        published_only=bool(payload.get("published_only")),
    )


def _dt(moment: datetime) -> datetime:
    """Excel has no time zones: a UTC time without its zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _action_row(action: Action) -> list[object]:
    latest = action_progress.latest_update(action)
    rag = action_progress.latest_rag(action)
    return [
        action.finding.audit_round.name,
        action.finding.title,
        action.description,
        action.agency.name,
        action.owner_name + ("" if action.owner_id else " (no account)"),
        action.due_date,
        action.status_label,
        RAG_WORDS[rag.value] if rag else "Not rated",
        _dt(latest.created_at) if latest else None,
        latest.note if latest else "",
        action.success_measure or "",
        action.reaudit_date,
    ]


def build_xlsx(actions: list[Action]) -> bytes:
    """The action plan as a workbook: "Actions" (one row per action) and "Updates" (every progress update); each
    sheet's header row bold and frozen, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheets = [
        (workbook.active, "Actions", ACTION_COLUMNS, [_action_row(a) for a in actions]),
        (
            workbook.create_sheet(),
            "Updates",
            UPDATE_COLUMNS,
            [
                [
                    a.finding.audit_round.name,
                    a.description,
                    _dt(u.created_at),
                    u.created_by.name if u.created_by else "",
                    RAG_WORDS.get(u.rag or "", "Not rated"),
                    _status_words(u.status),
                    u.note,
                    u.evidence or "",
                ]
                for a in actions
                for u in a.updates
            ],
        ),
    ]
    for sheet, title, columns, rows in sheets:
        sheet.title = title
        sheet.append(columns)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = 14 if columns[index - 1] in _DATE_COLUMNS else 32
            for cell in column[1:]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "d mmm yyyy hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "d mmm yyyy"
                else:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_DATE_COLUMNS = {"Due date", "Latest update", "Re-audit by", "Date"}


def _status_words(status: str) -> str:
    from auditapp.models import ACTION_STATUSES

    return ACTION_STATUSES.get(status, status)


def render_pdf(actions: list[Action], *, title: str, partnership: str, today: date) -> tuple[bytes, int]:
    """The action plan for Board papers: landscape A4, a tagged PDF (PDF/UA-1, as the Board report), RAG in words
    as well as colour. Returns the bytes and the page count."""
    from auditapp.reports.render import fmt_date, html_to_pdf

    html = current_app.jinja_env.get_template("reports/action_plan_pdf.html").render(
        title=title,
        partnership=partnership,
        rows=[(a, action_progress.latest_rag(a), action_progress.latest_update(a)) for a in actions],
        today=today,
        fmt_date=fmt_date,
        rag_words=RAG_WORDS,
        generated_iso=utcnow().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return html_to_pdf(html)


def plan_title(filters: ActionFilter) -> str:
    """The export's title, saying which actions it holds."""
    from auditapp.extensions import db
    from auditapp.models import Agency, AuditRound

    parts = ["Action plan"]
    if filters.round_id and (audit_round := db.session.get(AuditRound, filters.round_id)):
        parts.append(audit_round.name)
    if filters.agency_id and (agency := db.session.get(Agency, filters.agency_id)):
        parts.append(agency.name)
    if filters.status:
        parts.append(_status_words(filters.status))
    return ": ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


@document("action_plan")
def make_action_plan_pdf(payload: dict[str, Any]) -> Document:
    """The "action_plan" document (run by the worker): payload is :func:`filters_payload`."""
    filters = filters_from_payload(payload)
    today = utcnow().date()
    actions = action_plan(filters=filters, today=today)
    title = plan_title(filters)
    pdf, pages = render_pdf(actions, title=title, partnership=current_app.config["PARTNERSHIP_NAME"], today=today)
    return Document(
        name=f"action-plan-{today.isoformat()}.pdf",
        content=pdf,
        trail=(
            "action_plan_exported",
            "action_plan",
            None,
            {"format": "pdf", "actions": len(actions), **filters_payload(filters)},
        ),
        summary=f"{len(actions)} actions, {pages} {'page' if pages == 1 else 'pages'}",
    )
