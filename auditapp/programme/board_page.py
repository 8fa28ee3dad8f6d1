"""The Board's programme page (issue 17): the dashboard's key figures on one or two A4 pages, with its charts (alt
text) and tables, as a tagged PDF (PDF/UA-1, the same render pipeline and options as the Board report), made by
the worker as the "programme" document. Aggregates only: no child's record, so its download is not a view of one."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm

from auditapp.domain.quarters import Quarter
from auditapp.programme.figures_types import Filters
from auditapp.programme.present import filters_title
from auditapp.reports.document_jobs import Document, document

KIND = "programme"


class BoardPageForm(FlaskForm):
    """The button that asks for the PDF: CSRF only."""


def filters_payload(filters: Filters) -> dict[str, Any]:
    return {"first": filters.first.key, "last": filters.last.key, "agency": filters.agency, "theme": filters.theme}


def filters_from_payload(payload: dict[str, Any]) -> Filters:
    return Filters(
        first=Quarter.parse(payload["first"]),
        last=Quarter.parse(payload["last"]),
        agency=payload.get("agency") or None,
        theme=payload.get("theme") or None,
    )


def title_for(filters: Filters) -> str:
    return filters_title(filters)


def render_html(filters: Filters, *, as_of: Any = None) -> str:
    """The page as print HTML (needs an app context)."""
    from datetime import UTC

    from auditapp.programme.charts import all_charts
    from auditapp.programme.figures import build_dashboard
    from auditapp.programme.present import GRADE_LABELS, GRADES, build_view, fmt_day, hours_text, share

    view = build_view(build_dashboard(filters, as_of=as_of))
    at = view.dashboard.as_of
    generated = (at.astimezone(UTC) if at.tzinfo else at).strftime("%Y-%m-%dT%H:%M:%SZ")
    return current_app.jinja_env.get_template("programme/board_page_pdf.html").render(
        view=view,
        charts=all_charts(view),
        partnership=current_app.config["PARTNERSHIP_NAME"],
        generated_iso=generated,
        fmt_day=fmt_day,
        hours_text=hours_text,
        share=share,
        grades=GRADES,
        grade_labels=GRADE_LABELS,
    )


def render_pdf(filters: Filters, *, as_of: Any = None) -> tuple[bytes, int]:
    from auditapp.reports.render import html_to_pdf

    return html_to_pdf(render_html(filters, as_of=as_of))


@document(KIND)
def make_programme_page(payload: dict[str, Any]) -> Document:
    """The "programme" document (run by the worker): payload is :func:`filters_payload`."""
    filters = filters_from_payload(payload)
    pdf, pages = render_pdf(filters)
    return Document(
        name=f"audit-programme-{filters.first.key}-to-{filters.last.key}.pdf",
        content=pdf,
        summary=f"{pages} {'page' if pages == 1 else 'pages'}",
    )
