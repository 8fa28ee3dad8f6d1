"""The auditapp command line."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.models import Agency, AuditEvent, Role, Team, User


def test_auditapp_help_lists_db_users_and_demo():
    result = subprocess.run(
        [sys.executable, "-c", "from auditapp.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"AUDITAPP_ENV": "test", "PATH": ""},
    )
    for command in ("db", "users", "demo", "run", "routes"):
        assert f"  {command}" in result.stdout, command


def test_users_create_reads_the_password_from_stdin_and_audits_it(app, org):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "new.peer@example.org",
            "--role",
            "auditor",
            "--auditor-type",
            "peer",
            "--agency",
            "Test Health",
            "--team",
            "HV North",
            "--password-stdin",
        ],
        input="a-long-pass-phrase-from-stdin\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new.peer@example.org"))
    assert user.role is Role.AUDITOR and user.team.name == "HV North"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user_created").order_by(AuditEvent.id.desc())
    )
    assert event.actor_role == "cli" and event.details["channel"] == "cli"


def test_users_create_with_a_weak_password_fails_and_writes_nothing(app, org):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "weak@example.org", "--role", "admin", "--password-stdin"], input="password\n"
    )
    assert result.exit_code != 0 and "12 characters or more" in result.output
    assert db.session.scalar(select(User).where(User.email == "weak@example.org")) is None


def test_demo_is_idempotent_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "coordinator@demo.auditapp.invalid" in first.output and "demo-only-harbour-lantern-57" in first.output
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Agency, Team, User)]
    assert counts[0] >= 4 and counts[1] >= 16
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    from auditapp.models import Action, Finding, PublishedReport
    from auditapp.models.types import utcnow

    assert db.session.scalar(select(func.count(Finding.id))) == 6  # 3 in the completed round, 3 in the earlier
    assert db.session.scalar(select(func.count(PublishedReport.id))) == 2
    assert any(a.is_overdue(utcnow().date()) for a in db.session.scalars(select(Action)))
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "0 records created" in second.output
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Agency, Team, User)] == counts


def test_nothing_is_reported_as_done_when_the_commit_fails(app, org, monkeypatch):
    """The command's own output waits for the commit: a failed commit prints the error, never "Created"."""

    def failing_commit() -> None:
        raise RuntimeError("the database went away")

    runner = app.test_cli_runner()
    monkeypatch.setattr(db.session, "commit", failing_commit)
    result = runner.invoke(
        args=["users", "create", "late@example.org", "--role", "admin", "--password-stdin"],
        input="a-long-pass-phrase-from-stdin\n",
    )
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert "Created user" not in result.output
    monkeypatch.undo()
    assert db.session.scalar(select(User).where(User.email == "late@example.org")) is None
    done = runner.invoke(
        args=["users", "create", "late@example.org", "--role", "admin", "--password-stdin"],
        input="a-long-pass-phrase-from-stdin\n",
    )
    assert done.exit_code == 0 and done.output.startswith("Created user late@example.org")


def test_deactivating_a_leaver_ends_their_sessions_and_lists_work_to_reassign(app, actor, users):
    from tests.factories import make_round

    audit_round = make_round(cases=8, size=4)
    leaver = audit_round.sampled[0].assignments[0].auditor
    result = app.test_cli_runner().invoke(args=["users", "deactivate", leaver.email.upper()])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Deactivated {leaver.email}: signed out everywhere")
    assert f"Still to reassign: {audit_round.name}, case " in result.output
    assert not leaver.active
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert event.object_id == str(leaver.id)
    missing = app.test_cli_runner().invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code == 1 and "There is no user with the email address" in missing.output


def test_the_deactivate_page_lists_the_leavers_unfinished_audits(app, actor, users, client_for):
    from tests.factories import make_round

    audit_round = make_round(cases=8, size=4)
    leaver = audit_round.sampled[0].assignments[0].auditor
    page = client_for("admin").get(f"/admin/users/{leaver.id}/deactivate")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "unfinished audit" in text and f"{audit_round.name}: case " in text
