"""Migrations are frozen (issue 12): none imports application code, so a later change to the application can never
change what an old migration does; what 0007 copied from the application still agrees with it today."""

from __future__ import annotations

import ast
import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select

from auditapp.domain.trail import chain as live_chain
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AuditChainLink, AuditEvent
from auditapp.models.types import UTCDateTime
from auditapp.security import db_role

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
FORBIDDEN = {"auditapp", "config"}  # the application package and its configuration module
DYNAMIC_IMPORTS = {"import_module", "__import__", "resolve_name"}  # importlib, builtins, pkgutil

# env.py is not a migration: it runs every migration inside the live app (it takes the engine and the autogenerate
# metadata from current_app). Its ``render_item`` hook imports the app's UTCDateTime, only when autogenerate renders
# a new migration, to write it as a plain ``sa.DateTime(timezone=True)``: that keeps *new* migrations free of app
# imports and never changes what an existing one does. So env.py, and only env.py, may import exactly that, and
# only inside a function (never when a migration runs). Every file in versions/ may import nothing from the app.
ALLOWED = {("env.py", "auditapp.models.types")}


def _is_forbidden(module: str) -> bool:
    return module.split(".")[0] in FORBIDDEN


def forbidden_imports(source: str, filename: str) -> list[str]:
    """``filename:line: ...`` for each import of application code in ``source`` (any form, at any depth)."""
    problems: list[str] = []

    def check(node: ast.AST, module: str, in_function: bool, how: str) -> None:
        if not _is_forbidden(module):
            return
        if in_function and (Path(filename).name, module) in ALLOWED:
            return
        problems.append(f"{filename}:{node.lineno}: {how} imports application code ({module!r})")

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(node, alias.name, in_function, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            check(node, node.module, in_function, f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in DYNAMIC_IMPORTS:
                target = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
                if isinstance(target, ast.Constant) and isinstance(target.value, str):
                    check(node, target.value, in_function, f"{name}({target.value!r})")
                else:
                    problems.append(f"{filename}:{node.lineno}: {name}(...) imports a module that cannot be checked")
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(source, filename=filename), False)
    return problems


def _migration_files() -> list[Path]:
    return [*sorted((MIGRATIONS / "versions").glob("*.py")), MIGRATIONS / "env.py"]


@pytest.mark.parametrize("path", _migration_files(), ids=lambda path: path.name)
def test_no_migration_imports_application_code(path):
    problems = forbidden_imports(path.read_text(encoding="utf-8"), str(path.relative_to(MIGRATIONS.parent)))
    assert not problems, "Migrations must be self-contained (copy what they need):\n" + "\n".join(problems)


def test_every_migration_is_checked():
    assert len(_migration_files()) >= 10  # 0001 to 0009 and env.py: a wrong path would check nothing


@pytest.mark.parametrize(
    "source",
    [
        "import auditapp",
        "import auditapp.models.types as types",
        "import os, config",
        "from auditapp.domain.trail.chain import link_hash",
        "from auditapp import models",
        "from config import TestConfig",
        "def upgrade():\n    from auditapp.security.db_role import SQLITE_TRIGGERS",
        "import importlib\nimportlib.import_module('auditapp.domain.trail.chain')",
        "from importlib import import_module\nimport_module(name='config')",
        "__import__('auditapp.models')",
        "import importlib\nimportlib.import_module(NAME)",
    ],
)
def test_the_check_finds_every_form_of_import(source):
    problems = forbidden_imports(source, "migrations/versions/0099_example.py")
    assert problems and all(problem.startswith("migrations/versions/0099_example.py:") for problem in problems)


@pytest.mark.parametrize(
    "source",
    [
        "from logging.config import fileConfig\nconfig = context.config",
        "import configparser\nimport auditapp_tools",
        "op.execute('DROP FUNCTION IF EXISTS auditapp_append_only()')",
    ],
)
def test_the_check_ignores_what_is_not_application_code(source):
    assert forbidden_imports(source, "migrations/versions/0099_example.py") == []


def test_only_env_py_may_import_the_type_it_renders_and_only_when_rendering():
    in_function = "def render_item(type_, obj, ctx):\n    from auditapp.models.types import UTCDateTime\n"
    assert forbidden_imports(in_function, "migrations/env.py") == []
    assert forbidden_imports(in_function, "migrations/versions/0099_example.py")
    assert forbidden_imports("from auditapp.models.types import UTCDateTime", "migrations/env.py")
    assert forbidden_imports("def f():\n    from auditapp.models import AuditEvent", "migrations/env.py")


def _migration_0007() -> ModuleType:
    (path,) = (MIGRATIONS / "versions").glob("0007_*.py")
    spec = importlib.util.spec_from_file_location("frozen_migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sample_events() -> list[AuditEvent]:
    moments = [
        datetime(2025, 1, 2, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 8, 30, 0, 5, tzinfo=UTC),
    ]
    details = [
        {"n": 1, "fields": ["x"], "channel": "web"},
        None,
        {"é": "ünïcödé ✓", "nested": {"b": [1, 2.5, None, True], "a": 'line\nbreak "q" \\'}, "big": 10**20},
    ]
    return [
        AuditEvent(
            id=n + 1,
            occurred_at=moment,
            actor_id=7 if n else None,
            actor_email="auditor@example.org" if n != 1 else None,
            actor_role="auditor",
            action=f"sample_{n}",
            object_type="case",
            object_id=f"C{n}" if n != 2 else None,
            ip_address="203.0.113.9",
            request_id="0b7f6f1e-2f49-4a31-9d1c-5b0c2d7a4e11" if n != 1 else None,
            details=detail,
        )
        for n, (moment, detail) in enumerate(zip(moments, details, strict=True))
    ]


def _chain(link_hash, genesis: str) -> list[str]:
    hashes, previous = [], genesis
    for seq, audit_event in enumerate(_sample_events(), start=1):
        previous = link_hash(previous, seq, audit_event)
        hashes.append(previous)
    return hashes


# What 0007's frozen hashing gives for the sample events. It is the migration's own known answer and never changes.
FROZEN_CHAIN = [
    "4311ff51b74ecff30b4ac31c335fca1ad14f631126ddfeacff77cd33e13151c6",
    "8a7884c84b8d56226b8b20238a06d494114e4d911e32bccbb55a778fa4cc8a80",
    "ee23ea550ce80e8d2711069d1f24b06d5b738910bd34eb94af587b672df7a4ad",
]


def test_the_frozen_hashing_in_0007_gives_its_known_answer():
    migration = _migration_0007()
    assert migration.GENESIS == "0" * 64 and migration.HEAD_ID == 1
    assert _chain(migration.link_hash, migration.GENESIS) == FROZEN_CHAIN


# The two tests below prove that today the frozen copies in 0007 agree with the live application code. If the live
# code ever changes on purpose (a new hash format, another trigger), update THESE TESTS (for example, compare with a
# copy of the old live code kept here), never the migration: databases already upgraded carry what 0007 wrote.
def test_the_frozen_hashing_in_0007_agrees_with_the_live_chain():
    migration = _migration_0007()
    assert (migration.GENESIS, migration.HEAD_ID, migration.FIELDS) == (
        live_chain.GENESIS,
        live_chain.HEAD_ID,
        live_chain.FIELDS,
    )
    for audit_event in _sample_events():
        assert migration.canonical(audit_event) == live_chain.canonical(audit_event)
    assert _chain(migration.link_hash, migration.GENESIS) == _chain(live_chain.link_hash, live_chain.GENESIS)
    # SQLite gives the time back naive, PostgreSQL in the session's time zone: both types make it the same UTC time.
    frozen_type, live_type = migration.UTCDateTime(), UTCDateTime()
    for value in (
        datetime(2025, 1, 2, 10, 0, 0, 123456),
        datetime(2025, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=-5))),
    ):
        frozen = frozen_type.process_result_value(value, None)
        assert frozen == live_type.process_result_value(value, None)
        assert frozen.isoformat() == live_type.process_result_value(value, None).isoformat()


