"""Agencies, localities and teams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auditapp.domain.errors import DomainError, NotFound
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Agency, AgencyKind, Locality, Team, User


def get(model: type, object_id: int) -> Any:
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(f"{model.__name__} not found")
    return obj


def list_agencies(*, active_only: bool = False) -> list[Agency]:
    query = select(Agency).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.active.is_(True))
    return list(db.session.scalars(query))


def list_localities(*, active_only: bool = False) -> list[Locality]:
    query = select(Locality).order_by(Locality.name)
    if active_only:
        query = query.where(Locality.active.is_(True))
    return list(db.session.scalars(query))


def list_teams(*, active_only: bool = False) -> list[Team]:
    query = select(Team).join(Agency).order_by(Agency.name, Team.name)
    if active_only:
        query = query.where(Team.active.is_(True))
    return list(db.session.scalars(query))


def _store(obj: Any, apply: Callable[[], None], *, duplicate: str) -> None:
    """Apply the changes to ``obj`` and flush them in a savepoint. The database's unique indexes on the name
    (whatever its case) decide whether it is taken: a refusal undoes only the savepoint and becomes a DomainError."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            apply()
            db.session.flush()
    except IntegrityError:
        raise DomainError(duplicate, field="name") from None


def _audit(kind: str, obj: Any, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """Record the creation of ``obj`` or, for an update, only the fields that changed."""
    if before is None:
        record_event(f"{kind}_created", object_type=kind, object_id=obj.id, details=after)
        return
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if changes:
        record_event(f"{kind}_updated", object_type=kind, object_id=obj.id, details={"changes": changes})


def save_agency(
    *,
    agency: Agency | None,
    name: str,
    kind: AgencyKind,
    active: bool = True,
    safeguarding_lead_id: int | None = None,
    password_sign_in: bool = True,
    quality_lead_id: int | None | Literal["unchanged"] = "unchanged",
) -> Agency:
    """Create (agency=None) or update an agency, with its named safeguarding lead (an active user, any role, or
    None) and whether its staff may sign in with a password (issue 16). Raises DomainError when the name is taken
    or the lead is not an active user. Issue 17: its quality lead (an active user, any role, or None), who
    records the agency's single-agency audit returns; left as it is unless given."""
    name = name.strip()
    lead = db.session.get(User, safeguarding_lead_id) if safeguarding_lead_id is not None else None
    if safeguarding_lead_id is not None and (lead is None or not lead.active):
        raise DomainError("Select the safeguarding lead from the list", field="safeguarding_lead_id")
    kept = agency.quality_lead_id if agency else None
    quality_id = kept if isinstance(quality_lead_id, str) else quality_lead_id
    quality = db.session.get(User, quality_id) if quality_id is not None else None
    if quality_id is not None and quality_id != kept and (quality is None or not quality.active):
        raise DomainError("Select the quality lead from the list", field="quality_lead_id")
    fields = ("name", "kind", "active", "safeguarding_lead_id", "password_sign_in", "quality_lead_id")
    before = None if agency is None else {k: _plain(getattr(agency, k)) for k in fields}
    target = agency or Agency(name=name, kind=kind, active=active)

    def apply() -> None:
        target.name, target.kind, target.active = name, kind, active
        target.safeguarding_lead_id, target.password_sign_in = safeguarding_lead_id, password_sign_in
        target.quality_lead_id = quality_id

    _store(target, apply, duplicate="An agency with this name already exists")
    agency = target
    _audit("agency", agency, before, {k: _plain(getattr(agency, k)) for k in fields})
    return agency


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, AgencyKind) else value


def save_locality(*, locality: Locality | None, name: str, active: bool = True) -> Locality:
    """Create (locality=None) or update a locality. Raises DomainError when the name is taken."""
    name = name.strip()
    before = None if locality is None else {"name": locality.name, "active": locality.active}
    target = locality or Locality(name=name, active=active)

    def apply() -> None:
        target.name, target.active = name, active

    _store(target, apply, duplicate="A locality with this name already exists")
    locality = target
    _audit("locality", locality, before, {"name": name, "active": active})
    return locality


def save_team(
    *,
    team: Team | None,
    name: str,
    agency_id: int,
    locality_id: int | None,
    manager_id: int | None = None,
    active: bool = True,
) -> Team:
    """Create (team=None) or update a team. Raises DomainError for a taken name or an unknown agency."""
    name = name.strip()
    if db.session.get(Agency, agency_id) is None:
        raise DomainError("Select an agency from the list", field="agency_id")
    if locality_id is not None and db.session.get(Locality, locality_id) is None:
        raise DomainError("Select a locality from the list", field="locality_id")
    fields = ("name", "agency_id", "locality_id", "manager_id", "active")
    before = None if team is None else {f: getattr(team, f) for f in fields}
    target = team or Team(name=name, agency_id=agency_id)

    def apply() -> None:
        target.name, target.agency_id, target.locality_id = name, agency_id, locality_id
        target.manager_id, target.active = manager_id, active

    _store(target, apply, duplicate="This agency already has a team with this name")
    team = target
    _audit("team", team, before, {f: getattr(team, f) for f in fields})
    return team
