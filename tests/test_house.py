"""The house rules of the code (issue 12): no import cycles, small modules, one unit of work, and unique names
that the database enforces rather than a check before the insert."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from auditapp.domain.errors import DomainError
from auditapp.extensions import db

PACKAGE = Path(__file__).resolve().parent.parent / "auditapp"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _import_graph() -> dict[str, set[str]]:
    import grimp

    graph = grimp.build_graph("auditapp")
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_auditapp():
    # Imports inside functions count too: a lazy import hides a cycle from Python, not from the reader.
    assert _cycles(_import_graph()) == []


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def _calls(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names):
            continue
        through_the_unit_of_work = isinstance(node.func.value, ast.Name) and node.func.value.id == "unit_of_work"
        if not through_the_unit_of_work:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} .{node.func.attr}()")
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    elsewhere = [
        call for path in _modules() if path.name != "unit_of_work.py" for call in _calls(path, {"commit", "rollback"})
    ]
    assert elsewhere == []


def test_the_commit_steps_are_one_ordered_list():
    from auditapp import jobs, unit_of_work
    from auditapp.domain import mail, notifications
    from auditapp.domain.trail import chain

    assert (chain.seal,) == unit_of_work.BEFORE_COMMIT
    assert [step.__name__ for step in unit_of_work.AFTER_COMMIT] == [
        "_enqueue_jobs",
        "_enqueue_notifications",
        "send_outbox",
    ]
    assert (chain.forget, jobs.forget_submitted, notifications.forget, mail.discard_outbox) == unit_of_work.ON_ROLLBACK
    # No module attaches a commit listener of its own.
    listeners = [
        f"{p.relative_to(PACKAGE)}: {m.group(0)}"
        for p in _modules()
        if p.name != "unit_of_work.py"
        for m in re.finditer(r"listens_for\(Session, \"(before|after)_(commit|rollback)\"\)", p.read_text())
    ]
    assert listeners == []


def test_the_feature_commands_do_not_import_the_cli_entry_point():
    edges = _import_graph()
    importers = sorted(m for m, imported in edges.items() if "auditapp.cli" in imported)
    assert importers == []


@pytest.mark.parametrize(
    ("statement", "duplicate"),
    [
        ("INSERT INTO agencies (name, kind, active) VALUES ('Police', 'police', true)", "POLICE"),
        ("INSERT INTO localities (name, active) VALUES ('North', true)", "north"),
    ],
)
def test_the_database_refuses_a_name_that_differs_only_in_case(actor, statement, duplicate):
    db.session.execute(text(statement))
    table = statement.split()[2]
    other = statement.replace("'Police'", f"'{duplicate}'").replace("'North'", f"'{duplicate}'")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text(other))
    assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1  # noqa: S608 - fixed names


def test_a_duplicate_written_by_someone_else_meanwhile_is_a_domain_error_and_the_session_stays_usable(actor):
    from auditapp.domain import org
    from auditapp.models import AgencyKind

    org.save_agency(agency=None, name="Health", kind=AgencyKind.HEALTH)
    # Another request inserted "Police" after this one would have checked: the database still refuses it.
    db.session.execute(text("INSERT INTO agencies (name, kind, active) VALUES ('Police', 'police', true)"))
    with pytest.raises(DomainError, match="already exists") as refused:
        org.save_agency(agency=None, name="police", kind=AgencyKind.POLICE)
    assert refused.value.field == "name"
    renamed = org.save_agency(agency=None, name="Police (county)", kind=AgencyKind.POLICE)
    assert renamed.id and {a.name for a in org.list_agencies()} == {"Health", "Police", "Police (county)"}


def test_renaming_a_team_to_a_taken_name_in_its_agency_is_refused_and_keeps_its_name(actor):
    from auditapp.domain import org
    from auditapp.models import AgencyKind

    agency = org.save_agency(agency=None, name="Social care", kind=AgencyKind.SOCIAL_CARE)
    org.save_team(team=None, name="Referral and assessment", agency_id=agency.id, locality_id=None)
    second = org.save_team(team=None, name="Child protection", agency_id=agency.id, locality_id=None)
    with pytest.raises(DomainError, match="already has a team"):
        org.save_team(team=second, name="REFERRAL AND ASSESSMENT", agency_id=agency.id, locality_id=None)
    db.session.refresh(second)
    assert second.name == "Child protection"
