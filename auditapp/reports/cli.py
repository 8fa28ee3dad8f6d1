"""``auditapp report html`` and ``auditapp report pdf``: a round's board report written to a file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from auditapp.reports.report_types import ReportData
from auditapp.unit_of_work import transactional

report_cli = AppGroup("report", help="Write a round's board report (HTML or PDF).")

_AS_OF = click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="The report's date (UTC; default now): the report counts what stood then: audits submitted by it, "
    "moderated only if moderated by it (a later return does not remove an audit submitted before), blind grades "
    "recorded by it, findings and actions written by it, each action at the status of its last update by it. "
    "Answers and the wording of findings and actions are as they are now. Ages and overdue actions are worked out "
    "at it, and the same data and date give the same report. It cannot be before the day of the round's draw.",
)
_OUTPUT = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))


def _as_of(value: datetime | None) -> datetime:
    return value.replace(tzinfo=UTC) if value else datetime.now(UTC).replace(microsecond=0)


def _build(round_id: int, as_of: datetime | None) -> ReportData:
    """The round's report as it stood at ``--as-of`` (or now); a date before the draw is refused."""
    from auditapp.domain.rounds import get_round
    from auditapp.reports.report_data import build_report

    return build_report(  # a DomainError becomes the command's error message (transactional)
        get_round(round_id), as_of=_as_of(as_of), partnership=current_app.config["PARTNERSHIP_NAME"], as_it_stood=True
    )


@report_cli.command("html")
@click.argument("round_id", type=int)
@_OUTPUT
@_AS_OF
@transactional
def html_command(round_id: int, output: Path, as_of: datetime | None) -> None:
    """Write the round's report as one HTML document (the print version, styled by the app's print CSS)."""
    from auditapp.reports.render import render_data_html

    output.write_text(render_data_html(_build(round_id, as_of), for_pdf=True), encoding="utf-8")
    click.echo(f"Wrote the report to {output}")


@report_cli.command("pdf")
@click.argument("round_id", type=int)
@_OUTPUT
@_AS_OF
@transactional
def pdf_command(round_id: int, output: Path, as_of: datetime | None) -> None:
    """Write the round's report as a tagged PDF (PDF/UA-1), with the sampling certificate and the verifier attached."""
    import hashlib

    from auditapp.reports.render import render_data_pdf

    pdf, pages = render_data_pdf(_build(round_id, as_of))  # with certificate.json and verify.py attached
    output.write_bytes(pdf)
    click.echo(f"Wrote the report to {output}: {pages} pages, SHA-256 {hashlib.sha256(pdf).hexdigest()}")
