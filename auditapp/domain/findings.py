"""Findings of a round and the action plan that follows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from auditapp.domain import action_progress, learning
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.publishing import current_report, rounds_with_current_report
from auditapp.domain.rounds import ensure_open, without_nul
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import ACTION_STATUSES, Action, ActionUpdate, Agency, AuditRound, Finding
from auditapp.models.types import utcnow
from auditapp.vocabulary import ActionStatus


def _check_finding(audit_round: AuditRound, *, title: str, so_what: str, case_refs: list[str] | None) -> None:
    if not title.strip():
        raise DomainError("Enter the finding's title", field="title")
    if not so_what.strip():
        raise DomainError("Enter the 'so what': what this means for children", field="so_what")
    sampled = {s.case.case_ref for s in audit_round.sampled if not s.replaced}
    unknown = [ref for ref in case_refs or [] if ref not in sampled]
    if unknown:
        raise DomainError(f"These cases are not in the round's sample: {', '.join(unknown)}", field="case_refs")


def add_finding(
    audit_round: AuditRound,
    *,
    title: str,
    so_what: str,
    evidence: str = "",
    question_ids: list[str] | None = None,
    case_refs: list[str] | None = None,
    recommendation: str | None = None,
    learning_item_ids: list[int] | None = None,
) -> Finding:
    """Record a finding, with the priorities and review learning it relates to. The "so what" is required. Raises
    DomainError naming the field at fault, or when the round was cancelled."""
    ensure_open(audit_round)
    title, so_what, evidence = without_nul(title), without_nul(so_what), without_nul(evidence)
    recommendation = without_nul(recommendation or "")
    _check_finding(audit_round, title=title, so_what=so_what, case_refs=case_refs)
    position = len(list(db.session.scalars(select(Finding.id).where(Finding.round_id == audit_round.id))))
    finding = Finding(
        round_id=audit_round.id,
        position=position,
        title=title.strip(),
        so_what=so_what.strip(),
        evidence=evidence.strip(),
        question_ids=question_ids or [],
        case_refs=case_refs or [],
        recommendation=(recommendation or "").strip() or None,
        created_by_id=current_actor().user_id,
    )
    db.session.add(finding)
    db.session.flush()
    record_event(
        "finding_added",
        object_type="finding",
        object_id=finding.id,
        details={"round_id": audit_round.id, "title": finding.title},
    )
    learning.link_finding(finding, learning_item_ids or [])
    return finding


def _check_action(*, description: str, agency_id: int, owner_name: str) -> None:
    if not description.strip():
        raise DomainError("Enter what will be done", field="description")
    if db.session.get(Agency, agency_id) is None:
        raise DomainError("Select the owning agency", field="agency_id")
    if not owner_name.strip():
        raise DomainError("Enter the name of the person who owns the action", field="owner_name")


MEASURE_MISSING = "Enter how you will know the action worked"


def _check_follow_up(*, success_measure: str | None, due_date: date, reaudit_date: date | None) -> None:
    """A success measure given must say something; a re-audit comes after the action is due (you cannot see
    whether it worked before it was meant to be done)."""
    if success_measure is not None and not success_measure.strip():
        raise DomainError(MEASURE_MISSING, field="success_measure")
    if reaudit_date is not None and reaudit_date <= due_date:
        raise DomainError("The re-audit date must be after the date the action is due", field="reaudit_date")


def add_action(
    finding: Finding,
    *,
    description: str,
    agency_id: int,
    owner_name: str = "",
    due_date: date,
    success_measure: str | None = None,
    reaudit_date: date | None = None,
    owner_id: int | None = None,
) -> Action:
    """Turn a recommendation into an action with an owning agency, a named owner, a due date, how we will know it
    worked and when to re-audit. The web form always asks for the success measure (``None`` is left only to
    callers recording an older action plan, which had none). ``owner_id``: the user who owns it (issue 16; active,
    any role), whose name fills ``owner_name``. Raises DomainError naming the field at fault, or when the round
    was cancelled."""
    ensure_open(finding.audit_round)
    if owner_id is not None:
        owner_name = action_progress.resolve_owner(owner_id).name
    description, owner_name = without_nul(description), without_nul(owner_name)
    success_measure = without_nul(success_measure) if success_measure is not None else None
    _check_action(description=description, agency_id=agency_id, owner_name=owner_name)
    _check_follow_up(success_measure=success_measure, due_date=due_date, reaudit_date=reaudit_date)
    action = Action(
        finding_id=finding.id,
        description=description.strip(),
        agency_id=agency_id,
        owner_name=owner_name.strip(),
        owner_id=owner_id,
        due_date=due_date,
        status=ActionStatus.OPEN,
        success_measure=success_measure.strip() if success_measure is not None else None,
        reaudit_date=reaudit_date,
    )
    db.session.add(action)
    db.session.flush()
    record_event(
        "action_added",
        object_type="action",
        object_id=action.id,
        details={
            "finding_id": finding.id,
            "owner_id": owner_id,
            "due_date": due_date.isoformat(),
            "reaudit_date": reaudit_date.isoformat() if reaudit_date else None,
        },
    )
    return action


def add_update(
    action: Action, *, note: str, status: str, rag: str | None = None, evidence: str | None = None
) -> ActionUpdate:
    """Add a dated progress update, which may change the action's status, with the RAG rating and the evidence
    of progress (issue 16: what shows it and where it can be seen). Refused (DomainError) once the round was
    cancelled. Audited ("action_updated": the status before and after, and the RAG)."""
    ensure_open(action.finding.audit_round)
    note, evidence = without_nul(note), without_nul(evidence or "").strip() or None
    action_progress.check_rag(rag)
    if status not in ACTION_STATUSES:
        raise DomainError("Select the action's status", field="status")
    if not note.strip():
        raise DomainError("Enter the progress made", field="note")
    update = ActionUpdate(
        action_id=action.id,
        note=note.strip(),
        status=status,
        rag=rag,
        evidence=evidence,
        created_by_id=current_actor().user_id,
        created_at=utcnow(),
    )
    before = action.status
    action.status = status
    action.completed_at = utcnow() if status == ActionStatus.DONE else None
    db.session.add(update)
    db.session.flush()
    record_event(
        "action_updated", object_type="action", object_id=action.id, details={"status": [before, status], "rag": rag}
    )
    return update


def findings_for(audit_round: AuditRound) -> list[Finding]:
    return list(
        db.session.scalars(
            select(Finding).where(Finding.round_id == audit_round.id).order_by(Finding.position, Finding.id)
        )
    )


@dataclass(frozen=True)
class ActionFilter:
    agency_id: int | None = None
    status: str | None = None
    overdue_only: bool = False
    published_only: bool = False  # the board's view: only rounds with a current published report
    round_id: int | None = None  # issue 16: one round's actions (the action plan's exports)
    owner_id: int | None = None  # issue 16: one owner's actions


def action_plan(*, filters: ActionFilter, today: date) -> list[Action]:
    """Actions across every round, soonest due first, filtered by agency, status and overdue."""
    query = select(Action).join(Finding).order_by(Action.due_date, Action.id)
    if filters.published_only:
        query = query.where(Finding.round_id.in_(rounds_with_current_report()))
    if filters.agency_id:
        query = query.where(Action.agency_id == filters.agency_id)
    if filters.round_id:
        query = query.where(Finding.round_id == filters.round_id)
    if filters.owner_id:
        query = query.where(Action.owner_id == filters.owner_id)
    if filters.status:
        query = query.where(Action.status == filters.status)
    if filters.overdue_only:
        query = query.where(Action.status != ActionStatus.DONE, Action.due_date < today)
    return list(db.session.scalars(query))


# -- Changing findings and actions (issue 13): until the round's report is published --------------------------------


def ensure_changeable(audit_round: AuditRound) -> None:
    """Raise DomainError when the round's findings and actions can no longer change: the round was cancelled, or
    its report is published (the board has it; withdraw it first to correct it)."""
    ensure_open(audit_round)
    report = current_report(audit_round)
    if report is not None:
        raise DomainError(
            f"The report was published to the board on {report.published_at:%-d %B %Y} and a published report "
            "cannot change. To correct it, withdraw the report first, then publish it again"
        )


def _short(value: object) -> object:
    """A value for the trail's record of a change: long texts are cut (the trail says which field changed)."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    return value


