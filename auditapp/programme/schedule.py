"""The year's audit schedule (issue 17): the multi-agency rounds the QA coordinator plans for a financial year,
month by month, and the round that carries each one out.

A planned round is added, changed, linked to the round that carries it out and dropped (with a reason) here, each
change with its audit-trail row in the same flush. Linking is explicit: creating a round changes no plan; the
schedule only *suggests* an unlinked round with the same theme created in the planned month. Where a planned round
stands (planned, started, done, late, dropped) is :func:`auditapp.programme.schedule_status.planned_status`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter, uk_date
from auditapp.domain.rounds import without_nul
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Agency, AuditRound, PlannedRound, PublishedReport
from auditapp.models.finding import ReportWithdrawal
from auditapp.models.types import utcnow
from auditapp.programme.schedule_status import planned_status
from auditapp.vocabulary import PlannedStatus

THEME_MAX = 120
NOTE_MAX = 2000
REASON_MAX = 2000


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def year_months(year: int) -> list[date]:
    """The twelve months (their first days) of the financial year starting in April of ``year``."""
    return [date(year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def year_of(month: date) -> int:
    """The financial year (its starting year) a month falls in."""
    return Quarter.of(month).year


def planned_in_year(year: int) -> list[PlannedRound]:
    """The planned rounds of the financial year starting in April of ``year``, dropped ones included, by month."""
    months = year_months(year)
    return list(
        db.session.scalars(
            select(PlannedRound)
            .where(PlannedRound.month >= months[0], PlannedRound.month <= months[-1])
            .order_by(PlannedRound.month, PlannedRound.id)
        )
    )


def planned_years() -> list[int]:
    """Every financial year that has a planned round, oldest first."""
    return sorted({year_of(m) for m in db.session.scalars(select(PlannedRound.month).distinct())})


# ----------------------------------------------------------------------------------------------------- checking


def _clean_text(text: str | None) -> str:
    return without_nul(text or "").strip()


def _check(*, month: date | None, theme: str, agencies: list[str], note: str, known: set[str]) -> None:
    if month is None:
        raise DomainError("Select the month the round is to start in", field="month")
    if not theme:
        raise DomainError("Enter the theme of the round", field="theme")
    if len(theme) > THEME_MAX:
        raise DomainError(f"The theme must be {THEME_MAX} characters or fewer", field="theme")
    if not agencies:
        raise DomainError("Select at least one agency", field="agencies")
    unknown = sorted(set(agencies) - known)
    if unknown:
        raise DomainError(
            f"Select agencies shown in the list: {', '.join(unknown)} is not one of them", field="agencies"
        )
    if len(note) > NOTE_MAX:
        raise DomainError(f"The note must be {NOTE_MAX} characters or fewer", field="note")


def _active_agency_names() -> set[str]:
    return set(db.session.scalars(select(Agency.name).where(Agency.active.is_(True))))


def _ensure_not_dropped(planned: PlannedRound) -> None:
    if planned.dropped_at is not None:
        raise DomainError(
            f"This planned round was dropped on {uk_date(planned.dropped_at):%-d %B %Y}, so it can no longer change"
        )


def _snapshot(planned: PlannedRound) -> dict[str, Any]:
    return {
        "month": planned.month.isoformat(),
        "theme": planned.theme,
        "agencies": list(planned.agencies or []),
        "note": planned.note,
    }


# ----------------------------------------------------------------------------------------------------- changes


def add_planned_round(
    *, month: date | None, theme: str, agencies: list[str], note: str | None, created_by_id: int | None
) -> PlannedRound:
    """Plan a round: its month (any day of it; stored as the first), theme, agencies (active agencies' names, at
    least one) and an optional note. Raises DomainError naming the field at fault. Audited."""
    theme, note_text = _clean_text(theme), _clean_text(note)
    agencies = sorted({without_nul(a) for a in agencies})
    _check(month=month, theme=theme, agencies=agencies, note=note_text, known=_active_agency_names())
    assert month is not None  # checked above
    planned = PlannedRound(
        month=first_of_month(month),
        theme=theme,
        agencies=agencies,
        note=note_text or None,
        created_by_id=created_by_id,
    )
    db.session.add(planned)
    db.session.flush()
    record_event("planned_round_added", object_type="planned_round", object_id=planned.id, details=_snapshot(planned))
    return planned


def change_planned_round(
    planned: PlannedRound, *, month: date | None, theme: str, agencies: list[str], note: str | None
) -> dict[str, list[Any]]:
    """Change a planned round's month, theme, agencies or note. Returns {field: [before, after]} for what changed
    (empty: nothing changed, nothing recorded). Agencies it holds already stay allowed, even if since made
    inactive. Raises DomainError when it was dropped, or naming the field at fault. Audited."""
    _ensure_not_dropped(planned)
    theme, note_text = _clean_text(theme), _clean_text(note)
    agencies = sorted({without_nul(a) for a in agencies})
    known = _active_agency_names() | set(planned.agencies or [])
    _check(month=month, theme=theme, agencies=agencies, note=note_text, known=known)
    assert month is not None
    before = _snapshot(planned)
    planned.month, planned.theme, planned.agencies = first_of_month(month), theme, agencies
    planned.note = note_text or None
    db.session.flush()
    after = _snapshot(planned)
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record_event(
            "planned_round_changed", object_type="planned_round", object_id=planned.id, details={"changed": changed}
        )
    return changed


def drop_planned_round(planned: PlannedRound, *, reason: str) -> None:
    """Take a planned round out of the plan, with a reason (kept, shown as dropped). A linked round stays as it
    is. Raises DomainError when the reason is blank or it was dropped already. Audited."""
    _ensure_not_dropped(planned)
    reason = _clean_text(reason)
    if not reason:
        raise DomainError("Enter why the planned round is being dropped", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"The reason must be {REASON_MAX} characters or fewer", field="reason")
    planned.dropped_at, planned.dropped_reason = utcnow(), reason
    db.session.flush()
    record_event(
        "planned_round_dropped",
        object_type="planned_round",
        object_id=planned.id,
        details={"theme": planned.theme, "month": planned.month.isoformat(), "reason": reason},
    )


def link_candidates(planned: PlannedRound) -> list[AuditRound]:
    """The rounds that may carry out ``planned``: not cancelled and not linked to another planned round; first
    those with its theme (whatever the letter case) created in its month, then the rest, newest first."""
    taken = select(PlannedRound.round_id).where(PlannedRound.round_id.is_not(None), PlannedRound.id != planned.id)
    rounds = list(
        db.session.scalars(
            select(AuditRound)
            .where(AuditRound.cancelled_at.is_(None), AuditRound.id.not_in(taken))
            .order_by(AuditRound.created_at.desc(), AuditRound.id.desc())
        )
    )
    return sorted(rounds, key=lambda r: not matches(planned, r))  # a stable sort keeps newest first in each part


def matches(planned: PlannedRound, audit_round: AuditRound) -> bool:
    """Whether ``audit_round`` has the planned round's theme (whatever the case) and was created in its month."""
    theme = (audit_round.theme or "").strip().casefold()
    return theme == planned.theme.strip().casefold() and first_of_month(_created_on(audit_round)) == planned.month


