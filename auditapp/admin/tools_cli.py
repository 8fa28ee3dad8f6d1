"""``auditapp tools``: list the audit tools, export one as a spreadsheet or JSON, load a new version from either."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from auditapp.tools import ToolDefinitionError
from auditapp.unit_of_work import transactional

tools_cli = AppGroup("tools", help="List, export and load audit tool versions (spreadsheets or JSON).")


@tools_cli.command("list")
@transactional
def list_command() -> None:
    """Every tool version: key, version, title, kind, fingerprint and whether it is shipped or loaded."""
    from auditapp.domain.tool_versions import all_tools
    from auditapp.tools import builtin_tools, tool_fingerprint

    shipped = {(t.key, t.version) for t in builtin_tools()}
    for tool in all_tools():
        origin = "shipped" if (tool.key, tool.version) in shipped else "loaded"
        click.echo(f"{tool.key}\tv{tool.version}\t{tool.title}\t{tool.kind}\t{tool_fingerprint(tool)[:12]}\t{origin}")


@tools_cli.command("export")
@click.argument("key")
@click.option("--version", type=int, help="The version (default: the newest).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: a spreadsheet if it ends .xlsx, JSON if it ends .json.",
)
@transactional
def export_command(key: str, version: int | None, output: Path) -> None:
    """Write a tool version to a spreadsheet (.xlsx) or JSON file, to edit and load as a new version."""
    from auditapp.domain.errors import DomainError
    from auditapp.domain.tool_versions import all_tools, export_tool

    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".json"):
        raise click.UsageError("The output file must end .xlsx (a spreadsheet) or .json")
    if version is None:
        versions = [t.version for t in all_tools() if t.key == key]
        if not versions:
            raise DomainError(f"There is no audit tool {key}")
        version = max(versions)
    content, _ = export_tool(key=key, version=version, spreadsheet=suffix == ".xlsx")
    output.write_bytes(content)
    click.echo(f"Wrote {key} version {version} to {output}")


@tools_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what changed, storing nothing.")
@transactional
def load_command(path: Path, dry_run: bool) -> None:
    """Check a tool spreadsheet (.xlsx) or JSON file, show what changed from the newest version, and store it as
    a new version (unless --dry-run). Problems are listed by sheet, row and column; the exit code is then 1."""
    from auditapp.domain.tool_versions import VERSION_TAKEN, preview_tool_upload, save_tool_upload

    data = path.read_bytes()
    try:
        preview = preview_tool_upload(data=data, name=path.name)
    except ToolDefinitionError as error:
        click.echo(f"{path.name} has problems, nothing was stored:", err=True)
        for problem in error.errors:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    tool = preview.tool
    click.echo(f"{tool.title} ({tool.key}) version {tool.version}, from a {preview.source} file")
    if preview.diff is not None:
        for line in preview.diff.lines():
            click.echo(line)
    if not preview.can_save:
        # An unchanged export is not an error; a version number already used is (nothing can be stored).
        click.echo(preview.message, err=preview.status == VERSION_TAKEN)
        if preview.status == VERSION_TAKEN:
            sys.exit(1)
    elif dry_run:
        click.echo(f"Dry run: nothing stored. {preview.message}")
    else:
        save_tool_upload(data=data, name=path.name)
        click.echo(f"Stored {tool.key} version {tool.version}. New rounds use it; started rounds keep theirs.")
