"""Set up the load benchmark's PostgreSQL database: create it, migrate it, fill it; or drop it.

Used by ``benchmarks/load.py`` (run in its own process, so the load generator never holds the app or a database
pool); it can also be run by hand from the repository root::

    python -m benchmarks.load_setup create postgresql+psycopg://postgres@127.0.0.1:5432/auditapp_load --users 50
    python -m benchmarks.load_setup drop postgresql+psycopg://postgres@127.0.0.1:5432/auditapp_load

``create`` drops the database if it exists, creates it, runs ``auditapp db upgrade`` against it, loads the demo
partnership (``auditapp demo``: its completed "Neglect, spring 2026" round, with moderated audits and findings,
is the one the coordinator builds the board report of), then adds ``--users`` independent auditors and a drawn
independent round of as many cases, each auditor assigned one case through the real domain functions. It prints
the fixture as one JSON line: the sign-ins, each auditor's assignment id, the tool's section ids and the report
round's id.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOAD_PASSWORD = "load-bench-quiet-meadow-83"  # noqa: S105 - synthetic benchmark users only
LOAD_DOMAIN = "load.auditapp.invalid"
LOAD_ROUND = "Load benchmark round"
ROUND_SEED = "load-benchmark-0001"


def _conninfo(url: str) -> tuple[dict[str, Any], str]:
    """psycopg connection arguments for the server's ``postgres`` database, and the database named in ``url``."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        raise SystemExit(f"not a PostgreSQL URL with a database name: {url}")
    return dict(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname="postgres",
    ), parsed.database


def _check_name(name: str) -> None:
    if not name.startswith("auditapp_load") or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to create or drop {name!r}: the benchmark only uses databases named auditapp_load*")


def server_conninfo(url: str) -> dict[str, Any]:
    """psycopg connection arguments for the ``postgres`` database of the server ``url`` points at."""
    return _conninfo(url)[0]


def database_name(url: str) -> str:
    """The database named in ``url``; refused (SystemExit) unless it is one of the benchmark's: auditapp_load*."""
    _, name = _conninfo(url)
    _check_name(name)
    return name


def drop_database(url: str) -> None:
    """Drop the benchmark's database (closing any connection still open to it)."""
    import psycopg

    conninfo, name = _conninfo(url)
    _check_name(name)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(url: str) -> None:
    """Create the benchmark's database afresh (dropped first if it is there)."""
    import psycopg

    drop_database(url)
    conninfo, name = _conninfo(url)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(url: str) -> dict[str, str]:
    """The environment the app runs with: the demo configuration (no two-factor, plain-HTTP cookies) on ``url``."""
    return {
        **os.environ,
        "AUDITAPP_ENV": "demo",
        "DATABASE_URL": url,
        "TOTP_REQUIRED": "0",
        "SESSION_COOKIE_SECURE": "0",
    }


def migrate(url: str) -> None:
    """``auditapp db upgrade`` against ``url``, as an operator would run it."""
    command = [str(Path(sys.executable).with_name("auditapp")), "db", "upgrade"]
    done = subprocess.run(command, env=app_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("auditapp db upgrade failed")


def _auditors(count: int) -> list[Any]:
    from sqlalchemy import select

    from auditapp.demo.facts import AGENCIES
    from auditapp.domain.users import create_user
    from auditapp.extensions import db
    from auditapp.models import Agency, AuditorType, Role

    agency = db.session.scalar(select(Agency).where(Agency.name == AGENCIES[0][0]))
    return [
        create_user(
            email=f"auditor{number:03d}@{LOAD_DOMAIN}",
            name=f"Load Auditor {number:03d}",
            role=Role.AUDITOR,
            password=LOAD_PASSWORD,
            auditor_type=AuditorType.INDEPENDENT,
            agency_id=agency.id,
            must_change_password=False,
        )
        for number in range(1, count + 1)
    ]


def _round(auditors: list[Any]) -> tuple[Any, list[int]]:
    """An independent round of one case per auditor, drawn and assigned by hand (one case each)."""
    from auditapp.domain.assignments import assign_manually, check_manual
    from auditapp.domain.rounds import RoundSettings, create_round
    from auditapp.domain.sampling import draw_sample

    audit_round = create_round(
        RoundSettings(
            name=LOAD_ROUND,
            theme="Load",
            mode="independent",
            sample_size=len(auditors),
            exclude_audited_within_months=0,
        ),
        created_by_id=None,
    )
    draw_sample(audit_round, seed=ROUND_SEED)
    ids = []
    for sampled, auditor in zip(audit_round.sampled, auditors, strict=True):
        breaches = check_manual(audit_round, sampled, auditor_id=auditor.id, agency=None).breaches
        justification = "Load benchmark: one case per auditor" if breaches else None
        ids.append(
            assign_manually(audit_round, sampled, auditor_id=auditor.id, agency=None, justification=justification).id
        )
    return audit_round, ids


def populate(url: str, users: int) -> dict[str, Any]:
    """Load the demo, add the auditors and their round, commit; return the fixture the load generator needs."""
    from sqlalchemy import select

    from auditapp.app import create_app
    from auditapp.demo.audits import COMPLETED_ROUND
    from auditapp.demo.facts import DEMO_PASSWORD, DOMAIN
    from auditapp.demo.load import load_demo
    from auditapp.domain.audits import agency_kind_for, tool_for
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db
    from auditapp.models import Assignment, AuditRound
    from config import DemoConfig

    config = DemoConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context(), acting_as(cli_actor("load-benchmark@example.org")):
        load_demo()
        auditors = _auditors(users)
        audit_round, assignment_ids = _round(auditors)
        sections = [section.id for section in tool_for(audit_round).sections]
        # Each auditor opens only the sections its own audit is asked (the task list's links): the tool's agency
        # sections for other kinds of agency are a 404 for it, and would be counted as errors.
        asked = {
            a.id: [s.id for s in tool_for(audit_round).for_agency(agency_kind_for(a)).sections]
            for a in db.session.scalars(select(Assignment).where(Assignment.id.in_(assignment_ids)))
        }
        report_round = db.session.scalar(select(AuditRound.id).where(AuditRound.name == COMPLETED_ROUND))
        db.session.commit()
        fixture = {
            "auditors": [[a.email, i] for a, i in zip(auditors, assignment_ids, strict=True)],
            "password": LOAD_PASSWORD,
            "coordinator": f"coordinator@{DOMAIN}",
            "coordinator_password": DEMO_PASSWORD,
            "sections": sections,
            "asked": {str(i): asked[i] for i in assignment_ids},
            "report_round": report_round,
            "round": audit_round.id,
        }
        db.session.remove()
        db.engine.dispose()
    return fixture


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("create", "drop"))
    parser.add_argument("url", help="postgresql+psycopg://user@host:port/auditapp_load...")
    parser.add_argument("--users", type=int, default=50, help="auditors to create, one assigned case each")
    args = parser.parse_args(argv)
    if args.action == "drop":
        drop_database(args.url)
        return 0
    create_database(args.url)
    migrate(args.url)
    print(json.dumps(populate(args.url, args.users)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