def _created_on(audit_round: AuditRound) -> date:
    return uk_date(audit_round.created_at)


def link_planned_round(planned: PlannedRound, *, round_id: int | None) -> bool:
    """Link the round (by id) that carries out ``planned``; it may replace an earlier link. Returns False when it
    was linked to that round already (nothing recorded). Raises DomainError (field ``round_id``) when the round
    does not exist, is cancelled or carries out another planned round, or when the planned round was dropped.
    Audited."""
    _ensure_not_dropped(planned)
    audit_round = db.session.get(AuditRound, round_id) if round_id is not None else None
    if audit_round is None:
        raise DomainError("Select the round that carries out this planned round", field="round_id")
    if audit_round.cancelled_at is not None:
        raise DomainError(f"Round '{audit_round.name}' was cancelled: select another round", field="round_id")
    if planned.round_id == audit_round.id:
        return False
    other = db.session.scalar(select(PlannedRound).where(PlannedRound.round_id == audit_round.id))
    taken = DomainError(
        f"Round '{audit_round.name}' already carries out another planned round: select another round",
        field="round_id",
    )
    if other is not None:
        raise taken
    before = planned.round_id
    try:
        with db.session.begin_nested():  # the unique index decides a race between two coordinators
            planned.round_id = audit_round.id
            db.session.flush()
    except IntegrityError:
        raise taken from None
    record_event(
        "planned_round_linked",
        object_type="planned_round",
        object_id=planned.id,
        details={"round_id": audit_round.id, "round_name": audit_round.name, "previous_round_id": before},
    )
    return True


