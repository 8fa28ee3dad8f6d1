"""``auditapp rounds``, ``auditapp sample`` and ``auditapp assign`` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from auditapp.models import STRATIFY_FIELDS
from auditapp.unit_of_work import transactional
from auditapp.vocabulary import AuditorType, RoundMode

rounds_cli = AppGroup("rounds", help="Create and list audit rounds.")
sample_cli = AppGroup("sample", help="Freeze, draw (witnessed, hashrank-v2), replace and verify a round's sample.")
assign_cli = AppGroup("assign", help="Assign auditors to a round's sampled cases.")


def _round(round_id: int):
    from auditapp.domain.rounds import get_round

    return get_round(round_id)


@rounds_cli.command("create")
@click.option("--name", required=True)
@click.option("--theme")
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in RoundMode]),
    default=RoundMode.INDEPENDENT.value,
    show_default=True,
)
@click.option("--status", "statuses", multiple=True, help="Case status to include (repeatable).")
@click.option("--locality", "localities", multiple=True, help="Locality to include (repeatable).")
@click.option("--team", "teams", multiple=True, help="Team to include (repeatable).")
@click.option("--agency", "agencies_filter", multiple=True, help="Case agency to include (repeatable).")
@click.option("--open-from", type=click.DateTime(["%Y-%m-%d"]), help="Cases open on or after this date.")
@click.option("--open-to", type=click.DateTime(["%Y-%m-%d"]), help="Cases referred on or before this date.")
@click.option("--size", "sample_size", type=int, default=12, show_default=True)
@click.option("--stratify-by", type=click.Choice(list(STRATIFY_FIELDS)), default="none", show_default=True)
@click.option("--min-per-stratum", is_flag=True)
@click.option("--exclude-audited-within-months", type=int, default=12, show_default=True)
@click.option(
    "--exclude",
    "exclusions",
    multiple=True,
    metavar="CASE_REF=REASON",
    help="Name a case not to draw, with the reason (repeatable).",
)
@click.option("--round-agency", "agencies", multiple=True, help="Multi-agency rounds: an agency taking part.")
@click.option("--lead-agency")
@click.option("--peers-not-from-case-locality", is_flag=True)
@click.option("--max-load", type=int)
@transactional
def create_round_command(**options) -> None:
    """Create an audit round; prints its id on the last line."""
    from auditapp.domain.rounds import RoundSettings, create_round

    named = []
    for item in options.pop("exclusions"):
        ref, _, reason = item.partition("=")
        named.append((ref.strip(), reason.strip()))
    for key in ("statuses", "localities", "teams", "agencies_filter", "agencies"):
        options[key] = list(options[key])
    for key in ("open_from", "open_to"):
        options[key] = options[key].date() if options[key] else None
    audit_round = create_round(RoundSettings(named_exclusions=named, **options), created_by_id=None)
    click.echo(f"Created round '{audit_round.name}'")
    click.echo(audit_round.id)


@rounds_cli.command("list")
@transactional
def list_rounds_command() -> None:
    """One line per round: id, name and status."""
    from auditapp.domain.rounds import list_rounds

    for audit_round in list_rounds():
        click.echo(f"{audit_round.id}\t{audit_round.name}\t{audit_round.status}")


@sample_cli.command("freeze")
@click.argument("round_id", type=int)
@transactional
def freeze_command(round_id: int) -> None:
    """Freeze the round's eligible population before a witnessed draw; prints its fingerprint for the witness."""
    from auditapp.domain.sampling import freeze_population

    fingerprint = freeze_population(_round(round_id))
    click.echo(f"Population frozen. Show the witness its fingerprint: {fingerprint}")


