"""Single-agency audit returns (issue 17): each agency's own case-file audits in a quarter, recorded by the agency's
quality lead or a QA coordinator, through the form or an uploaded sheet (``return_upload``).

Who: a QA coordinator may record any agency's return; an agency's named quality lead (any role) only their own
agency's; nobody else, and nobody whose account is inactive. Which quarters: those that have started and are not
more than two years older than the current one. Every return created or corrected writes one audit-trail row, with
the old and the new values, in the same flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter, quarters_between, return_due_date
from auditapp.domain.quarters import return_status as status
from auditapp.domain.rounds import without_nul
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Agency, AuditRound, Role, SingleAgencyReturn, User
from auditapp.models.programme import RETURN_GRADE_COLUMNS
from auditapp.models.types import utcnow
from auditapp.vocabulary import ReturnSource, ReturnStatus

MAX_AUDITED = 10_000
MAX_THEMES = 10
THEME_MAX = 120
LEARNING_MAX = 5_000
YEARS_BACK = 2  # the oldest quarter a return may be recorded for: the current one, two years before
GRADE_LABELS: dict[str, str] = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}
FIELDS = ("audited", *RETURN_GRADE_COLUMNS.values(), "themes", "key_learning")


class ReturnInvalid(DomainError):
    """Some of a return's values break the rules: ``problems`` maps each field at fault to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems.items()))
        super().__init__(first[1], field=first[0])
        self.problems = problems


class ReturnConflict(DomainError):
    """The return changed (or was recorded) since the form was opened."""


@dataclass
class ReturnValues:
    """What a return says, as entered: ``grades`` maps each grade (``RETURN_GRADE_COLUMNS`` keys) to a count."""

    audited: int | None
    grades: dict[str, int | None] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    key_learning: str = ""


# ------------------------------------------------------------------------------------------------------- who


def is_quality_lead(user: Any) -> bool:
    """Whether ``user`` is an active user named quality lead of some active agency (for the navigation)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return False
    query = select(Agency.id).where(Agency.quality_lead_id == user.id, Agency.active.is_(True)).limit(1)
    return db.session.scalar(query) is not None


def may_record_some(user: User) -> bool:
    """Whether ``user`` may record any return at all: an active QA coordinator or quality lead."""
    return bool(user.active) and (user.role == Role.QA_COORDINATOR or is_quality_lead(user))


def may_record(user: User, agency: Agency) -> bool:
    """Whether ``user`` may record ``agency``'s returns: a QA coordinator any agency's, its active quality lead
    its own (while the agency is active)."""
    if not user.active:
        return False
    if user.role == Role.QA_COORDINATOR:
        return True
    return agency.quality_lead_id == user.id and agency.active


def agencies_for(user: User) -> list[Agency]:
    """The agencies ``user`` may record returns for, by name: every active agency for a QA coordinator."""
    query = select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)
    if user.role != Role.QA_COORDINATOR:
        query = query.where(Agency.quality_lead_id == user.id)
    return list(db.session.scalars(query)) if user.active else []


# ---------------------------------------------------------------------------------------------------- quarters


def recordable_quarters(today: date) -> list[Quarter]:
    """The quarters a return may be recorded for on ``today``, newest first: today's and the eight before it."""
    current = Quarter.of(today)
    return list(reversed(quarters_between(Quarter(current.year - YEARS_BACK, current.number), current)))


def check_quarter(quarter: Quarter, today: date) -> None:
    """Raises DomainError when no return may be recorded for ``quarter`` on ``today``."""
    if quarter.start > today:
        raise DomainError(f"{quarter.label} has not started yet")
    if quarter not in recordable_quarters(today):
        raise DomainError(f"{quarter.label} is more than {YEARS_BACK} years ago")


def find_return(agency_id: int, quarter: Quarter) -> SingleAgencyReturn | None:
    return db.session.scalar(
        select(SingleAgencyReturn).where(
            SingleAgencyReturn.agency_id == agency_id,
            SingleAgencyReturn.year == quarter.year,
            SingleAgencyReturn.quarter == quarter.number,
        )
    )


