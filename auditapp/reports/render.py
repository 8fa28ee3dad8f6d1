"""The board report as HTML (the web preview's body, or a whole print document) and as a tagged PDF.

The web preview and the PDF render the same body template from the same :class:`ReportData`, with the same
SVG charts. WeasyPrint is imported inside :func:`render_report_pdf` only: importing it costs about 0.6 s, which
no web page should pay.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from auditapp.models import AuditRound
from auditapp.reports import charts
from auditapp.reports.annex import CERTIFICATE_NAME, VERIFIER_NAME, VERIFIER_PATH
from auditapp.reports.report_data import build_report
from auditapp.reports.report_types import Interim, ReportData, Version
from auditapp.stats import (
    SMALL_N,
    Agreement,
    ClusteredProportion,
    ProportionResult,
    percent_text,
    round_half_up,
)

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
PRINT_CSS = STATIC / "report-print.css"
#: The PDF options: the benchmark's baseline uses the same ones.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_identifier": True}
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"


def render_report_html(
    audit_round: AuditRound,
    *,
    as_of: datetime,
    partnership: str,
    for_pdf: bool = False,
    interim: Interim | None = None,
    version: Version | None = None,
) -> str:
    """The report of ``audit_round`` as HTML.

    ``for_pdf=False`` gives the body only (GOV.UK classes, no inline styles, for the web page to embed: it holds
    the page's ``h1``); ``for_pdf=True`` gives a whole document with the print stylesheet linked by file URL.
    ``interim`` makes it an interim report (said on the cover and, in the PDF, on every page); ``version`` says
    which version it is. Needs an app context. Raises DomainError when the round has no sample yet.
    """
    data = build_report(audit_round, as_of=as_of, partnership=partnership)
    return render_data_html(replace(data, interim=interim, version=version), for_pdf=for_pdf)


def render_data_html(data: ReportData, *, for_pdf: bool = False) -> str:
    """Render already-built report data (see :func:`render_report_html`)."""
    template = "reports/pdf/report.html" if for_pdf else "reports/_body.html"
    # The app's jinja_env directly, not render_template: no request context (CLI) and no context processors.
    return current_app.jinja_env.get_template(template).render(**_context(data, for_pdf=for_pdf))


def render_report_pdf(
    audit_round: AuditRound,
    *,
    as_of: datetime,
    partnership: str,
    interim: Interim | None = None,
    version: Version | None = None,
) -> tuple[bytes, int]:
    """The report of ``audit_round`` as a tagged PDF/UA-1 document; returns (pdf bytes, page count).

    The same data and ``as_of`` give the same bytes: the PDF's dates are ``as_of`` and its identifier is a hash
    of its content. Only local files and data URIs are fetched, never the network. Needs an app context.
    """
    data = build_report(audit_round, as_of=as_of, partnership=partnership)
    return render_data_pdf(replace(data, interim=interim, version=version))


def render_data_pdf(data: ReportData) -> tuple[bytes, int]:
    """Already-built report data as the tagged PDF (see :func:`render_report_pdf`), with the sampling certificate
    and its verifier attached (:func:`report_files`)."""
    return html_to_pdf(render_data_html(data, for_pdf=True), files=report_files(data))


@dataclass(frozen=True)
class PdfFile:
    """A file embedded in the PDF as an attachment, dated ``at`` (the report's date: the bytes stay the same)."""

    name: str
    data: bytes
    description: str
    at: datetime


def report_files(data: ReportData) -> list[PdfFile]:
    """The report's attachments (issue 14): ``certificate.json``, the round's stored certificate byte for byte
    (the text the annex's certificate hash is of), and ``verify.py``, the standalone verifier."""
    annex = data.annex
    if annex is None or not annex.certificate_text:
        return []
    at = data.cover.generated_at
    return [
        PdfFile(CERTIFICATE_NAME, annex.certificate_bytes, "The sampling certificate of the round", at),
        PdfFile(VERIFIER_NAME, VERIFIER_PATH.read_bytes(), "The verifier: python3 verify.py certificate.json", at),
    ]


def html_to_pdf(html: str, *, files: Sequence[PdfFile] = ()) -> tuple[bytes, int]:
    """Render print HTML made by :func:`render_report_html` to PDF bytes and the page count, embedding ``files``
    as attachments."""
    import weasyprint  # lazily: see the module docstring

    document = weasyprint.HTML(
        string=html, base_url=STATIC.as_uri() + "/", url_fetcher=_local_fetcher(weasyprint)
    ).render(**PDF_OPTIONS)
    attachments = [
        weasyprint.Attachment(
            string=f.data, name=f.name, description=f.description, created=_utc(f.at), modified=_utc(f.at)
        )
        for f in files
    ]
    return document.write_pdf(attachments=attachments, **PDF_OPTIONS), len(document.pages)


def _utc(moment: datetime) -> datetime:
    """WeasyPrint writes an attachment's dates with a literal Z: give it UTC (a naive time is taken to be UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment


def _local_fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher serving data URIs and files under the app's static folder, and nothing else."""
    root = str(STATIC)

    class LocalFetcher(weasyprint.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = os.path.realpath(url2pathname(url.split("?")[0].removeprefix("file:").removeprefix("//")))
                if path.startswith(root + os.sep) and os.path.isfile(path):
                    with open(path, "rb") as handle:
                        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                        return weasyprint.urls.URLFetcherResponse(url, handle.read(), {"Content-Type": kind})
            log.warning("Report rendering refused to fetch %s", url[:200])
            raise ValueError(f"not a local report asset: {url[:200]}")

    return LocalFetcher()


def _context(data: ReportData, *, for_pdf: bool) -> dict[str, Any]:
    at = data.cover.generated_at
    generated = at.astimezone(UTC) if at.tzinfo else at  # a naive as_of is taken to be UTC, as the database does
    top = max([1, *data.auditor_grades.values(), *data.moderated_grades.values()])  # one scale, to compare
    names = data.grade_options  # the tool's own names for its grades
    grade_charts = [
        charts.grade_chart(
            data.auditor_grades,
            title="Auditors’ overall grades",
            chart_id="report-auditor-grades",
            y_max=top,
            options=names,
        ),
        charts.grade_chart(
            data.moderated_grades,
            title="Moderated grades",
            chart_id="report-moderated-grades",
            y_max=top,
            options=names,
        ),
    ]
    trend = data.trend
    trend_chart = (
        charts.trend_chart(
            trend.rounds, trend.rows, title="Percentage meeting the standard, by round", chart_id="report-trend"
        )
        if len(trend.rounds) > 1 and trend.rows
        else None
    )
    return {
        "report": data,
        "for_pdf": for_pdf,
        "grade_charts": grade_charts,
        "trend_chart": trend_chart,
        "css_url": PRINT_CSS.as_uri(),
        "marking": PROTECTIVE_MARKING,
        "small_n": SMALL_N,
        "generated_iso": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": f"{data.cover.round_name}: {'interim ' if data.interim else ''}board report",
        "description": f"Multi-agency case file audit report for the board of {data.cover.partnership}: "
        f"{data.cover.round_name}",
        "fmt_date": fmt_date,
        "fmt_datetime": fmt_datetime,
        "pct": pct,
        "interval": interval,
        "sections": SECTIONS,
    }


SECTIONS = [
    # The Board front section (templates/reports/sections/_front.html): what a Board member reads first. The
    # executive summary's counts are part of its assurance statement.
    ("assurance", "Assurance statement"),
    ("working", "What is working, and what we are worried about"),
    ("voices", "What the children and families told us"),
    ("last-actions", "What happened to the last round’s actions"),
    ("asks", "What we ask of the Board"),
    ("concerns", "Immediate safeguarding concerns raised in this round"),
    ("method", "Method"),
    ("results", "Results by question"),
    ("grades", "Grade distributions"),
    ("trend", "Trend against earlier rounds"),
    ("agencies", "Results by agency"),
    ("findings", "Findings"),
    ("actions", "Action plan"),
    ("appendix", "Appendix: case summaries"),
    ("annex", "Technical annex: checking the sample"),
]


def fmt_date(value: date | None) -> str:
    """GOV.UK style: 1 April 2025."""
    return f"{value.day} {value:%B %Y}" if value else "Not set"


def fmt_datetime(value: datetime) -> str:
    """GOV.UK style in UTC: 1 April 2025 at 9:30am (UTC), at 9am, at midnight, at midday."""
    value = value.astimezone(UTC) if value.tzinfo else value
    if value.minute == 0 and value.hour in (0, 12):
        time = "midnight" if value.hour == 0 else "midday"
    else:
        minutes = f":{value:%M}" if value.minute else ""
        time = f"{value.hour % 12 or 12}{minutes}{'am' if value.hour < 12 else 'pm'}"
    return f"{fmt_date(value.date())} at {time} (UTC)"


def pct(result: ProportionResult | ClusteredProportion | Agreement) -> str:
    """A result's percentage, whole, halves rounded up (62.5% shows as 63%)."""
    return percent_text(result.percent)


def interval(result: ProportionResult | ClusteredProportion) -> str:
    if result.interval is None:
        return "Not available"
    low, high = result.interval
    # no-break spaces: the range never wraps
    return f"{round_half_up(100 * low)}%\u00a0to\u00a0{round_half_up(100 * high)}%"