# ----------------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ScheduleEntry:
    """A planned round as the schedule shows it: where it stands, the round that carries it out and, for an
    unlinked one, a round that looks like it (same theme, created in its month)."""

    planned: PlannedRound
    status: PlannedStatus
    audit_round: AuditRound | None
    suggested: AuditRound | None

    @property
    def dropped_on(self) -> date | None:
        """The date in England it was dropped on."""
        return uk_date(self.planned.dropped_at) if self.planned.dropped_at else None


def fully_published_round_ids(round_ids: Iterable[int]) -> set[int]:
    """Of ``round_ids``, the rounds whose current report (newest version, not withdrawn) is a full report."""
    ids = set(round_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        select(PublishedReport.round_id, PublishedReport.version, PublishedReport.interim, ReportWithdrawal.id)
        .outerjoin(ReportWithdrawal, ReportWithdrawal.report_id == PublishedReport.id)
        .where(PublishedReport.round_id.in_(ids))
    ).all()
    newest: dict[int, tuple[int, bool]] = {}
    for round_id, version, interim, withdrawal_id in rows:
        if round_id not in newest or version > newest[round_id][0]:
            newest[round_id] = (version, not interim and withdrawal_id is None)
    return {round_id for round_id, (_, full) in newest.items() if full}


def status_of(planned: PlannedRound, *, today: date, fully_published: set[int] | None = None) -> PlannedStatus:
    """Where ``planned`` stands on ``today`` (``fully_published``: the rounds known to be, else looked up)."""
    audit_round = planned.audit_round
    if fully_published is None:
        fully_published = fully_published_round_ids([audit_round.id] if audit_round else [])
    return planned_status(
        month=planned.month,
        today=today,
        dropped=planned.dropped_at is not None,
        round_drawn=audit_round is not None and audit_round.drawn_at is not None,
        round_cancelled=audit_round is not None and audit_round.cancelled_at is not None,
        fully_published=audit_round is not None and audit_round.id in fully_published,
    )


def _suggestions(planned: list[PlannedRound]) -> dict[int, AuditRound]:
    """Planned id -> the newest unlinked, not cancelled round with its theme created in its month."""
    open_ones = [p for p in planned if p.round_id is None and p.dropped_at is None]
    if not open_ones:
        return {}
    linked = select(PlannedRound.round_id).where(PlannedRound.round_id.is_not(None))
    rounds = list(
        db.session.scalars(
            select(AuditRound)
            .where(AuditRound.cancelled_at.is_(None), AuditRound.theme.is_not(None), AuditRound.id.not_in(linked))
            .order_by(AuditRound.created_at.desc(), AuditRound.id.desc())
        )
    )
    found: dict[int, AuditRound] = {}
    for p in open_ones:
        match = next((r for r in rounds if matches(p, r)), None)
        if match is not None:
            found[p.id] = match
    return found


def schedule(year: int, *, today: date | None = None) -> list[ScheduleEntry]:
    """The financial year's planned rounds (starting in April of ``year``), month by month, with their status."""
    today = today or uk_date(utcnow())
    planned = planned_in_year(year)
    published = fully_published_round_ids(p.round_id for p in planned if p.round_id is not None)
    suggested = _suggestions(planned)
    return [
        ScheduleEntry(
            planned=p,
            status=status_of(p, today=today, fully_published=published),
            audit_round=p.audit_round,
            suggested=suggested.get(p.id),
        )
        for p in planned
    ]