def test_the_frozen_sql_in_0007_is_what_the_live_db_role_gives_today():
    migration = _migration_0007()
    assert migration.SQLITE_TRIGGERS == db_role.SQLITE_TRIGGERS
    assert migration.POSTGRES_TRIGGERS == db_role.POSTGRES_TRIGGERS
    assert migration.grant_statements("auditapp_app") == db_role.grant_statements("auditapp_app")
    with pytest.raises(ValueError):
        migration.grant_statements('app"; DROP TABLE users; --')


def test_0007_hashes_events_read_back_from_the_database_as_the_application_linked_them(actor):
    """The migration's own table construct and hashing, on rows as this database returns them, give the links the
    application wrote at commit (on SQLite and on PostgreSQL)."""
    migration = _migration_0007()
    details = {"é": "ünïcödé ✓", "nested": {"b": [1, 2.5, None, True], "a": "z"}, "fields": ["x"]}
    ids = [record_event("frozen_check", object_type="case", object_id=n, details=details).id for n in range(3)]
    db.session.commit()
    links = db.session.execute(
        select(AuditChainLink.seq, AuditChainLink.hash, AuditChainLink.event_id)
        .where(AuditChainLink.event_id.in_(ids))
        .order_by(AuditChainLink.seq)
    ).all()
    assert [link.event_id for link in links] == ids
    previous = db.session.scalar(select(AuditChainLink.hash).where(AuditChainLink.seq == links[0].seq - 1))
    previous = previous or migration.GENESIS
    events = migration.events
    rows = {row.id: row for row in db.session.execute(select(events).where(events.c.id.in_(ids)))}
    for link in links:
        previous = migration.link_hash(previous, link.seq, rows[link.event_id])
        assert previous == link.hash
