"""Immediate safeguarding concerns raised from an audit: never blocked by form validation."""

from __future__ import annotations

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.telling import concern_acknowledged, concern_raised
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import SafeguardingConcern, SampledCase
from auditapp.models.types import utcnow


def raise_concern(sampled: SampledCase, *, description: str) -> SafeguardingConcern:
    """Record a concern about the child's current safety; the QA coordinators see it at once, and they and the
    agency's named safeguarding lead are sent a message (issue 16). Audited. Raises DomainError only when the
    description is empty."""
    if not description.strip():
        raise DomainError("Describe your concern about the child's safety", field="description")
    concern = SafeguardingConcern(
        sampled_case_id=sampled.id,
        raised_by_id=current_actor().user_id,
        description=description.strip(),
        raised_at=utcnow(),
    )
    db.session.add(concern)
    db.session.flush()
    record_event(
        "concern_raised",
        object_type="safeguarding_concern",
        object_id=concern.id,
        details={"case_ref": sampled.case.case_ref, "round_id": sampled.round_id},
    )
    concern_raised(concern)
    return concern


def open_concerns() -> list[SafeguardingConcern]:
    query = select(SafeguardingConcern).where(SafeguardingConcern.acknowledged_at.is_(None))
    return list(db.session.scalars(query.order_by(SafeguardingConcern.raised_at)))


def acknowledge(concern: SafeguardingConcern, *, action_taken: str) -> None:
    """Record that a coordinator has acted on the concern. Raises DomainError without the action taken."""
    if not action_taken.strip():
        raise DomainError("Enter the action taken", field="action_taken")
    if concern.acknowledged_at is not None:
        raise DomainError("This concern has already been acknowledged", field="action_taken")
    concern.acknowledged_at, concern.acknowledged_by_id = utcnow(), current_actor().user_id
    concern.action_taken = action_taken.strip()
    db.session.flush()
    record_event(
        "concern_acknowledged",
        object_type="safeguarding_concern",
        object_id=concern.id,
        details={"action_taken": concern.action_taken},
    )
    concern_acknowledged(concern)  # issue 16: the person who raised it


def view_concern(concern: SafeguardingConcern) -> SafeguardingConcern:
    """Record that the concern (about a child's safety) was read."""
    record_event(
        "concern_viewed",
        object_type="safeguarding_concern",
        object_id=concern.id,
        details={"case_ref": concern.sampled_case.case.case_ref},
    )
    return concern