@dataclass(frozen=True)
class QuarterEntry:
    quarter: Quarter
    status: ReturnStatus
    due: date
    record: SingleAgencyReturn | None


def overview(user: User, *, today: date, quarters: int = 4) -> list[tuple[Agency, list[QuarterEntry]]]:
    """The agencies ``user`` may record for, each with its returns for the last ``quarters`` quarters (today's
    first), their status and due date."""
    wanted = recordable_quarters(today)[:quarters]
    agencies = agencies_for(user)
    returns = {
        (r.agency_id, r.year, r.quarter): r
        for r in db.session.scalars(
            select(SingleAgencyReturn).where(
                SingleAgencyReturn.agency_id.in_([a.id for a in agencies]),
                SingleAgencyReturn.year >= wanted[-1].year,
            )
        )
    }
    out = []
    for agency in agencies:
        entries = []
        for quarter in wanted:
            record = returns.get((agency.id, quarter.year, quarter.number))
            state = status(quarter, received=record is not None, today=today)
            entries.append(QuarterEntry(quarter, state, return_due_date(quarter), record))
        out.append((agency, entries))
    return out


def known_themes() -> list[str]:
    """The themes of existing rounds and returns, for the form's checkboxes (at most 30, alphabetical)."""
    themes = {t.strip() for t in db.session.scalars(select(AuditRound.theme).distinct()) if t and t.strip()}
    for listed in db.session.scalars(select(SingleAgencyReturn.themes)):
        themes.update(t for t in listed or [] if t)
    return sorted(themes, key=str.casefold)[:30]


# ---------------------------------------------------------------------------------------------------- checking


