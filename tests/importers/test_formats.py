"""Each import format reads from generated files into the expected case records."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from auditapp.importers import CASE_FIELDS, ImportFailed, ImportIssue, Source, parse_sources
from tests.importers.generators import (
    annex_a_workbook,
    cin_census,
    cin_child,
    cin_episode,
    csv_bytes,
    generic_csv,
    generic_row,
    sample_census,
    ssda903_episodes,
    ssda903_header,
    ssda903_reviews,
    workbook_bytes,
)


def by_ref(result):
    return {record.case_ref: record for record in result.records}


def test_generic_csv_reads_every_column():
    result = parse_sources([Source("cases.csv", generic_csv([generic_row(1), generic_row(2, status="CP")]))])
    assert result.format == "generic_csv"
    assert result.files == ["cases.csv"]
    first = by_ref(result)["C000001"]
    assert first.status == "cp"
    assert first.referral_date == date(2024, 2, 1)
    assert first.assessment_start_date == date(2024, 2, 2)
    assert first.seen_alone is True
    assert first.previous_cp_plans == 0
    assert first.gender == "female"
    assert by_ref(result)["C000002"].status == "cp"


def test_generic_header_ignores_case_spaces_and_punctuation():
    data = csv_bytes(["Case Ref", "STATUS", "Date-of-Birth", " Team "], [["R1", "Looked after", "31/03/2015", "T"]])
    record = parse_sources([Source("x.csv", data)]).records[0]
    assert (record.case_ref, record.status, record.date_of_birth, record.team) == (
        "R1",
        "looked_after",
        date(2015, 3, 31),
        "T",
    )


def test_generic_csv_never_reads_names_addresses_or_identifiers():
    header = ["case_ref", "status", "First Name", "Surname", "Address line 1", "Postcode", "UPN", "NHS Number"]
    data = csv_bytes(header, [["R1", "cin", "Amelia", "Smith", "1 High St", "AB1 2CD", "A123", "9434765919"]])
    record = parse_sources([Source("x.csv", data)]).records[0]
    values = {str(getattr(record, name)) for name in CASE_FIELDS}
    assert not values & {"Amelia", "Smith", "1 High St", "AB1 2CD", "A123", "9434765919"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_generic_csv_accepts_utf8_with_or_without_bom_and_windows_1252(encoding):
    data = generic_csv([generic_row(1, worker="Zoë Brontë")], encoding=encoding)
    assert parse_sources([Source("x.csv", data)]).records[0].worker == "Zoë Brontë"


def test_format_is_detected_from_content_not_the_file_name():
    assert parse_sources([Source("upload", generic_csv([generic_row(1)]))]).format == "generic_csv"
    assert parse_sources([Source("upload.dat", sample_census())]).format == "cin_census"


def test_generic_xlsx_reads_date_cells_serials_and_text():
    data = workbook_bytes({"Cases": [
        ["case_ref", "status", "date_of_birth", "referral_date", "closure_date", "team"],
        ["R1", "closed", date(2015, 3, 31), 45000, "2024-01-02", "=HYPERLINK(\"x\")"],
    ]})  # fmt: skip
    result = parse_sources([Source("cases.xlsx", data)])
    record = result.records[0]
    assert result.format == "generic_xlsx"
    assert record.date_of_birth == date(2015, 3, 31)
    assert record.referral_date == date(2023, 3, 15)
    assert record.team == '=HYPERLINK("x")'  # kept as text, never evaluated


def test_annex_a_lists_merge_into_one_case_per_child():
    result = parse_sources([Source("annex_a.xlsx", annex_a_workbook())])
    cases = by_ref(result)
    assert result.format == "annex_a"
    assert set(cases) == {"A1", "A2", "A3", "A4", "A5", "A6", "A7"}  # List 1 contacts are not cases
    assert {ref: case.status for ref, case in cases.items()} == {
        "A1": "cin", "A2": "cp", "A3": "looked_after", "A4": "closed", "A5": "care_leaver", "A6": "early_help",
        "A7": "closed",
    }  # fmt: skip
    a1 = cases["A1"]
    assert a1.referral_date == date(2023, 9, 16)  # the later of the two referrals
    assert a1.date_of_birth == date(2023, 3, 15)  # from an Excel serial
    assert a1.worker == "Dustin Hazlett"  # non-breaking space normalised
    assert a1.gender == "male"
    a2 = cases["A2"]
    assert (a2.team, a2.worker) == ("Locality 2 CP Team", "Priya Shah")
    assert (a2.assessment_start_date, a2.s47_start_date, a2.icpc_date, a2.cp_plan_start_date) == (
        date(2023, 5, 1),
        date(2023, 6, 2),
        date(2023, 6, 20),
        date(2023, 6, 21),
    )
    assert (a2.category_of_abuse, a2.seen_alone, a2.previous_cp_plans) == ("neglect", True, 1)
    assert cases["A3"].looked_after_start_date == date(2021, 1, 1)
    assert cases["A4"].closure_date == date(2023, 2, 1)
    assert cases["A4"].gender == "unknown"
    assert all(case.agency == "Children's social care" for case in cases.values())


@pytest.mark.parametrize("gender_tag", ["GenderCurrent", "Sex"])
def test_cin_census_reads_both_schemas(gender_tag):
    result = parse_sources([Source("cin.xml", sample_census(gender_tag))])
    cases = by_ref(result)
    assert result.format == "cin_census"
    assert {ref: case.status for ref, case in cases.items()} == {"K1": "cin", "K2": "cp", "K3": "closed", "K4": "cin"}
    assert cases["K1"].assessment_completed_date == date(2023, 5, 1)
    assert (cases["K2"].gender, cases["K2"].category_of_abuse, cases["K2"].previous_cp_plans) == (
        "female",
        "emotional",
        2,
    )
    assert (cases["K2"].s47_start_date, cases["K2"].icpc_date) == (date(2023, 4, 3), date(2023, 4, 20))
    assert cases["K4"].referral_date == date(2023, 9, 1)  # the latest episode
    assert cases["K3"].gender == "unknown"


def test_cin_census_never_keeps_the_upn():
    record = parse_sources([Source("cin.xml", sample_census())]).records[0]
    assert "A123456789012" not in {str(getattr(record, name)) for name in CASE_FIELDS}


def test_cin_census_with_namespace_is_read():
    data = sample_census().replace(b"<Message>", b'<Message xmlns="http://www.dcsf.gov.uk/schemas/cbds">')
    assert len(parse_sources([Source("cin.xml", data)]).records) == 4


def test_ssda903_header_and_episodes_make_looked_after_cases():
    result = parse_sources([Source("header.csv", ssda903_header()), Source("episodes.csv", ssda903_episodes())])
    cases = by_ref(result)
    assert result.format == "ssda903"
    assert set(cases) == {"101", "102"}  # 103 has no episodes: not looked after this year
    assert cases["101"].status == "looked_after"
    assert cases["101"].looked_after_start_date == date(2016, 2, 15)
    assert (cases["101"].gender, cases["101"].date_of_birth) == ("male", date(2008, 3, 27))
    assert (cases["102"].status, cases["102"].closure_date) == ("closed", date(2017, 5, 9))


def test_ssda903_folder_skips_other_files_of_the_return():
    sources = [
        Source("reviews.csv", ssda903_reviews()),
        Source("episodes.csv", ssda903_episodes()),
        Source("missing.csv", csv_bytes(["CHILD", "DOB", "MISSING"], [["101", "27/03/2008", "M"]])),
        Source("header.csv", ssda903_header()),
    ]
    result = parse_sources(sources)
    assert result.files == ["header.csv", "episodes.csv"]
    assert result.skipped == ["reviews.csv", "missing.csv"]


def test_cases_from_two_generic_files_are_combined():
    result = parse_sources(
        [Source("a.csv", generic_csv([generic_row(1)])), Source("b.csv", generic_csv([generic_row(2)]))]
    )
    assert [record.case_ref for record in result.records] == ["C000001", "C000002"]


def test_every_error_in_a_file_is_reported_not_only_the_first():
    rows = [generic_row(1, referral_date="31/02/2024"), generic_row(2, status="open"), generic_row(3, gender="robot")]
    with pytest.raises(ImportFailed) as failure:
        parse_sources([Source("cases.csv", generic_csv(rows))])
    assert [(issue.row, issue.column) for issue in failure.value.issues] == [
        (2, "referral_date"),
        (3, "status"),
        (4, "gender"),
    ]
    assert str(failure.value) == "3 problems found in cases.csv"


def test_reading_stops_after_the_issue_limit_and_says_so():
    rows = [generic_row(index, status="open") for index in range(800)]
    with pytest.raises(ImportFailed) as failure:
        parse_sources([Source("cases.csv", generic_csv(rows))])
    assert len(failure.value.issues) == 500
    assert str(failure.value).startswith("At least 500 problems found in cases.csv")


def test_issue_reads_as_a_sentence():
    issue = ImportIssue("cases.csv", None, 14, "referral_date", "31/02/2024 is not a real date")
    assert str(issue) == "cases.csv, row 14, column 'referral_date': 31/02/2024 is not a real date"
    sheet_issue = dataclasses.replace(issue, sheet="List 3")
    assert str(sheet_issue).startswith("cases.csv, sheet 'List 3', row 14")


def test_cin_census_of_many_children_is_streamed():
    children = [cin_child(f"K{index}", episodes=[cin_episode()]) for index in range(2000)]
    assert len(parse_sources([Source("cin.xml", cin_census(children))]).records) == 2000


@pytest.mark.parametrize(
    "sources",
    [
        [Source("annex.xlsx", annex_a_workbook())],
        [Source("cin.xml", sample_census())],
        [Source("header.csv", ssda903_header()), Source("episodes.csv", ssda903_episodes())],
    ],
    ids=["annex_a", "cin_census", "ssda903"],
)
def test_postcodes_and_pupil_numbers_in_la_files_are_never_kept(sources):
    personal = {"AB1 2CD", "EF3 4GH", "A123456789012", "A123456789013", "SC123456"}
    for record in parse_sources(sources).records:
        assert not {str(getattr(record, name)) for name in CASE_FIELDS} & personal


def test_a_format_can_be_forced():
    data = generic_csv([generic_row(1)])
    assert parse_sources([Source("cases.txt", data)], format="generic_csv").format == "generic_csv"
