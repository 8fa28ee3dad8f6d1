"""The ``auditapp`` command: a Flask CLI group over the app factory, plus the project's own commands."""

from __future__ import annotations

import contextlib
import functools
import io
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from auditapp.domain.context import acting_as, cli_actor
from auditapp.domain.errors import DomainError
from auditapp.extensions import db


def transactional(command: Callable) -> Callable:
    """Run a CLI command as one transaction: commit when it succeeds, roll back on any error.

    What the command prints on standard output is held back until the commit has succeeded, so "Imported ..."
    is never printed for work that a failed commit or a killed process did not keep (errors and progress go to
    standard error straight away). This and the request hook in app.py are the only places that commit.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        held = io.StringIO()
        with acting_as(cli_actor()):
            try:
                with contextlib.redirect_stdout(held):
                    result = command(*args, **kwargs)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                raise click.ClickException(error.message) from None
            except BaseException:
                db.session.rollback()
                raise
        sys.stdout.write(held.getvalue())
        sys.stdout.flush()
        return result

    return wrapper


users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", help="Full name (defaults to the part of the email before @).")
@click.option("--role", required=True, type=click.Choice(["admin", "qa_coordinator", "auditor", "board_member"]))
@click.option("--agency", help="Agency name (auditors).")
@click.option("--team", help="Team name (peer auditors).")
@click.option("--auditor-type", type=click.Choice(["independent", "peer"]))
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
    from auditapp.models import AuditorType, Role

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
    from auditapp.demo import load_demo

    return load_demo()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo partnership, its people and data (idempotent) and print the demo sign-ins."""
    from flask import current_app

    from auditapp.demo import DEMO_PASSWORD

    if not current_app.config.get("DEMO_MODE"):
        raise click.ClickException(
            f"auditapp demo refuses to run with AUDITAPP_ENV={current_app.config['ENV_NAME']}:"
            " its accounts share a published password. Use a demo or development database."
        )
    summary = _load_demo()  # committed before anything is printed: a closed pipe cannot undo it
    click.echo(f"Demo data ready: {summary.created} records created, {summary.existing} already present.")
    click.echo("Demo sign-ins (password for every demo user: " + DEMO_PASSWORD + "):")
    for email, label in summary.sign_ins:
        click.echo(f"  {label:<60} {email}")


def register_commands(app: Flask) -> None:
    from auditapp.cases.cli import cases_cli
    from auditapp.operations.cli import audit_trail_cli, db_role_cli, retention_cli
    from auditapp.reports.cli import report_cli
    from auditapp.rounds.cli import assign_cli, export_command, rounds_cli, sample_cli

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
    ):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from auditapp.app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="auditapp: multi-agency case-file audits.")
