"""``auditapp report html`` and ``auditapp report pdf``: a round's board report written to a file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from auditapp.unit_of_work import transactional

report_cli = AppGroup("report", help="Write a round's board report (HTML or PDF).")

_AS_OF = click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="The report's date (UTC; default now): ages and overdue actions are worked out at it, "
    "and the same data and date give the same report.",
)
_OUTPUT = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))


def _as_of(value: datetime | None) -> datetime:
    return value.replace(tzinfo=UTC) if value else datetime.now(UTC).replace(microsecond=0)


@report_cli.command("html")
@click.argument("round_id", type=int)
@_OUTPUT
@_AS_OF
@transactional
def html_command(round_id: int, output: Path, as_of: datetime | None) -> None:
    """Write the round's report as one HTML document (the print version, styled by the app's print CSS)."""
    from auditapp.domain.rounds import get_round
    from auditapp.reports.render import render_report_html

    html = render_report_html(
        get_round(round_id), as_of=_as_of(as_of), partnership=current_app.config["PARTNERSHIP_NAME"], for_pdf=True
    )
    output.write_text(html, encoding="utf-8")
    click.echo(f"Wrote the report to {output}")


@report_cli.command("pdf")
@click.argument("round_id", type=int)
@_OUTPUT
@_AS_OF
@transactional
def pdf_command(round_id: int, output: Path, as_of: datetime | None) -> None:
    """Write the round's report as a tagged PDF (PDF/UA-1)."""
    import hashlib

    from auditapp.domain.rounds import get_round
    from auditapp.reports.render import render_report_pdf

    pdf, pages = render_report_pdf(
        get_round(round_id), as_of=_as_of(as_of), partnership=current_app.config["PARTNERSHIP_NAME"]
    )
    output.write_bytes(pdf)
    click.echo(f"Wrote the report to {output}: {pages} pages, SHA-256 {hashlib.sha256(pdf).hexdigest()}")
