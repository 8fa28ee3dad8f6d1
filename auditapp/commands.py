"""The project's own commands (``auditapp users``, ``auditapp demo``) and the list of every feature's commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from auditapp.extensions import init_migrations
from auditapp.unit_of_work import transactional
from auditapp.vocabulary import AuditorType

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", help="Full name (defaults to the part of the email before @).")
@click.option("--role", required=True, type=click.Choice(["admin", "qa_coordinator", "auditor", "board_member"]))
@click.option("--agency", help="Agency name (auditors).")
@click.option("--team", help="Team name (peer auditors).")
@click.option("--auditor-type", type=click.Choice([kind.value for kind in AuditorType]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@transactional
def create_user_command(
    email: str,
    name: str | None,
    role: str,
    agency: str | None,
    team: str | None,
    auditor_type: str | None,
    password_stdin: bool,
) -> None:
    """Create a user. The password is asked for (or read from stdin), never given as an argument."""
    from auditapp.domain.users import create_user
    from auditapp.domain.users_lookup import agency_id_by_name, team_id_by_name
    from auditapp.models import Role

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    agency_id = agency_id_by_name(agency) if agency else None
    team_id = team_id_by_name(team, agency_id=agency_id) if team else None
    user = create_user(
        email=email,
        name=name or email.split("@")[0],
        role=Role(role),
        password=password,
        auditor_type=AuditorType(auditor_type) if auditor_type else None,
        agency_id=agency_id,
        team_id=team_id,
    )
    click.echo(f"Created user {user.email} ({user.role.label}), id {user.id}")


@users_cli.command("deactivate")
@click.argument("email")
@transactional
def deactivate_user_command(email: str) -> None:
    """Deactivate a user who has left: every session ends now; their work and the audit trail are kept."""
    from auditapp.domain.assignments import open_assignments
    from auditapp.domain.users import set_active
    from auditapp.domain.users_lookup import user_by_email

    user = user_by_email(email)
    set_active(user, active=False)
    click.echo(f"Deactivated {user.email}: signed out everywhere and unable to sign in.")
    for assignment in open_assignments(user.id):
        click.echo(
            f"  Still to reassign: {assignment.sampled_case.round.name}, case "
            f"{assignment.sampled_case.case.case_ref} (audit {assignment.id})"
        )


@transactional
def _load_demo():
    from auditapp.demo.load import load_demo

    return load_demo()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo partnership, its people and data (idempotent) and print the demo sign-ins."""
    from flask import current_app

    from auditapp.demo.facts import DEMO_PASSWORD

    if not current_app.config.get("DEMO_MODE"):
        raise click.ClickException(
            f"auditapp demo refuses to run with AUDITAPP_ENV={current_app.config['ENV_NAME']}:"
            " its accounts share a published password. Use a demo or development database."
        )
    summary = _load_demo()  # committed before anything is printed: a closed pipe cannot undo it
    click.echo(f"Demo data ready: {summary.created} records created, {summary.existing} already present.")
    click.echo("Demo sign-ins (password for every demo user: " + DEMO_PASSWORD + "):")
    width = max((len(label) for _, label in summary.sign_ins), default=0)
    for email, label in summary.sign_ins:
        click.echo(f"  {label:<{width}}  {email}")


class _Migrations(click.Group):
    """``auditapp db``: Flask-Migrate's commands, loaded only when ``db`` is used (Alembic is slow to import)."""

    def _real(self, ctx: click.Context) -> click.Group:
        from flask.cli import ScriptInfo
        from flask_migrate.cli import db as real

        init_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return real

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real(ctx).list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real(ctx).get_command(ctx, cmd_name)


@with_appcontext
def _migrations_context() -> None:
    from flask import g

    g.directory, g.x_arg = None, ()  # what Flask-Migrate's own ``db`` group sets for its commands


migrations_cli = _Migrations(
    "db", callback=_migrations_context, help="Perform database migrations (upgrade, check, history ...)."
)


def register_commands(app: Flask) -> None:
    from auditapp.admin.tools_cli import tools_cli
    from auditapp.cases.cli import cases_cli
    from auditapp.operations.cli import audit_trail_cli, db_role_cli, retention_cli
    from auditapp.reports.cli import report_cli
    from auditapp.rounds.cli import assign_cli, export_command, rounds_cli, sample_cli
    from auditapp.worker.cli import worker_command

    app.cli.add_command(migrations_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(cases_cli)
    for group in (
        rounds_cli,
        sample_cli,
        assign_cli,
        export_command,
        report_cli,
        audit_trail_cli,
        db_role_cli,
        retention_cli,
        tools_cli,
    ):
        app.cli.add_command(group)
