"""The audit trail's hash chain: linked at commit, verified end to end, tampering named; append-only triggers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from auditapp.domain.trail.chain import GENESIS, link_hash, verify
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AuditChainHead, AuditChainLink, AuditEvent
from auditapp.security.db_role import SQLITE_TRIGGERS


def _commit_events(count: int, action: str = "test_event") -> list[int]:
    ids = [
        record_event(action, object_type="case", object_id=f"C{n}", details={"n": n, "fields": ["a", "b"]}).id
        for n in range(count)
    ]
    db.session.commit()
    return ids


def _without_triggers() -> None:
    """Drop the append-only triggers inside the test's transaction (rolled back after the test) to tamper."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", "audit_chain"):
            db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for table in ("audit_events", "audit_chain"):
            for verb in ("update", "delete"):
                db.session.execute(text(f"DROP TRIGGER {table}_no_{verb}"))


def test_events_are_linked_in_commit_order_and_the_chain_verifies(actor):
    ids = _commit_events(3)
    links = db.session.scalars(
        select(AuditChainLink).where(AuditChainLink.event_id.in_(ids)).order_by(AuditChainLink.seq)
    ).all()
    assert [link.event_id for link in links] == ids
    assert [link.seq for link in links] == list(range(links[0].seq, links[0].seq + 3))
    previous = db.session.scalar(select(AuditChainLink.hash).where(AuditChainLink.seq == links[0].seq - 1)) or GENESIS
    for link in links:
        assert link.hash == link_hash(previous, link.seq, db.session.get(AuditEvent, link.event_id))
        previous = link.hash
    head = db.session.get(AuditChainHead, 1)
    assert (head.seq, head.hash) == (links[-1].seq, links[-1].hash)
    report = verify(db.session)
    assert report.intact, report.problems
    assert report.events == report.links == db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_events_of_a_rolled_back_transaction_leave_no_link(actor):
    _commit_events(1)
    before = db.session.get(AuditChainHead, 1).seq
    record_event("never_committed")
    db.session.rollback()
    _commit_events(1)
    assert db.session.get(AuditChainHead, 1).seq == before + 1
    assert verify(db.session).intact


@pytest.mark.form_sign_in  # the sign-in request is one of the requests whose events must be linked
def test_requests_link_their_events(client_for):
    coordinator = client_for("qa_coordinator")
    coordinator.get("/cases")
    unlinked = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .outerjoin(AuditChainLink, AuditChainLink.event_id == AuditEvent.id)
        .where(AuditChainLink.seq.is_(None))
    )
    assert unlinked == 0
    assert verify(db.session).intact


def test_an_altered_event_is_named(actor):
    ids = _commit_events(4)
    _without_triggers()
    db.session.execute(text("UPDATE audit_events SET object_id = 'C999' WHERE id = :id"), {"id": ids[1]})
    report = verify(db.session)
    assert not report.intact
    assert report.problems == [
        f"Event {ids[1]} (link {_seq(ids[1])}) does not match its hash: it has been altered, "
        "or the chain was rewritten from here."
    ]


def test_a_deleted_event_and_its_link_are_detected(actor):
    ids = _commit_events(4)
    _without_triggers()
    seq = _seq(ids[2])
    db.session.execute(text("DELETE FROM audit_chain WHERE event_id = :id"), {"id": ids[2]})
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
    problems = verify(db.session).problems
    assert f"Links {seq} to {seq} are missing (events removed from the chain)." in problems
    assert any(p.startswith(f"Event {ids[3]} (link {seq + 1}) does not match") for p in problems)


def test_removing_the_last_events_is_caught_by_the_head(actor):
    ids = _commit_events(2)
    _without_triggers()
    db.session.execute(text("DELETE FROM audit_chain WHERE event_id = :id"), {"id": ids[-1]})
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[-1]})
    problems = verify(db.session).problems
    assert len(problems) == 1 and "links were removed from the end or the head was changed" in problems[0]


