"""One vocabulary (issue 12): every stored state and kind is a StrEnum in auditapp/vocabulary.py, defined once,
with exactly the values the database, JSON, exports and the audit trail have always held."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

import pytest

from auditapp import vocabulary
from auditapp.vocabulary import (
    ActionStatus,
    AuditorType,
    AuditState,
    JobStatus,
    ModerationDecision,
    RoundMode,
    SectionStatus,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "auditapp"
TEMPLATES = ROOT / "templates"
ENUMS = (AuditState, SectionStatus, ModerationDecision, ActionStatus, JobStatus, RoundMode, AuditorType)

# The values as stored before the enums existed: the enums must never change one (no migration, old rows, old
# audit-trail details and exports keep meaning the same thing).
STORED = {
    AuditState: {"not_started", "in_progress", "submitted", "returned", "moderated", "withdrawn"},  # + issue 13
    SectionStatus: {"not_started", "in_progress", "completed", "not_needed"},  # + issue 15 (never stored: worked out)
    ModerationDecision: {"agreed", "returned", "regraded"},
    ActionStatus: {"open", "in_progress", "done"},
    JobStatus: {"queued", "running", "done", "failed"},
    RoundMode: {"independent", "peer", "multi-agency"},
    AuditorType: {"independent", "peer"},
}

# Quoted literals that must be spelled through the enums in auditapp/**/*.py. Only unambiguous words: "done"
# (also a progress counter and a report count), "open", "failed" and "completed" (plain English outcomes that
# other code may rightly use for other things) are left out, though every state use of them is an enum today.
PROTECTED = {
    "not_started",
    "in_progress",
    "submitted",
    "returned",
    "moderated",
    "queued",
    "running",
    "independent",
    "peer",
    "multi-agency",
    "agreed",
    "regraded",
}
# (path under auditapp/, literal) pairs where the word means something else.
ALLOWED = {
    ("demo/facts.py", "independent"),  # the demo independent auditor's email local part, independent@...
}


def test_the_vocabulary_covers_every_word_to_protect() -> None:
    assert {value for values in STORED.values() for value in values} >= PROTECTED


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_each_enum_has_unique_values_that_were_stored_before(enum: type[StrEnum]) -> None:
    members = enum.__members__  # aliases (a repeated value) appear here, not when iterating
    assert len({member.value for member in members.values()}) == len(members)
    assert {member.value for member in enum} == STORED[enum]
    assert all(len(member.value) <= 20 for member in enum)  # the String(20) columns


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_members_are_the_stored_strings_everywhere(enum: type[StrEnum]) -> None:
    for member in enum:
        value = member.value
        assert type(value) is str
        assert member == value and hash(member) == hash(value) and {value: 1}[member] == 1
        assert str(member) == f"{member}" == value
        assert json.dumps({member: [member]}) == json.dumps({value: [value]})


def test_each_enum_is_defined_once_and_shared() -> None:
    from auditapp import models
    from auditapp.assignment import auto, rules
    from auditapp.models import user

    assert models.AuditorType is user.AuditorType is rules.AuditorType is AuditorType
    assert not hasattr(auto, "Mode")
    for path in PACKAGE.rglob("*.py"):
        if path.name == "vocabulary.py" and path.parent == PACKAGE:
            continue
        classes = {n.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.ClassDef)}
        assert not classes & {e.__name__ for e in ENUMS}, path


def test_labels_are_the_labels_shown_before() -> None:
    from auditapp.domain.moderation import DECISIONS
    from auditapp.models import ACTION_STATUSES, AUDIT_STATES, MODES

    assert AUDIT_STATES == {
        "not_started": "Not started",
        "in_progress": "In progress",
        "submitted": "Submitted",
        "returned": "Returned",
        "moderated": "Moderated",
        "withdrawn": "Withdrawn",
    }
    assert ACTION_STATUSES == {"open": "Open", "in_progress": "In progress", "done": "Done"}
    assert MODES == {"independent": "Independent", "peer": "Peer", "multi-agency": "Multi-agency"}
    assert DECISIONS == {"agreed": "Agree", "returned": "Return to the auditor", "regraded": "Re-grade"}
    assert {t: t.label for t in AuditorType} == {"independent": "Independent", "peer": "Peer"}
    # The tables are keyed by the members themselves, in the enum's order.
    assert list(AUDIT_STATES) == list(AuditState) and all(type(k) is AuditState for k in AUDIT_STATES)
    assert list(ACTION_STATUSES) == list(ActionStatus) and list(MODES) == list(RoundMode)
    assert list(DECISIONS) == list(ModerationDecision)


def test_the_model_layer_accepts_exactly_the_enum_values() -> None:
    from auditapp.models import Action, ActionUpdate, AgencyAudit, AuditRound, Job, User

    auditor_type = User.__table__.c.auditor_type.type
    assert auditor_type.enum_class is AuditorType and auditor_type.enums == [t.value for t in AuditorType]
    assert AgencyAudit.__table__.c.state.default.arg == AuditState.NOT_STARTED
    assert Action.__table__.c.status.default.arg == ActionStatus.OPEN
    assert Job.__table__.c.status.default.arg == JobStatus.QUEUED
    columns = {
        AuditState: AgencyAudit.__table__.c.state,
        ModerationDecision: AgencyAudit.__table__.c.moderation_decision,
        ActionStatus: Action.__table__.c.status,
        JobStatus: Job.__table__.c.status,
        RoundMode: AuditRound.__table__.c.mode,
    }
    for enum, column in columns.items():
        assert all(len(member) <= column.type.length for member in enum), column
    assert all(len(member) <= ActionUpdate.__table__.c.status.type.length for member in ActionStatus)


def test_the_forms_offer_exactly_the_enum_values() -> None:
    from auditapp.findings.forms import UpdateForm
    from auditapp.moderation.forms import ModerationForm
    from auditapp.rounds.forms import RoundForm

    def values(unbound) -> list[str]:
        return [choice.value for choice in unbound.kwargs["choices"] if choice.value]

    assert values(ModerationForm.decision) == list(ModerationDecision)
    assert values(RoundForm.mode) == list(RoundMode) and RoundForm.mode.kwargs["default"] == RoundMode.INDEPENDENT
    assert values(UpdateForm.status) == list(ActionStatus)


def test_the_domain_checks_use_the_enums() -> None:
    from auditapp.domain.audits import EDITABLE
    from auditapp.reports.report_data import COUNTED_STATES

    assert {AuditState.NOT_STARTED, AuditState.IN_PROGRESS, AuditState.RETURNED} == EDITABLE
    assert set(COUNTED_STATES) == {AuditState.SUBMITTED, AuditState.MODERATED}
    assert set(AuditState) == EDITABLE | set(COUNTED_STATES) | {AuditState.WITHDRAWN}  # withdrawn: never counted


def test_section_status_is_a_section_status() -> None:
    from auditapp.tools import builtin_tool, section_status

    tool = builtin_tool(key="multi_agency_case_file_audit")
    status = section_status(tool=tool, section_id=tool.sections[0].id, answers={})
    assert status is SectionStatus.NOT_STARTED


_TEMPLATE_CHECKS = {
    r"audit\.state\s*(?:==|!=)\s*'(\w+)'": AuditState,
    r"audit\.state\s+in\s+\(([^)]*)\)": AuditState,
    r"job\.status\s*(?:==|!=)\s*\"(\w+)\"": JobStatus,
    r"\bst\s*==\s*'(\w+)'": SectionStatus,
}


def test_the_templates_compare_with_real_values() -> None:
    """Templates may compare with strings (a member equals its value), but only with values that exist."""
    seen = 0
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern, enum in _TEMPLATE_CHECKS.items():
            for match in re.finditer(pattern, text):
                for value in re.findall(r"[\w-]+", match.group(1)):
                    seen += 1
                    assert value in set(enum), f"{path.relative_to(ROOT)}: {value!r} is not a {enum.__name__}"
    assert seen >= 5


def _protected_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in PROTECTED
    )


def test_no_state_is_spelled_out_outside_the_vocabulary() -> None:
    """A grep for the quoted words, through the parser: string literals count (f-string parts too); comments
    and docstrings that mention a word do not."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "vocabulary.py" or "migrations" in path.parts:
            continue
        found += [
            f"auditapp/{relative}:{line}: {value!r}"
            for line, value in _protected_literals(path)
            if (relative, value) not in ALLOWED
        ]
    assert not found, "use the enums in auditapp/vocabulary.py:\n" + "\n".join(found)


def test_the_scan_sees_literals_in_fstrings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('x = f"{a or \'independent\'}"\ny = {"moderated": 1}\n"""A \'returned\' docstring."""\n')
    assert _protected_literals(sample) == [(1, "independent"), (2, "moderated")]


def test_the_vocabulary_is_pure() -> None:
    """Standard library only, so the pure packages can use it without models, Flask or SQLAlchemy."""
    tree = ast.parse(Path(vocabulary.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    code = (
        "import sys\n"
        "import auditapp.vocabulary, auditapp.assignment.auto, auditapp.tools\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy') or m == 'auditapp.models']\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