def _changes(before: dict[str, object], after: dict[str, object]) -> dict[str, list[object]]:
    return {key: [_short(before[key]), _short(after[key])] for key in before if before[key] != after[key]}


def _finding_fields(finding: Finding) -> dict[str, object]:
    return {
        "title": finding.title,
        "evidence": finding.evidence,
        "question_ids": list(finding.question_ids or []),
        "case_refs": list(finding.case_refs or []),
        "so_what": finding.so_what,
        "recommendation": finding.recommendation,
        "learning_items": [i.title for i in learning.items_for_finding(finding)],
    }


def edit_finding(
    finding: Finding,
    *,
    title: str,
    so_what: str,
    evidence: str = "",
    question_ids: list[str] | None = None,
    case_refs: list[str] | None = None,
    recommendation: str | None = None,
    learning_item_ids: list[int] | None = None,
) -> dict[str, list[object]]:
    """Change a finding until the round's report is published. Returns the changed fields as {field: [before,
    after]} (empty: nothing changed, nothing recorded). Raises DomainError naming the field at fault, or when the
    round is cancelled or its report published. Audited ("finding_edited", with the changed fields)."""
    audit_round = finding.audit_round
    ensure_changeable(audit_round)
    title, so_what, evidence = without_nul(title), without_nul(so_what), without_nul(evidence)
    recommendation = without_nul(recommendation or "")
    _check_finding(audit_round, title=title, so_what=so_what, case_refs=case_refs)
    before = _finding_fields(finding)
    finding.title, finding.so_what, finding.evidence = title.strip(), so_what.strip(), evidence.strip()
    finding.question_ids, finding.case_refs = list(question_ids or []), list(case_refs or [])
    finding.recommendation = (recommendation or "").strip() or None
    db.session.flush()
    learning.link_finding(finding, learning_item_ids or [])  # its own event, "finding_learning_linked"
    changed = _changes(before, _finding_fields(finding))
    if changed:
        record_event(
            "finding_edited",
            object_type="finding",
            object_id=finding.id,
            details={"round_id": audit_round.id, "title": finding.title, "changed": changed},
        )
    return changed