def test_an_event_written_outside_the_application_is_named(actor):
    _commit_events(1)
    db.session.execute(
        text("INSERT INTO audit_events (occurred_at, action, details) VALUES (CURRENT_TIMESTAMP, 'slipped_in', '{}')")
    )
    slipped = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "slipped_in"))
    assert verify(db.session).problems == [f"Event {slipped} is not in the chain (written outside the application)."]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'changed'",
        "DELETE FROM audit_events",
        "UPDATE audit_chain SET hash = 'x'",
        "DELETE FROM audit_chain",
    ],
)
def test_the_database_refuses_changes_to_the_trail(actor, statement):
    _commit_events(1)
    nested = db.session.begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    nested.rollback()
    assert verify(db.session).intact


def test_the_sqlite_triggers_cover_update_and_delete_of_both_tables():
    assert len(SQLITE_TRIGGERS) == 4
    assert {(t.split()[4], t.split()[6]) for t in SQLITE_TRIGGERS} == {
        ("UPDATE", "audit_events"),
        ("DELETE", "audit_events"),
        ("UPDATE", "audit_chain"),
        ("DELETE", "audit_chain"),
    }


def test_verify_command_reports_intact_and_tampered(app, actor):
    _commit_events(2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit-trail", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Audit trail intact:")
    ids = _commit_events(1)
    _without_triggers()
    db.session.execute(text("UPDATE audit_events SET actor_email = 'someone@else' WHERE id = :id"), {"id": ids[0]})
    result = runner.invoke(args=["audit-trail", "verify"])
    assert result.exit_code == 1
    assert f"Event {ids[0]} (link {_seq(ids[0])}) does not match its hash" in result.output


def _seq(event_id: int) -> int:
    return db.session.scalar(select(AuditChainLink.seq).where(AuditChainLink.event_id == event_id))


def test_the_migration_chains_the_events_written_before_it(tmp_path):
    """Upgrading a database that already has an audit trail links its events, in id order, and verifies."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    database = tmp_path / "before.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "AUDITAPP_ENV": "development"}
    auditapp = str(Path(sys.executable).with_name("auditapp"))
    subprocess.run([auditapp, "db", "upgrade", "0006"], env=env, check=True, capture_output=True)
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO audit_events (occurred_at, actor_email, action, object_type, object_id, details) "
            "VALUES (?, 'old@example.org', ?, 'case', ?, ?)",
            [
                (f"2025-01-0{n} 10:00:00.123456", f"old_{n}", str(n), f'{{"n": {n}, "fields": ["x"]}}')
                for n in range(1, 6)
            ],
        )
    subprocess.run([auditapp, "db", "upgrade"], env=env, check=True, capture_output=True)
    verified = subprocess.run([auditapp, "audit-trail", "verify"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("Audit trail intact: 5 events, 5 links, head 5 ")
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT event_id FROM audit_chain ORDER BY seq").fetchall() == [(n,) for n in range(1, 6)]


def test_an_admin_checks_the_trail_on_the_web(client_for):
    admin = client_for("admin")
    page = admin.get("/admin/audit-trail/verify")
    assert page.status_code == 200 and "The audit trail is intact" in page.get_data(as_text=True)
    last = db.session.scalar(select(AuditChainLink.event_id).order_by(AuditChainLink.seq.desc()).limit(1))
    _without_triggers()
    db.session.execute(text("UPDATE audit_events SET action = 'changed' WHERE id = :id"), {"id": last})
    page = admin.get("/admin/audit-trail/verify")
    body = page.get_data(as_text=True)
    assert "has been tampered with" in body and f"Event {last} (link" in body


def test_the_grant_command_refuses_sqlite(app):
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    result = app.test_cli_runner().invoke(args=["db-role", "grant", "auditapp_app"])
    assert result.exit_code == 1 and "Database roles are a PostgreSQL feature" in result.output
