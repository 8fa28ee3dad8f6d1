"""Export to the generic CSV and import again gives the same records; formula-looking text is neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from auditapp.importers import CASE_FIELDS, CaseRecord, Source, export_generic_csv, parse_sources
from tests.importers.generators import annex_a_workbook, sample_census, ssda903_episodes, ssda903_header

TRICKY = [
    "=SUM(A1:A9)",
    "+44 20 7946 0000",
    "-minus",
    "@mention",
    "'=already quoted",
    "''=twice",
    "'plain",
    "O'Brien",
    "Team, with comma",
    'Team "quoted"',
    "Zoë",
]


def full_record(index: int, text: str) -> CaseRecord:
    return CaseRecord(
        case_ref=f"R{index}",
        status="cp",
        agency="Police",
        locality=text,
        team=text,
        worker=text,
        date_of_birth=date(2015, 1, 2),
        gender="other",
        referral_date=date(2023, 1, 1),
        assessment_start_date=date(2023, 1, 2),
        assessment_completed_date=date(2023, 2, 1),
        s47_start_date=date(2023, 1, 3),
        icpc_date=date(2023, 1, 20),
        cp_plan_start_date=date(2023, 1, 20),
        cp_plan_end_date=None,
        looked_after_start_date=None,
        closure_date=None,
        last_seen_date=date(2024, 1, 1),
        seen_alone=False,
        previous_cp_plans=3,
        category_of_abuse="multiple",
    )


def test_export_then_import_gives_the_same_records():
    records = [full_record(index, text) for index, text in enumerate(TRICKY)]
    records.append(CaseRecord(case_ref="MIN", status="closed"))
    exported = export_generic_csv(records)
    result = parse_sources([Source("export.csv", exported.encode())])
    assert result.records == records


@pytest.mark.parametrize("data", [annex_a_workbook(), sample_census()], ids=["annex_a", "cin_census"])
def test_imported_la_files_round_trip_through_the_generic_format(data):
    records = parse_sources([Source("in", data)]).records
    assert parse_sources([Source("out.csv", export_generic_csv(records).encode())]).records == records


def test_ssda903_round_trips_through_the_generic_format():
    records = parse_sources([Source("h.csv", ssda903_header()), Source("e.csv", ssda903_episodes())]).records
    assert parse_sources([Source("out.csv", export_generic_csv(records).encode())]).records == records


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas():
    exported = export_generic_csv([full_record(1, '=HYPERLINK("http://x")')])
    header, row = list(csv.reader(io.StringIO(exported)))
    assert header == list(CASE_FIELDS)
    assert row[CASE_FIELDS.index("team")] == '\'=HYPERLINK("http://x")'
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)
