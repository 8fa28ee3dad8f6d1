"""Each role's task list on the home page. Later capabilities add their tasks here."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.models import Agency, Case, ImportBatch, Locality, Role, Team, User


@dataclass
class Task:
    title: str
    href: str | None = None
    hint: str | None = None
    status: str = ""


@dataclass
class TaskGroup:
    heading: str
    tasks: list[Task] = field(default_factory=list)
    empty: str | None = None  # the empty state when there are no tasks yet


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _admin() -> list[TaskGroup]:
    return [
        TaskGroup("People and organisations", [
            Task("Manage users", url_for("admin.users"), "Create, change and deactivate users",
                 f"{_count(User)} users"),
            Task("Manage agencies", url_for("admin.agencies"), "Social care, health, police, education and others",
                 f"{_count(Agency)} agencies"),
            Task("Manage localities and teams", url_for("admin.localities"), None,
                 f"{_count(Locality)} localities, {_count(Team)} teams"),
            Task("Read the audit trail", url_for("admin.audit_trail"), "Every sign-in, change and view of a record"),
        ]),
    ]


def _population() -> TaskGroup:
    cases = _count(Case)
    last = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))
    tasks = [Task("Import the case population", url_for("cases.upload"),
                  "Annex A, CIN census, SSDA903 or a generic CSV or Excel file",
                  f"Last import {last.imported_at:%-d %b %Y}" if last else "Not started")]
    if cases:
        tasks.append(Task("Browse the cases", url_for("cases.index"), None, f"{cases} cases"))
    return TaskGroup("Case population", tasks)


def _coordinator() -> list[TaskGroup]:
    return [
        TaskGroup("Immediate safeguarding concerns", empty="No concerns have been raised."),
        _population(),
        TaskGroup("Audit rounds", empty="There are no audit rounds yet."),
    ]


def _auditor() -> list[TaskGroup]:
    return [TaskGroup("Your audits", empty="You have no audits assigned to you.")]


def _board() -> list[TaskGroup]:
    return [
        TaskGroup("Published reports", empty="No reports have been published yet."),
        TaskGroup("Action plan", empty="There are no actions yet."),
    ]


_BY_ROLE = {Role.ADMIN: _admin, Role.QA_COORDINATOR: _coordinator, Role.AUDITOR: _auditor, Role.BOARD_MEMBER: _board}


def home_tasks(user: User) -> list[TaskGroup]:
    """The task groups ``user``'s role sees on the home page."""
    return _BY_ROLE[user.role]()
