"""Reading the case population: the coordinator's filtered list, one case's page, history and export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from auditapp.domain.case_import import COLUMNS
from auditapp.domain.errors import NotFound
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import CASE_FIELDS, CaseRecord, export_generic_csv
from auditapp.models import Case, ImportBatch

_Row = TypeVarTuple("_Row")


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    locality: str | None = None
    team: str | None = None
    agency: str | None = None

    def apply(self, query: Select[*_Row]) -> Select[*_Row]:
        for column, value in (
            (Case.status, self.status),
            (Case.locality_name, self.locality),
            (Case.team_name, self.team),
            (Case.agency_name, self.agency),
        ):
            if value:
                query = query.where(column == value)
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
        "status": distinct(Case.status),
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
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def _record(row: Case) -> CaseRecord:
    return CaseRecord(**{name: getattr(row, COLUMNS[i]) for i, name in enumerate(CASE_FIELDS)})


def export_population() -> str:
    """The whole population in the generic CSV format (the same format the importer reads). Audited."""
    rows = db.session.scalars(select(Case).order_by(Case.case_ref))
    text = export_generic_csv(_record(row) for row in rows)
    record_event("cases_exported", object_type="case_population", details={"format": "generic_csv"})
    return text
