"""``auditapp cases import`` and ``auditapp cases export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from auditapp.importers import FORMATS, ImportFailed, Source
from auditapp.unit_of_work import transactional

cases_cli = AppGroup("cases", help="Import and export the case population.")


def _sources(paths: tuple[Path, ...]) -> list[Source]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path])
    return [Source(p.name, p.read_bytes()) for p in files]


@cases_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Force the format instead of detecting it.")
@click.option("--dry-run", is_flag=True, help="Check the files and say what would change, writing nothing.")
@click.option(
    "--full-return",
    is_flag=True,
    help="The files hold every case of their format: cases of that format not in them are marked not in the "
    "latest return (kept, but not eligible for sampling). Needs --period.",
)
@click.option("--period", help='The period a full return covers, for example "2025 to 2026".')
@transactional
def import_command(
    paths: tuple[Path, ...], format_: str | None, dry_run: bool, full_return: bool, period: str | None
) -> None:
    """Import case files (Annex A, CIN census, SSDA903 header and episodes, generic CSV/XLSX) or a folder.

    Every row is imported or none: on any problem the errors are listed and nothing is written.
    """
    from auditapp.domain.case_import import apply_import, plan_import, upload_limits

    period = (period or "").strip() or None
    if full_return and not period:
        raise click.UsageError("Give the period the full return covers with --period, for example --period 2025-26")
    if period and len(period) > 60:
        raise click.UsageError("The period must be 60 characters or fewer")
    try:
        plan = plan_import(
            _sources(paths),
            format=format_,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            limits=upload_limits(current_app.config),
            full_return=full_return,
            period=period if full_return else None,
        )
    except ImportFailed as failure:
        click.echo(f"Import failed, nothing was written: {failure}", err=True)
        for issue in failure.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(1)
    for name in plan.skipped_files:
        click.echo(f"Skipped {name}: this service does not use it")
    if plan.previous_batch is not None:
        click.echo(f"These files were imported before, on {plan.previous_batch.imported_at:%d %B %Y at %H:%M} UTC")
    if dry_run:
        click.echo(plan.summary(dry_run=True))
        return
    total = len(plan.new) + len(plan.updated)
    if sys.stderr.isatty() and total:
        with click.progressbar(length=total, label="Writing cases", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(done: int, _total: int) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            apply_import(plan, progress=progress)
    else:
        apply_import(plan)
    click.echo(plan.summary())


@cases_cli.command("export")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@transactional
def export_command(output: Path) -> None:
    """Write the whole population in the generic CSV format (which `cases import` reads back)."""
    from auditapp.domain.cases import export_population

    text = export_population()
    output.write_text(text, encoding="utf-8", newline="")
    click.echo(f"Exported {max(text.count(chr(10)) - 1, 0)} cases to {output}")