@sample_cli.command("draw")
@click.argument("round_id", type=int)
@click.option("--size", type=int)
@click.option("--min-per-stratum", is_flag=True, default=None)
@click.option("--witness-name", required=True, help="the witness's full name (a second person)")
@click.option("--witness-role", required=True, help="for example: independent scrutineer")
@click.option("--witness-value", prompt="Witness value (entered by the witness)", help="made up by the witness")
@transactional
def draw_command(
    round_id: int,
    size: int | None,
    min_per_stratum: bool | None,
    witness_name: str,
    witness_role: str,
    witness_value: str,
) -> None:
    """Draw the frozen population, witnessed (hashrank-v2); prints a header line then one case reference a line.

    Nobody chooses the seed: it is derived from a random value the server draws now, the witness value and the
    frozen population's fingerprint. Run ``sample freeze`` first.
    """
    from auditapp.domain.sampling import draw_witnessed

    certificate = draw_witnessed(
        _round(round_id),
        size=size,
        min_per_stratum=min_per_stratum,
        witness_name=witness_name,
        witness_role=witness_role,
        witness_value=witness_value,
    )
    click.echo(
        f"Sample of {len(certificate['sample'])} from {certificate['population_size']} eligible cases "
        f"(hashrank-v2, witnessed by {witness_name}, seed {certificate['seed']}):"
    )
    for ref in certificate["sample"]:
        click.echo(ref)


@sample_cli.command("certificate")
@click.argument("round_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@transactional
def certificate_command(round_id: int, output: Path) -> None:
    """Write the round's sampling certificate (JSON)."""
    from auditapp.domain.sampling import certificate_of
    from auditapp.sampling.certificate import certificate_json

    output.write_text(certificate_json(certificate_of(_round(round_id))), encoding="utf-8")
    click.echo(f"Wrote the sampling certificate to {output}")


@sample_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(path: Path) -> None:
    """Recompute a certificate: prints VERIFIED or the first difference."""
    from auditapp.sampling.verify import verify_certificate

    try:
        differences = verify_certificate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, OSError) as error:
        differences = [f"the certificate could not be read: {error}"]
    if differences:
        click.echo(f"NOT VERIFIED: {differences[0]}")
        sys.exit(1)
    click.echo("VERIFIED")


@sample_cli.command("replace")
@click.argument("round_id", type=int)
@click.argument("case_ref")
@click.option("--reason", required=True)
@transactional
def replace_command(round_id: int, case_ref: str, reason: str) -> None:
    """Replace a sampled case by the next on its stratum's replacement list."""
    from auditapp.domain.sampling import replace_case

    incoming = replace_case(_round(round_id), case_ref=case_ref, reason=reason)
    click.echo(f"Replaced {case_ref} by {incoming}")


@assign_cli.command("auto")
@click.argument("round_id", type=int)
@transactional
def assign_auto_command(round_id: int) -> None:
    """Assign auditors to every open place without breaking a conflict rule, balancing load, giving nobody more
    cases than the round's limit (else AUDITOR_MAX_LOAD)."""
    from flask import current_app

    from auditapp.assignment.auto import load_shortfalls
    from auditapp.domain.assignments import assign_automatically, load_limit

    audit_round = _round(round_id)
    default = current_app.config.get("AUDITOR_MAX_LOAD", 4) or None
    plan = assign_automatically(audit_round, default_max_load=default)
    click.echo(f"{len(plan.assignments)} places filled; most cases for one auditor: {plan.max_load}")
    for shortfall in load_shortfalls(plan, load_limit(audit_round, default)):
        click.echo(shortfall.message)
    for unfilled in plan.unfilled:
        click.echo(
            f"Not filled: case {unfilled.case_ref} ({unfilled.agency or AuditorType.INDEPENDENT}): {unfilled.reason}"
        )


@click.command("export")
@click.argument("round_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.csv, FILE.xlsx or FILE.json: the ending chooses the format.",
)
@transactional
def export_command(round_id: int, output: Path) -> None:
    """Export a round's answers in long form (one row per answer)."""
    from auditapp.domain.answers_export import FORMATS, export_round

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter("the file must end in .csv, .xlsx or .json", param_hint="--output")
    output.write_bytes(export_round(_round(round_id), fmt=fmt))
    click.echo(f"Exported round {round_id} to {output}")
