"""Operations on PostgreSQL, against a database of their own built the way a deployment builds it.

``auditapp db upgrade`` runs as the schema owner with ``AUDITAPP_DB_APP_ROLE`` naming the application's role, then
``auditapp demo`` loads realistic data. The tests prove that role cannot change the audit trail, that concurrent
commits keep one intact hash chain, and that a pg_dump backup restores into a fresh database that passes the
schema and audit-trail checks. Skipped unless TEST_DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pg_conninfo

BASE = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.skipif(not BASE.startswith("postgresql"), reason="PostgreSQL only (TEST_DATABASE_URL)"),
    pytest.mark.fail_slow("120s"),  # migrations, the demo and subprocess writers: longer than addopts' --fail-slow
]
AUDITAPP = str(Path(sys.executable).with_name("auditapp"))


def _conninfo(database: str | None = None) -> dict:
    return pg_conninfo(BASE, database)


def _url(database: str, driver: str = "postgresql+psycopg") -> str:
    from sqlalchemy.engine import make_url

    return make_url(BASE).set(database=database, drivername=driver).render_as_string(hide_password=False)


def _admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(**_conninfo(), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _auditapp(database: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": _url(database), "AUDITAPP_ENV": "development", **env}
    return subprocess.run([AUDITAPP, *args], env=environment, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[str, str]]:
    """(database, application role): migrated as the owner with the role's grants, demo data loaded."""
    suffix = uuid.uuid4().hex[:8]
    database, role = f"auditapp_ops_{suffix}", f"auditapp_app_{suffix}"
    _admin(f'CREATE ROLE "{role}" NOLOGIN', f'CREATE DATABASE "{database}"')
    try:
        migrated = _auditapp(database, "db", "upgrade", AUDITAPP_DB_APP_ROLE=role)
        assert migrated.returncode == 0, migrated.stderr
        demo = _auditapp(database, "demo")
        assert demo.returncode == 0, demo.stderr
        yield database, role
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{role}"')


def _as_role(database: str, role: str, statement: str) -> str:
    """Run ``statement`` as ``role`` in a transaction that is rolled back; "ok" or the database's error."""
    import psycopg

    with psycopg.connect(**_conninfo(database)) as conn:
        try:
            conn.execute(f'SET ROLE "{role}"')
            conn.execute(statement)
            return "ok"
        except psycopg.Error as error:
            return str(error).splitlines()[0]
        finally:
            conn.rollback()


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT count(*) FROM audit_events", "ok"),
        ("INSERT INTO audit_events (occurred_at, action, details) VALUES (now(), 'x', '{}')", "ok"),
        ("UPDATE cases SET status = status", "ok"),
        ("DELETE FROM jobs", "ok"),
        ("UPDATE audit_events SET action = 'changed'", "permission denied for table audit_events"),
        ("DELETE FROM audit_events", "permission denied for table audit_events"),
        ("TRUNCATE audit_events CASCADE", "permission denied for table audit_events"),
        ("UPDATE audit_chain SET hash = 'x'", "permission denied for table audit_chain"),
        ("DELETE FROM audit_chain", "permission denied for table audit_chain"),
        ("ALTER TABLE audit_events DISABLE TRIGGER USER", "must be owner of table audit_events"),
        ("UPDATE alembic_version SET version_num = '0001'", "permission denied for table alembic_version"),
    ],
)
def test_the_application_role_cannot_change_the_audit_trail(deployment, statement, expected):
    database, role = deployment
    assert _as_role(database, role, statement) == expected


def test_the_owner_is_stopped_by_the_append_only_trigger(deployment):
    database, _ = deployment
    import psycopg

    with psycopg.connect(**_conninfo(database)) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("DELETE FROM audit_events")


WRITER = """
import pathlib, sys, time
from auditapp.app import create_app
from auditapp.domain.trail.events import record_event
from auditapp.domain.context import ActorContext, acting_as
from auditapp.extensions import db

app = create_app()
number, folder, writers = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
(folder / f"ready-{number}").touch()
deadline = time.time() + 120
while len(list(folder.glob("ready-*"))) < writers and time.time() < deadline:  # start together
    time.sleep(0.005)
with app.app_context(), acting_as(ActorContext(email=f"writer{number}@test", channel="test")):
    for transaction in range(100):
        for n in range(1 + transaction % 3):
            record_event("concurrency_test", object_type="case", object_id=f"{number}-{transaction}-{n}")
        db.session.commit()
"""


def test_concurrent_commits_keep_one_intact_chain(deployment, tmp_path):
    """Six processes commit 100 transactions each at the same moment; every event is linked once, in one chain."""
    import psycopg

    database, _ = deployment
    env = {**os.environ, "DATABASE_URL": _url(database), "AUDITAPP_ENV": "development"}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(n), str(tmp_path), "6"], env=env) for n in range(6)]
    assert [writer.wait(timeout=300) for writer in writers] == [0] * 6
    result = _auditapp(database, "audit-trail", "verify")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(**_conninfo(database)) as conn:
        linked = conn.execute(
            "SELECT count(*) FROM audit_chain c JOIN audit_events e ON e.id = c.event_id "
            "WHERE e.action = 'concurrency_test'"
        ).fetchone()[0]
        interleaved = conn.execute(
            "SELECT count(*) FROM (SELECT e.actor_email, lag(e.actor_email) OVER (ORDER BY c.seq) AS previous "
            "FROM audit_chain c JOIN audit_events e ON e.id = c.event_id WHERE e.action = 'concurrency_test') s "
            "WHERE actor_email <> previous"
        ).fetchone()[0]
    assert linked == 6 * sum(1 + t % 3 for t in range(100))
    assert interleaved > 5, "the writers did not overlap, so this test proved nothing"


def test_a_backup_restores_into_a_fresh_database(deployment, tmp_path):
    import psycopg

    database, _ = deployment
    dump = tmp_path / "auditapp.dump"
    plain = _url(database, "postgresql")
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", plain], check=True, timeout=300)
    restored = f"{database}_restored"
    _admin(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(restored, 'postgresql')}", str(dump)],
            check=True,
            timeout=300,
        )
        checked = _auditapp(restored, "db", "check")
        assert checked.returncode == 0, checked.stderr
        verified = _auditapp(restored, "audit-trail", "verify")
        assert verified.returncode == 0, verified.stderr
        tables = ("cases", "audit_events", "audit_chain", "agency_audits", "published_reports", "users")
        counts = {}
        for name in (database, restored):
            with psycopg.connect(**_conninfo(name)) as conn:
                counts[name] = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]  # noqa: S608
        assert counts[restored] == counts[database]
        from auditapp.demo.cases import demo_population

        assert counts[restored][0] == len(demo_population())  # the demo's cases, all restored
        with psycopg.connect(**_conninfo(restored)) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("UPDATE audit_events SET action = 'changed'")
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


def test_the_grant_command_is_idempotent_and_audited(deployment):
    import psycopg

    database, role = deployment
    for _ in range(2):
        granted = _auditapp(database, "db-role", "grant", role)
        assert granted.returncode == 0, granted.stderr
        assert granted.stdout.startswith(f"Granted the application's privileges to {role}")
    assert _as_role(database, role, "DELETE FROM audit_events") == "permission denied for table audit_events"
    with psycopg.connect(**_conninfo(database)) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM audit_events WHERE action = 'db_role_granted' AND object_id = %s", (role,)
            ).fetchone()[0]
            == 2
        )
    refused = _auditapp(database, "db-role", "grant", "Robert'); DROP TABLE cases;--")
    assert refused.returncode == 1 and "is not a plain PostgreSQL role name" in refused.stderr
