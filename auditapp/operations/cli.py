"""``auditapp audit-trail verify``, ``auditapp db-role grant`` and ``auditapp retention``."""

from __future__ import annotations

from dataclasses import asdict

import click
from flask.cli import AppGroup, with_appcontext

from auditapp.unit_of_work import rollback, transactional

audit_trail_cli = AppGroup("audit-trail", help="Check the audit trail.")
db_role_cli = AppGroup("db-role", help="Database privileges for the application's own PostgreSQL role.")


@audit_trail_cli.command("verify")
def verify_command() -> None:
    """Recompute the audit trail's hash chain; exit 1 and name the events if any were altered or removed."""
    from auditapp.domain.trail.chain import verify_trail

    report = verify_trail()
    rollback()
    if report.intact:
        click.echo(
            f"Audit trail intact: {report.events} events, {report.links} links, "
            f"head {report.head_seq} {report.head_hash}."
        )
        return
    click.echo(f"Audit trail NOT intact ({report.events} events, {report.links} links):", err=True)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


@db_role_cli.command("grant")
@click.argument("role")
@transactional
def grant_command(role: str) -> None:
    """Give ROLE the application's privileges: everything it needs, but no UPDATE or DELETE on the audit trail."""
    from auditapp.domain.db_roles import grant_application_role

    grant_application_role(role)
    click.echo(f"Granted the application's privileges to {role} (no UPDATE, DELETE or TRUNCATE on the audit trail).")


retention_cli = AppGroup("retention", help="Remove or anonymise records past the configured retention periods.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Show what would be removed or anonymised, and change nothing.")
@with_appcontext
def retention_apply_command(dry_run: bool) -> None:
    """Apply the retention policy now (periods from RETENTION_* settings); one audit event records what was done."""
    from flask import current_app

    from auditapp.domain.retention import RetentionPolicy

    policy = RetentionPolicy.from_config(current_app.config)
    click.echo(
        "Policy: closed cases never sampled {closed_case_months} months after closure; rounds "
        "{round_years} years after their last report; unconfirmed uploads after {pending_upload_hours} "
        "hours; finished jobs after {job_days} days.".format(**asdict(policy))
    )
    plan = _apply(policy, dry_run=dry_run)
    verb = "Would remove or anonymise" if dry_run else "Removed or anonymised"
    if plan.empty:
        click.echo("Nothing is past its retention period.")
        return
    click.echo(f"{verb} (as of {plan.as_of:%Y-%m-%d %H:%M} UTC):")
    for label, count in plan.summary().items():
        click.echo(f"  {label}: {count}")


@transactional
def _apply(policy, *, dry_run: bool):
    from auditapp.domain.retention import apply_retention, plan_retention

    plan = plan_retention(policy)
    return plan if dry_run else apply_retention(plan)