def clean_themes(themes: list[str]) -> list[str]:
    """Themes stripped, blanks dropped, each once (whatever the letter case), in the order given."""
    out: list[str] = []
    seen: set[str] = set()
    for theme in themes:
        text = " ".join(without_nul(theme or "").split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


def problems_of(values: ReturnValues) -> dict[str, str]:
    """Every rule ``values`` break, by field (``audited``, a grade, ``themes``, ``key_learning``); empty when none."""
    problems: dict[str, str] = {}
    audited = values.audited
    if audited is None:
        problems["audited"] = "Enter the number of cases audited"
    elif not 0 <= audited <= MAX_AUDITED:
        problems["audited"] = f"The number of cases audited must be between 0 and {MAX_AUDITED:,}"
    graded = 0
    for grade, label in GRADE_LABELS.items():
        count = values.grades.get(grade)
        if count is None:
            problems[grade] = f"Enter the number graded {label.lower()} (0 if none)"
        elif count < 0 or count > MAX_AUDITED:
            problems[grade] = f"The number graded {label.lower()} must be between 0 and {MAX_AUDITED:,}"
        else:
            graded += count
    if audited is not None and "audited" not in problems and graded > audited and not set(GRADE_LABELS) & set(problems):
        problems["outstanding"] = (
            f"The numbers given each grade add up to {graded}, more than the {audited} cases audited"
        )
    themes = clean_themes(values.themes)
    if len(themes) > MAX_THEMES:
        problems["themes"] = f"Enter {MAX_THEMES} themes or fewer"
    elif any(len(t) > THEME_MAX for t in themes):
        problems["themes"] = f"Each theme must be {THEME_MAX} characters or fewer"
    learning = without_nul(values.key_learning or "").strip()
    if len(learning) > LEARNING_MAX:
        problems["key_learning"] = f"The key learning must be {LEARNING_MAX:,} characters or fewer"
    elif audited and not learning:
        problems["key_learning"] = "Enter the key learning from these audits"
    return problems


# ----------------------------------------------------------------------------------------------------- changes


def snapshot(record: SingleAgencyReturn) -> dict[str, Any]:
    return {name: list(getattr(record, name) or []) if name == "themes" else getattr(record, name) for name in FIELDS}


@dataclass(frozen=True)
class Recorded:
    record: SingleAgencyReturn
    created: bool
    changed: dict[str, list[Any]]  # field -> [before, after]; empty for a new return or nothing changed


def record_return(
    *,
    agency: Agency,
    quarter: Quarter,
    values: ReturnValues,
    user: User,
    source: ReturnSource,
    today: date,
    version: int | None,
    check_version: bool = True,
) -> Recorded:
    """Record ``agency``'s return for ``quarter``, or correct the one there is.

    ``version`` is the version of the return the form was opened on (None: there was none); with
    ``check_version`` a return recorded or changed since then raises ReturnConflict and changes nothing (an upload
    passes False: the sheet corrects what is there). Raises DomainError when ``user`` may not record for the agency
    or the quarter is not open, ReturnInvalid naming every field at fault. Audited (one row per change)."""
    if not may_record(user, agency):
        raise DomainError(f"You cannot record returns for {agency.name}")
    check_quarter(quarter, today)
    problems = problems_of(values)
    if problems:
        raise ReturnInvalid(problems)
    existing = find_return(agency.id, quarter)
    if check_version and (existing.version if existing else None) != version:
        raise ReturnConflict(_conflict_message(existing, quarter))
    new = {
        "audited": values.audited,
        **{column: values.grades[grade] for grade, column in RETURN_GRADE_COLUMNS.items()},
        "themes": clean_themes(values.themes),
        "key_learning": without_nul(values.key_learning or "").strip(),
    }
    if existing is None:
        return _create(agency, quarter, new, user=user, source=source)
    return _correct(existing, quarter, new, user=user, source=source)


def _conflict_message(existing: SingleAgencyReturn | None, quarter: Quarter) -> str:
    if existing is None:
        return f"The return for {quarter.label} was removed since you opened this page: check it and try again"
    return (
        f"Someone else recorded or changed the return for {quarter.label} since you opened this page. "
        "The page now shows their return; your answers are below it: enter them again if they are still right"
    )


def _create(agency: Agency, quarter: Quarter, new: dict[str, Any], *, user: User, source: ReturnSource) -> Recorded:
    record = SingleAgencyReturn(
        agency_id=agency.id,
        year=quarter.year,
        quarter=quarter.number,
        source=source.value,
        submitted_by_id=user.id,
        submitted_at=utcnow(),
        **new,
    )
    try:
        with db.session.begin_nested():  # recorded by someone else a moment ago: a conflict, not a 500
            db.session.add(record)
    except IntegrityError:
        raise ReturnConflict(_conflict_message(find_return(agency.id, quarter), quarter)) from None
    record_event(
        "single_agency_return_recorded",
        object_type="single_agency_return",
        object_id=record.id,
        details={"agency": agency.name, "quarter": quarter.key, "source": source.value, "old": None, "new": new},
    )
    return Recorded(record, True, {})


def _correct(
    record: SingleAgencyReturn, quarter: Quarter, new: dict[str, Any], *, user: User, source: ReturnSource
) -> Recorded:
    before = snapshot(record)
    changed = {name: [before[name], new[name]] for name in FIELDS if before[name] != new[name]}
    if not changed:
        return Recorded(record, False, {})
    for name, value in new.items():
        setattr(record, name, value)
    record.source, record.updated_by_id, record.updated_at = source.value, user.id, utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()  # the version column: a concurrent change makes this update match nothing
    except StaleDataError:
        raise ReturnConflict(_conflict_message(record, quarter)) from None
    record_event(
        "single_agency_return_corrected",
        object_type="single_agency_return",
        object_id=record.id,
        details={
            "agency": record.agency.name,
            "quarter": quarter.key,
            "source": source.value,
            "changed": changed,
            "old": before,
            "new": new,
        },
    )
    return Recorded(record, False, changed)
