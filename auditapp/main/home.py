"""Each role's task list on the home page. Later capabilities add their tasks here."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from auditapp.domain import overview
from auditapp.models import AUDIT_STATES, Role, User
from auditapp.models.types import utcnow
from auditapp.vocabulary import ActionStatus, AuditorType, AuditState


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


def _admin() -> list[TaskGroup]:
    return [
        TaskGroup(
            "People and organisations",
            [
                Task(
                    "Manage users",
                    url_for("admin.users"),
                    "Create, change and deactivate users",
                    f"{overview.count('users')} users",
                ),
                Task(
                    "Manage agencies",
                    url_for("admin.agencies"),
                    "Social care, health, police, education and others",
                    f"{overview.count('agencies')} agencies",
                ),
                Task(
                    "Manage localities and teams",
                    url_for("admin.localities"),
                    None,
                    f"{overview.count('localities')} localities, {overview.count('teams')} teams",
                ),
                Task(
                    "Read the audit trail", url_for("admin.audit_trail"), "Every sign-in, change and view of a record"
                ),
            ],
        ),
    ]


def _population() -> TaskGroup:
    cases = overview.count("cases")
    last = overview.last_import()
    tasks = [
        Task(
            "Import the case population",
            url_for("cases.upload"),
            "Annex A, CIN census, SSDA903 or a generic CSV or Excel file",
            f"Last import {last.imported_at:%-d %b %Y}" if last else "Not started",
        )
    ]
    if cases:
        tasks.append(Task("Browse the cases", url_for("cases.index"), None, f"{cases} cases"))
    return TaskGroup("Case population", tasks)


def _concerns() -> TaskGroup:
    from auditapp.domain.concerns import open_concerns

    tasks = [
        Task(
            f"Case {c.sampled_case.case.case_ref}: concern raised by {c.raised_by.name}",
            url_for("moderation.concern", concern_id=c.id),
            f"Raised {c.raised_at:%-d %b %Y at %H:%M} UTC",
            "Needs action",
        )
        for c in open_concerns()
    ]
    return TaskGroup("Immediate safeguarding concerns", tasks, empty="There are no concerns waiting for action.")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _moderation_queue() -> TaskGroup:
    """Submitted audits waiting for the moderator, the longest waiting first."""
    from auditapp.domain.moderation import moderation_queue

    tasks = [
        Task(
            f"Case {w.case_ref}" + (f" ({w.agency})" if w.agency else " (independent auditor)"),
            url_for("moderation.moderate_audit", audit_id=w.audit.id) + "?from=home",  # the decision returns here
            f"{w.round_name}. Audited by {w.auditor}"
            + (f", submitted {w.submitted_at:%-d %b %Y}" if w.submitted_at else ""),
            "Submitted today" if w.days_waiting == 0 else f"Waiting {_plural(w.days_waiting, 'day', 'days')}",
        )
        for w in moderation_queue(today=utcnow().date())
    ]
    return TaskGroup("Audits waiting for moderation", tasks, empty="There are no audits waiting for moderation.")


def _coordinator() -> list[TaskGroup]:
    return [
        _concerns(),
        _moderation_queue(),
        _population(),
        _rounds(),
    ]


def _rounds() -> TaskGroup:
    from auditapp.domain.rounds import list_rounds

    tasks = [
        Task(r.name, url_for("rounds.show", round_id=r.id), f"{r.mode_label}, {r.sample_size} cases", r.status)
        for r in list_rounds()[:10]
    ]
    tasks.append(Task("Create an audit round", url_for("rounds.new"), "Choose the population, draw the sample"))
    return TaskGroup("Audit rounds", tasks)


def _auditor(user: User) -> list[TaskGroup]:
    from auditapp.domain.assignments import assignments_for_auditor

    today = utcnow().date()
    tasks = []
    for a in assignments_for_auditor(user.id):
        state = a.audit.state if a.audit else AuditState.NOT_STARTED
        overdue = (
            a.due_date is not None
            and a.due_date < today
            and state in (AuditState.NOT_STARTED, AuditState.IN_PROGRESS, AuditState.RETURNED)
        )
        due = f"Due {a.due_date:%-d %b %Y}" if a.due_date else ""
        role = "lead auditor, " if a.lead else ""
        tasks.append(
            Task(
                f"Case {a.sampled_case.case.case_ref}",
                url_for("audits.task_list", assignment_id=a.id),
                f"{a.sampled_case.round.name} ({role}{a.agency_name or AuditorType.INDEPENDENT}). {due}",
                "Overdue" if overdue else AUDIT_STATES[state],
            )
        )
    return [TaskGroup("Your audits", tasks, empty="You have no audits assigned to you.")]


def _board() -> list[TaskGroup]:
    from auditapp.domain.findings import ActionFilter, action_plan
    from auditapp.domain.publishing import published_reports

    reports = [
        Task(
            r.title,
            url_for("reports.download", report_id=r.id),
            f"Published {r.published_at:%-d %B %Y}, {r.pages} {'page' if r.pages == 1 else 'pages'} (PDF)",
        )
        for r in published_reports()[:5]
    ]
    today = utcnow().date()
    actions = action_plan(filters=ActionFilter(published_only=True), today=today)  # published rounds only
    overdue = [a for a in actions if a.is_overdue(today)]
    plan = []
    if actions:
        plan = [
            Task(
                "Follow the action plan",
                url_for("findings.action_plan"),
                f"{len(actions)} actions, {sum(a.status == ActionStatus.DONE for a in actions)} done",
                f"{len(overdue)} overdue" if overdue else "None overdue",
            )
        ]
    return [
        TaskGroup("Published reports", reports, empty="No reports have been published yet."),
        TaskGroup("Action plan", plan, empty="There are no actions yet."),
    ]


def _owned_actions(user: User) -> list[TaskGroup]:
    """Issue 16: the actions ``user`` owns, as one task leading to "Your actions" (none: no group, except for an
    action owner, who sees the empty state)."""
    from auditapp.domain.action_progress import actions_owned_by, overdue

    actions = actions_owned_by(user)
    if not actions and user.role is not Role.ACTION_OWNER:
        return []
    today = utcnow().date()
    late = overdue(actions, today)
    done = sum(a.status == ActionStatus.DONE for a in actions)
    tasks = [
        Task(
            "Record progress on your actions",
            url_for("findings.my_actions"),
            f"{_plural(len(actions), 'action', 'actions')}, {done} done",
            f"{len(late)} overdue" if late else "None overdue",
        )
    ]
    if not actions:
        tasks = []
    return [TaskGroup("Your actions", tasks, empty="You do not own any actions.")]


def home_tasks(user: User) -> list[TaskGroup]:
    """The task groups ``user``'s role sees on the home page (and, issue 16, the actions they own)."""
    if user.role is Role.ACTION_OWNER:
        return _owned_actions(user)
    if user.role is Role.AUDITOR:
        return _owned_actions(user) + _auditor(user)
    groups = {Role.ADMIN: _admin, Role.QA_COORDINATOR: _coordinator, Role.BOARD_MEMBER: _board}[user.role]()
    return _owned_actions(user) + groups
