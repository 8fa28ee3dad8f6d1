"""Action owners (issue 16): the users who own actions, the actions each owns, and their latest progress.

An action's owner is a user of any role; the action keeps ``owner_name`` (the owner's name when it was set) so an
older action, named only, still says who owns it. Progress itself is recorded by ``findings.add_update``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Action, ActionUpdate, Finding, User
from auditapp.vocabulary import Rag

OWNER_MISSING = "Select the person who owns the action"


def owner_candidates(keep: User | None = None) -> list[User]:
    """Active users who may own an action, by agency then name; ``keep`` (an owner since made inactive) too."""
    users = list(db.session.scalars(select(User).where(User.active.is_(True), User.pending_approval.is_(False))))
    if keep is not None and keep not in users:
        users.append(keep)
    return sorted(users, key=lambda u: (u.agency.name if u.agency else "", u.name.lower(), u.id))


def owner_label(user: User) -> str:
    """How an owner is named in the choice: their name and agency (or "partnership" when they have none)."""
    return f"{user.name} ({user.agency.name if user.agency else 'partnership'})"


def resolve_owner(owner_id: int | None, *, current: User | None = None) -> User:
    """The user chosen as an action's owner. Raises DomainError (field ``owner_id``) unless the user exists and is
    active (the action's current owner is accepted even if since made inactive: nothing changes)."""
    user = db.session.get(User, owner_id) if owner_id else None
    if user is None:
        raise DomainError(OWNER_MISSING, field="owner_id")
    if (not user.active or user.pending_approval) and user is not current:
        raise DomainError(f"{user.name}'s account is not active: choose someone else", field="owner_id")
    return user


def actions_owned_by(user: User) -> list[Action]:
    """The actions ``user`` owns, soonest due first."""
    query = select(Action).join(Finding).where(Action.owner_id == user.id).order_by(Action.due_date, Action.id)
    return list(db.session.scalars(query))


def owns_actions(user: User) -> bool:
    return db.session.scalar(select(Action.id).where(Action.owner_id == user.id).limit(1)) is not None


def latest_update(action: Action) -> ActionUpdate | None:
    return action.updates[-1] if action.updates else None


def latest_rag(action: Action) -> Rag | None:
    """The RAG of the latest update that has one (an older update has none)."""
    for update in reversed(action.updates):
        if update.rag:
            return Rag(update.rag)
    return None


def check_rag(rag: str | None) -> str | None:
    """A RAG rating given must be red, amber or green (None: an update recorded without one, as before)."""
    if rag is not None and rag not in {r.value for r in Rag}:
        raise DomainError("Select a RAG rating: red, amber or green", field="rag")
    return rag


def overdue(actions: list[Action], today: date) -> list[Action]:
    return [a for a in actions if a.is_overdue(today)]


def record_export(fmt: str, *, count: int, filters: dict[str, object]) -> None:
    """Record that the action plan was exported (audited: the format, how many actions, the filters)."""
    record_event(
        "action_plan_exported",
        object_type="action_plan",
        object_id=None,
        details={"format": fmt, "actions": count, **filters},
    )
