"""The import's fast paths (issue 17's speed work) store and read exactly what the plain paths do."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from auditapp.domain.case_import import apply_import, plan_import
from auditapp.extensions import db
from auditapp.importers import Source, parse_sources
from auditapp.importers.generic import GenericTable
from auditapp.importers.records import CASE_FIELDS, Issues
from auditapp.models import Case
from tests.factories import case_rows, generic_csv


def _import(rows: list[dict[str, str]]) -> None:
    apply_import(plan_import([Source("cases.csv", generic_csv(rows))], max_bytes=10**7))


def test_a_column_blank_on_every_row_is_stored_as_null_and_a_later_blank_clears_a_value(actor):
    rows = case_rows(3)  # no closure date, no plan dates on any row: those columns are left out of the insert
    _import(rows)
    stored = db.session.scalars(select(Case).order_by(Case.case_ref)).all()
    assert [case.closure_date for case in stored] == [None, None, None]
    assert [case.referral_date for case in stored] == [date(2024, 1, 15)] * 3
    assert [case.source_format for case in stored] == ["generic_csv"] * 3
    assert all(case.missing_from_batch_id is None and case.team_from_mapping is False for case in stored)

    _import(case_rows(3, closure_date="2024-06-30"))
    _import(case_rows(3, closure_date=""))  # an update writes its blanks: the closure dates are cleared again
    db.session.expire_all()
    assert [case.closure_date for case in db.session.scalars(select(Case))] == [None, None, None]


def test_remembered_cells_parse_as_the_parsers_do_and_bad_cells_are_still_reported():
    header = list(CASE_FIELDS)
    good = ["R1", "cin", "Police", "North", "Team A", "W", "01/02/2015", "female", "2024-01-15", "", "", "",
            "", "", "", "", "", "", "yes", "1", ""]  # fmt: skip
    rows = [[f"R{n}", *good[1:]] for n in range(1, 4)]
    rows.append(["R4", *good[1:6], "31/02/2015", *good[7:]])  # a date its column has not seen, and not real
    rows.append(["R5", *good[1:6], "31/02/2015", *good[7:]])  # the same bad text again: not remembered
    issues = Issues()
    table = GenericTable("cases.csv", None, header, issues, serials=False)
    for number, values in enumerate(rows, start=2):
        table.add_row(number, values)
    assert [record.case_ref for record in table.records] == ["R1", "R2", "R3"]
    assert {record.date_of_birth for record in table.records} == {date(2015, 2, 1)}
    assert {record.seen_alone for record in table.records} == {True}
    assert [(issue.row, issue.column) for issue in issues.items] == [(5, "date_of_birth"), (6, "date_of_birth")]


def test_a_csv_reads_the_same_records_as_before_the_memo(actor):
    rows = case_rows(40, worker="A Worker", last_seen_date="03/04/2024")
    rows[7]["worker"] = "Someone Else"
    parsed = parse_sources([Source("cases.csv", generic_csv(rows))]).records
    assert [record.case_ref for record in parsed] == [row["case_ref"] for row in rows]
    assert parsed[7].worker == "Someone Else" and parsed[8].worker == "A Worker"
    assert {record.last_seen_date for record in parsed} == {date(2024, 4, 3)}
