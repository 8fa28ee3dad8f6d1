"""Reading the case population: the coordinator's filtered list, one case's page, history and export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from auditapp.domain.case_import import COLUMNS
from auditapp.domain.errors import NotFound
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import CASE_FIELDS, CaseRecord, export_generic_csv
from auditapp.models import STATUS_LABELS, Case, ImportBatch

_Row = TypeVarTuple("_Row")


# The case's fields as the coordinator reads them (the import check lists the fields that change).
FIELD_LABELS = {
    "case_ref": "case reference", "status": "status", "agency_name": "agency", "locality_name": "locality",
    "team_name": "team", "worker": "worker", "date_of_birth": "date of birth", "gender": "gender",
    "referral_date": "referral date", "assessment_start_date": "assessment start",
    "assessment_completed_date": "assessment completed", "s47_start_date": "section 47 enquiry start",
    "icpc_date": "initial child protection conference", "cp_plan_start_date": "child protection plan start",
    "cp_plan_end_date": "child protection plan end", "looked_after_start_date": "looked after since",
    "closure_date": "closure date", "last_seen_date": "last seen", "seen_alone": "seen alone",
    "previous_cp_plans": "previous child protection plans", "category_of_abuse": "category of abuse",
}  # fmt: skip
MAX_FILTER = 120
RETURN_FILTERS = {"in": "In the latest return", "out": "Not in the latest return"}


def _clean(value: object) -> str | None:
    """A filter value as given in the address: trimmed, without NUL characters (PostgreSQL refuses them) and no
    longer than any stored name, or None when blank."""
    text = str(value or "").replace("\x00", "").strip()[:MAX_FILTER]
    return text or None


@dataclass(frozen=True)
class CaseFilter:
    """The case list's search and filters. ``ref`` and ``worker`` match part of the value, ignoring letter case;
    the others match exactly; ``in_return`` is "in" or "out" (see RETURN_FILTERS)."""

    status: str | None = None
    locality: str | None = None
    team: str | None = None
    agency: str | None = None
    ref: str | None = None
    worker: str | None = None
    in_return: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, object]) -> CaseFilter:
        """The filter from a request's query arguments, cleaned; unknown values of ``in_return`` are dropped."""
        values = {name: _clean(args.get(name)) for name in cls.__dataclass_fields__}
        if values["in_return"] not in RETURN_FILTERS:
            values["in_return"] = None
        return cls(**values)

    @property
    def active(self) -> bool:
        return any(vars(self).values())

    def chosen(self) -> dict[str, str]:
        """The filters set, by name (the query arguments that give this filter again)."""
        return {name: value for name, value in vars(self).items() if value}

    def apply(self, query: Select[*_Row]) -> Select[*_Row]:
        for column, value in (
            (Case.status, self.status),
            (Case.locality_name, self.locality),
            (Case.team_name, self.team),
            (Case.agency_name, self.agency),
        ):
            if value:
                query = query.where(column == value)
        for column, value in ((Case.case_ref, self.ref), (Case.worker, self.worker)):
            if value:
                query = query.where(func.lower(column).contains(value.lower(), autoescape=True))
        if self.in_return == "in":
            query = query.where(Case.missing_from_batch_id.is_(None))
        elif self.in_return == "out":
            query = query.where(Case.missing_from_batch_id.is_not(None))
        return query


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_cases(*, filters: CaseFilter, page: int = 1, per_page: int = 50) -> CasePage:
    """One page of cases matching ``filters``, ordered by case reference."""
    total = db.session.scalar(filters.apply(select(func.count(Case.id)))) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    query = filters.apply(select(Case)).order_by(Case.case_ref).limit(per_page).offset((page - 1) * per_page)
    cases = list(db.session.scalars(query))
    record_event(
        "case_list_viewed",
        object_type="case_population",
        details={
            "filters": {k: v for k, v in vars(filters).items() if v},
            "page": page,
            "case_refs": [c.case_ref for c in cases],
        },
    )
    return CasePage(cases, total, page, per_page)


def filter_options() -> dict[str, list[str]]:
    """The values present in the population, for the filter drop-downs."""

    def distinct(column: InstrumentedAttribute[str | None]) -> list[str]:
        return [v for v in db.session.scalars(select(column).distinct().order_by(column)) if v]

    return {
        "status": [s for s in STATUS_LABELS if s in set(distinct(Case.status))],
        "locality": distinct(Case.locality_name),
        "team": distinct(Case.team_name),
        "agency": distinct(Case.agency_name),
    }


def view_case(*, case_id: int) -> Case:
    """Load a case for display and record that it was viewed (every view of a child's record is audited)."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("Case not found")
    record_event("case_viewed", object_type="case", object_id=case.id, details={"case_ref": case.case_ref})
    return case


def import_history(*, limit: int = 50) -> list[ImportBatch]:
    """The latest imports, newest first."""
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def _record(row: Case) -> CaseRecord:
    return CaseRecord(**{name: getattr(row, COLUMNS[i]) for i, name in enumerate(CASE_FIELDS)})


def export_population() -> str:
    """The whole population in the generic CSV format (the same format the importer reads). Audited."""
    rows = db.session.scalars(select(Case).order_by(Case.case_ref))
    text = export_generic_csv(_record(row) for row in rows)
    record_event("cases_exported", object_type="case_population", details={"format": "generic_csv"})
    return text