def delete_finding(finding: Finding) -> int:
    """Delete a finding with its actions (and their progress updates) until the round's report is published.
    Returns how many actions went with it. Raises DomainError when the round is cancelled or its report is
    published. Audited: one "finding_deleted" event holding what was deleted, and one per action."""
    audit_round = finding.audit_round
    ensure_changeable(audit_round)
    actions = list(finding.actions)
    for action in actions:
        _delete_action(action, with_finding=True)
    details = {"round_id": audit_round.id, **_finding_fields(finding), "actions_deleted": [a.id for a in actions]}
    learning.unlink_finding(finding)  # the titles are in ``details``
    finding_id = finding.id
    db.session.delete(finding)
    db.session.flush()
    record_event("finding_deleted", object_type="finding", object_id=finding_id, details=_shortened(details))
    return len(actions)


def _shortened(details: dict[str, object]) -> dict[str, object]:
    return {key: _short(value) for key, value in details.items()}


def _action_fields(action: Action) -> dict[str, object]:
    return {
        "description": action.description,
        "agency_id": action.agency_id,
        "owner_name": action.owner_name,
        "owner_id": action.owner_id,
        "due_date": action.due_date.isoformat(),
        "success_measure": action.success_measure,
        "reaudit_date": action.reaudit_date.isoformat() if action.reaudit_date else None,
    }


def edit_action(
    action: Action,
    *,
    description: str,
    agency_id: int,
    owner_name: str = "",
    due_date: date,
    success_measure: str | None = None,
    reaudit_date: date | None = None,
    owner_id: int | None = None,
) -> dict[str, list[object]]:
    """Change what an action is, who owns it, when it is due, how we will know it worked and when to re-audit,
    until the round's report is published. A blank success measure is accepted only for an action that never had
    one (from before issue 15); once recorded it cannot be blanked. Its status and progress updates are kept as
    they are (progress is recorded with :func:`add_update`). Returns the changed fields. Raises DomainError naming
    the field at fault, or when the round is cancelled or its report published. Audited ("action_edited", with
    the changed fields)."""
    ensure_changeable(action.finding.audit_round)
    if owner_id is not None:  # issue 16: the owner is a user (an action named only keeps its name until changed)
        owner_name = action_progress.resolve_owner(owner_id, current=action.owner).name
    description, owner_name = without_nul(description), without_nul(owner_name)
    measure = without_nul(success_measure or "").strip() or None
    _check_action(description=description, agency_id=agency_id, owner_name=owner_name)
    if measure is None and action.success_measure:
        raise DomainError(MEASURE_MISSING, field="success_measure")
    _check_follow_up(success_measure=measure, due_date=due_date, reaudit_date=reaudit_date)
    before = _action_fields(action)
    action.description, action.agency_id = description.strip(), agency_id
    action.owner_name, action.due_date = owner_name.strip(), due_date
    if owner_id is not None:
        action.owner_id = owner_id
    action.success_measure, action.reaudit_date = measure, reaudit_date
    changed = _changes(before, _action_fields(action))
    db.session.flush()
    db.session.refresh(action, ["agency", "owner"])
    if changed:
        record_event(
            "action_edited",
            object_type="action",
            object_id=action.id,
            details={"finding_id": action.finding_id, "changed": changed},
        )
    return changed


def delete_action(action: Action) -> None:
    """Delete an action and its progress updates until the round's report is published. Raises DomainError when
    the round is cancelled or its report is published. Audited ("action_deleted", with what was deleted)."""
    ensure_changeable(action.finding.audit_round)
    _delete_action(action, with_finding=False)
    db.session.flush()


def _delete_action(action: Action, *, with_finding: bool) -> None:
    details: dict[str, object] = {
        "finding_id": action.finding_id,
        **_action_fields(action),
        "status": action.status,
        "updates_deleted": len(action.updates),
    }
    if with_finding:
        details["with_finding"] = True
    action_id = action.id
    for update in list(action.updates):
        db.session.delete(update)
    db.session.delete(action)
    db.session.flush()
    record_event("action_deleted", object_type="action", object_id=action_id, details=_shortened(details))


def change_refusal(audit_round: AuditRound) -> str | None:
    """Why the round's findings and actions cannot change now (for the pages to say so), or None."""
    try:
        ensure_changeable(audit_round)
    except DomainError as error:
        return error.message
    return None
