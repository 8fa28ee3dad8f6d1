"""Findings of a round and the action plan that follows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import ACTION_STATUSES, Action, ActionUpdate, Agency, AuditRound, Finding
from auditapp.models.types import utcnow
from auditapp.vocabulary import ActionStatus


def add_finding(
    audit_round: AuditRound,
    *,
    title: str,
    so_what: str,
    evidence: str = "",
    question_ids: list[str] | None = None,
    case_refs: list[str] | None = None,
    recommendation: str | None = None,
) -> Finding:
    """Record a finding. The "so what" is required. Raises DomainError naming the field at fault."""
    if not title.strip():
        raise DomainError("Enter the finding's title", field="title")
    if not so_what.strip():
        raise DomainError("Enter the 'so what': what this means for children", field="so_what")
    sampled = {s.case.case_ref for s in audit_round.sampled if not s.replaced}
    unknown = [ref for ref in case_refs or [] if ref not in sampled]
    if unknown:
        raise DomainError(f"These cases are not in the round's sample: {', '.join(unknown)}", field="case_refs")
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
    return finding


def add_action(finding: Finding, *, description: str, agency_id: int, owner_name: str, due_date: date) -> Action:
    """Turn a recommendation into an action with an owning agency, a named owner and a due date."""
    if not description.strip():
        raise DomainError("Enter what will be done", field="description")
    if db.session.get(Agency, agency_id) is None:
        raise DomainError("Select the owning agency", field="agency_id")
    if not owner_name.strip():
        raise DomainError("Enter the name of the person who owns the action", field="owner_name")
    action = Action(
        finding_id=finding.id,
        description=description.strip(),
        agency_id=agency_id,
        owner_name=owner_name.strip(),
        due_date=due_date,
        status=ActionStatus.OPEN,
    )
    db.session.add(action)
    db.session.flush()
    record_event(
        "action_added",
        object_type="action",
        object_id=action.id,
        details={"finding_id": finding.id, "due_date": due_date.isoformat()},
    )
    return action


def add_update(action: Action, *, note: str, status: str) -> ActionUpdate:
    """Add a dated progress update, which may change the action's status."""
    if status not in ACTION_STATUSES:
        raise DomainError("Select the action's status", field="status")
    if not note.strip():
        raise DomainError("Enter the progress made", field="note")
    update = ActionUpdate(
        action_id=action.id,
        note=note.strip(),
        status=status,
        created_by_id=current_actor().user_id,
        created_at=utcnow(),
    )
    before = action.status
    action.status = status
    action.completed_at = utcnow() if status == ActionStatus.DONE else None
    db.session.add(update)
    db.session.flush()
    record_event("action_updated", object_type="action", object_id=action.id, details={"status": [before, status]})
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


def action_plan(*, filters: ActionFilter, today: date) -> list[Action]:
    """Actions across every round, soonest due first, filtered by agency, status and overdue."""
    query = select(Action).join(Finding).order_by(Action.due_date, Action.id)
    if filters.agency_id:
        query = query.where(Action.agency_id == filters.agency_id)
    if filters.status:
        query = query.where(Action.status == filters.status)
    if filters.overdue_only:
        query = query.where(Action.status != ActionStatus.DONE, Action.due_date < today)
    return list(db.session.scalars(query))
