"""A corpus of bad and hostile files, generated here: each must fail with a clear message, never a traceback."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from auditapp.importers import ImportFailed, Source, parse_sources
from tests.importers.generators import (
    annex_a_workbook,
    cin_census,
    cin_child,
    cin_episode,
    csv_bytes,
    episode,
    generic_csv,
    generic_row,
    sample_census,
    ssda903_episodes,
    ssda903_header,
    workbook_bytes,
)
from tests.importers.hostile import (
    billion_laughs,
    doctype_after_short_comment,
    doctype_far_down,
    doctype_in_ebcdic,
    doctype_in_utf7,
    doctype_in_utf16,
    late_doctype,
    many_entries_zip,
    undeclared_entity,
    xlsx_with_doctype,
    xxe,
)
from tests.importers.hostile import zip_bomb as make_zip_bomb

GOOD_CSV = generic_csv([generic_row(1), generic_row(2)])


class Bad(NamedTuple):
    sources: list[Source]
    message: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None
    format: str | None = None
    max_bytes: int = 50 * 1024 * 1024


def csv_source(*rows: dict[str, object], name: str = "cases.csv") -> list[Source]:
    return [Source(name, generic_csv(rows))]


def one(name: str, data: bytes) -> list[Source]:
    return [Source(name, data)]


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def annex_with(sheet: str, rows: list[list[object]]) -> list[Source]:
    return one("annex.xlsx", workbook_bytes({sheet: rows}))


def header_903(*episodes: list[str]) -> list[Source]:
    return [Source("header.csv", ssda903_header()), Source("episodes.csv", ssda903_episodes(episodes))]


CORPUS: dict[str, Bad] = {
    # hostile XML and zip containers
    "billion_laughs": Bad(one("cin.xml", billion_laughs()), "declares a DOCTYPE or entities"),
    "xxe": Bad(one("cin.xml", xxe()), "declares a DOCTYPE or entities"),
    "doctype_after_long_comment": Bad(one("cin.xml", late_doctype()), "DOCTYPE, entities or external references"),
    "doctype_after_short_comment": Bad(one("cin.xml", doctype_after_short_comment()), "declares a DOCTYPE"),
    "doctype_far_down": Bad(one("cin.xml", doctype_far_down()), "DOCTYPE, entities or external references"),
    "doctype_in_utf16": Bad(one("cin.xml", doctype_in_utf16()), "saved as UTF-16"),
    "doctype_in_utf16_without_bom": Bad(one("cin.xml", doctype_in_utf16(bom=False)), "saved as UTF-16"),
    "doctype_in_utf7": Bad(one("cin.xml", doctype_in_utf7()), "says it is in the UTF-7 encoding"),
    "doctype_in_ebcdic": Bad(one("cin.xml", doctype_in_ebcdic()), "says it is in the cp500 encoding"),
    "undeclared_entity": Bad(one("cin.xml", undeclared_entity()), "not well formed"),
    "zip_bomb": Bad(one("cases.xlsx", make_zip_bomb()), "looks like a zip bomb"),
    "too_many_zip_entries": Bad(one("cases.xlsx", many_entries_zip()), "parts, more than the 2000 allowed"),
    "xlsx_part_with_doctype": Bad(one("cases.xlsx", xlsx_with_doctype()), "declares a DOCTYPE or entities"),
    "zip_that_is_not_a_workbook": Bad(
        one("x.zip", many_entries_zip(3).replace(b"xl/workbook.xml", b"xl/notebook.xml")), "not an Excel workbook"
    ),
    "truncated_xlsx": Bad(one("cases.xlsx", truncated(annex_a_workbook())), "damaged or incomplete"),
    "truncated_xml": Bad(one("cin.xml", truncated(sample_census())), "not well formed at line 1"),
    "oversized_file": Bad(
        one("cases.csv", GOOD_CSV), "The file is 1 KB: the largest file you can import is 1 KB", max_bytes=100
    ),
    # wrong kinds of file and encodings
    "csv_named_xlsx": Bad(one("cases.xlsx", GOOD_CSV), "name ends .xlsx but the file holds CSV text"),
    "xlsx_named_csv": Bad(one("cases.csv", annex_a_workbook()), "name ends .csv but the file holds an Excel"),
    "forced_format_does_not_match": Bad(
        one("cases.xlsx", annex_a_workbook()),
        "You chose a DfE CIN census XML file but the file holds an Excel .xlsx workbook",
        format="cin_census",
    ),
    "unknown_forced_format": Bad(one("cases.csv", GOOD_CSV), "'csv' is not a format: use one of", format="csv"),
    "old_xls": Bad(one("cases.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "old-style Excel (.xls)"),
    "pdf": Bad(one("cases.pdf", b"%PDF-1.7\n%binary"), "is a PDF document"),
    "nul_bytes": Bad(one("cases.csv", GOOD_CSV.replace(b"Worker 1", b"Work\x00er 1")), "contains NUL bytes"),
    "utf16": Bad(one("cases.csv", GOOD_CSV.decode().encode("utf-16")), "saved as UTF-16"),
    "undecodable_bytes": Bad(one("cases.csv", b"case_ref,status\r\n\x81\x8d\x8f,cin\r\n"), "not readable text"),
    "xml_that_is_not_a_census": Bad(
        one("data.xml", b"<?xml version='1.0'?><Invoice><Total>1</Total></Invoice>"),
        "not a DfE Children in Need census: it starts with <Invoice>",
    ),
    "unrecognised_csv": Bad(one("data.csv", csv_bytes(["name", "amount"], [["x", "1"]])), "was not recognised", row=1),
    "mixed_formats": Bad([Source("a.csv", GOOD_CSV), Source("b.xml", sample_census())], "different formats"),
    # empty and structural problems
    "empty_file": Bad(one("cases.csv", b""), "The file is empty"),
    "whitespace_only": Bad(one("cases.csv", b"\r\n  \r\n"), "The file is empty"),
    "header_only": Bad(one("cases.csv", generic_csv([])), "header row but no cases", row=2),
    "missing_required_column": Bad(
        one("cases.csv", csv_bytes(["case_ref", "team"], [["C1", "T"]])), "The header must include status", row=1
    ),
    "unknown_column": Bad(
        one("cases.csv", csv_bytes(["case_ref", "status", "refferal_date"], [["C1", "cin", ""]])),
        "'refferal_date' is not a column this format uses",
        row=1,
        column="refferal_date",
    ),
    "duplicate_column": Bad(
        one("cases.csv", csv_bytes(["case_ref", "status", "Status"], [["C1", "cin", "cp"]])),
        "The column 'status' appears twice",
        row=1,
    ),
    "ragged_row": Bad(
        one("cases.csv", csv_bytes(["case_ref", "status", "team"], [["C1", "cin", "T"], ["C2", "cin"]])),
        "has 2 cells but the header has 3 columns",
        row=3,
    ),
    "duplicate_ids": Bad(
        csv_source(generic_row(1), generic_row(2), generic_row(1)),
        "'C000001' is also on row 2",
        row=4,
        column="case_ref",
    ),
    "duplicate_ids_across_files": Bad([Source("a.csv", GOOD_CSV), Source("b.csv", GOOD_CSV)], "is also in a.csv"),
    "missing_case_ref": Bad(
        csv_source(generic_row(1), generic_row(2, case_ref="")), "Enter the case reference", row=3, column="case_ref"
    ),
    # bad values
    "impossible_date": Bad(
        csv_source(generic_row(1, referral_date="31/02/2024")),
        "31/02/2024 is not a real date",
        row=2,
        column="referral_date",
    ),
    "date_in_wrong_format": Bad(
        csv_source(generic_row(1, date_of_birth="March 3rd 2015")),
        "Enter a date like 2024-03-31 or 31/03/2024",
        row=2,
        column="date_of_birth",
    ),
    "implausible_year": Bad(csv_source(generic_row(1, date_of_birth="01/01/1066")), "not a plausible date", row=2),
    "end_before_start": Bad(
        csv_source(generic_row(1, cp_plan_start_date="2024-03-01", cp_plan_end_date="2024-01-01")),
        "plan end date 2024-01-01 is before",
        row=2,
        column="cp_plan_end_date",
    ),
    "unknown_status": Bad(
        csv_source(generic_row(1, status="open")),
        "'open' is not a status: use one of early_help",
        row=2,
        column="status",
    ),
    "unknown_gender": Bad(
        csv_source(generic_row(1, gender="robot")), "'robot' is not a gender", row=2, column="gender"
    ),
    "bad_yes_no": Bad(csv_source(generic_row(1, seen_alone="maybe")), "'maybe' is not yes or no", row=2),
    "negative_count": Bad(csv_source(generic_row(1, previous_cp_plans="-1")), "not a whole number of 0 or more", row=2),
    "unknown_category_of_abuse": Bad(csv_source(generic_row(1, category_of_abuse="XYZ")), "is not a category of abuse"),
    "formula_in_date_column": Bad(
        csv_source(generic_row(1, referral_date="=TODAY()")), "'=TODAY()' is not a date", row=2, column="referral_date"
    ),
    "excel_error_value": Bad(
        one("cases.xlsx", workbook_bytes({"S": [["case_ref", "status", "team"], ["C1", "cin", "#REF!"]]})),
        "#REF! is an Excel error",
        row=2,
        column="team",
        sheet="S",
    ),
    "xlsx_without_header": Bad(
        one("cases.xlsx", workbook_bytes({"Sheet1": [["a", "b"], [1, 2]]})), "No sheet has case_ref and status"
    ),
    # Annex A
    "annex_a_bad_date": Bad(
        annex_with("List 3", [["Child Unique ID", "Date of Referral"], ["A1", "sometime"]]),
        "'sometime' is not a date",
        row=2,
        column="Date of Referral",
        sheet="List 3",
    ),
    "annex_a_unknown_code": Bad(
        annex_with("List 7", [["Child Unique ID", "Gender"], ["A1", "z) Robot"]]),
        "'z) Robot' is not a gender",
        row=2,
        column="Gender",
        sheet="List 7",
    ),
    "annex_a_without_id_column": Bad(
        annex_with("List 6", [["Child", "Gender"], ["A1", "a) Male"]]), "no Child Unique ID column", sheet="List 6"
    ),
    "annex_a_missing_id": Bad(
        annex_with("List 4", [["Child Unique ID", "Gender"], [None, "a) Male"]]),
        "Enter the Child Unique ID",
        row=2,
        sheet="List 4",
    ),
    # CIN census
    "cin_duplicate_child": Bad(
        one("cin.xml", cin_census([cin_child("K1"), cin_child("K1")])),
        "child K1: the LAchildID appears twice (children number 1 and 2",
    ),
    "cin_impossible_date": Bad(
        one("cin.xml", cin_census([cin_child("K1", episodes=[cin_episode("2023-02-30")])])),
        "child K1: 2023-02-30 is not a real date",
        column="CINreferralDate",
    ),
    "cin_unknown_gender_code": Bad(
        one("cin.xml", cin_census([cin_child("K1", gender="7")])), "'7' is not a gender", column="GenderCurrent"
    ),
    "cin_child_without_id": Bad(one("cin.xml", cin_census([cin_child("")])), "child number 1: there is no LAchildID"),
    "cin_no_children": Bad(one("cin.xml", cin_census([])), "holds no children"),
    "cin_assessment_before_start": Bad(
        one("cin.xml", cin_census([cin_child("K1", episodes=[cin_episode(assessment=("2024-02-01", "2024-01-01"))])])),
        "assessment completed date 2024-01-01 is before",
    ),
    # SSDA903
    "ssda903_episodes_alone": Bad(one("episodes.csv", ssda903_episodes()), "needs the header file"),
    "ssda903_header_alone": Bad(one("header.csv", ssda903_header()), "needs the episodes file"),
    "ssda903_unknown_child": Bad(
        header_903(episode("999", "01/01/2020")),
        "CHILD 999 has an episode but is not in header.csv",
        row=2,
        column="CHILD",
    ),
    "ssda903_unknown_code": Bad(
        header_903(episode("101", "01/01/2020", rne="Q")), "'Q' is not a valid RNE code", row=2, column="RNE"
    ),
    "ssda903_ends_before_start": Bad(
        header_903(episode("101", "01/01/2020", end="01/01/2019", rec="E11")),
        "ends (01/01/2019) before it starts",
        row=2,
        column="DEC",
    ),
    "ssda903_two_episode_files": Bad(
        [
            Source("header.csv", ssda903_header()),
            Source("e1.csv", ssda903_episodes()),
            Source("e2.csv", ssda903_episodes()),
        ],
        "are SSDA903 episodes files",
    ),
}


def test_corpus_covers_at_least_25_kinds():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("case", CORPUS.values(), ids=CORPUS.keys())
def test_bad_file_fails_with_a_clear_located_message(case: Bad):
    with pytest.raises(ImportFailed) as failure:
        parse_sources(case.sources, format=case.format, max_bytes=case.max_bytes)
    issues = failure.value.issues
    assert issues, "an ImportFailed must carry at least one issue"
    matching = [issue for issue in issues if case.message in issue.message]
    assert matching, f"expected {case.message!r} in {[str(issue) for issue in issues]}"
    issue = matching[0]
    assert issue.file in {source.name for source in case.sources} | {""} or "," in issue.file
    if case.row is not None:
        assert issue.row == case.row
    if case.column is not None:
        assert issue.column == case.column
    if case.sheet is not None:
        assert issue.sheet == case.sheet
    assert "Traceback" not in str(issue)


def test_oversized_file_message_names_the_limit():
    with pytest.raises(ImportFailed) as failure:
        parse_sources([Source("cases.csv", b"x" * 3 * 1024 * 1024)], max_bytes=2 * 1024 * 1024)
    assert str(failure.value.issues[0]) == ("cases.csv: The file is 3 MB: the largest file you can import is 2 MB")


def test_unexpected_failures_still_become_import_failed(monkeypatch):
    import auditapp.importers as importers

    def explode(source, issues):
        raise RuntimeError("boom")

    monkeypatch.setitem(importers._SINGLE_FILE_PARSERS, "generic_csv", explode)
    with pytest.raises(ImportFailed) as failure:
        parse_sources([Source("cases.csv", GOOD_CSV)])
    assert "could not be read" in failure.value.issues[0].message
    assert "boom" not in str(failure.value.issues[0])


def test_garbage_collector_is_back_on_after_a_parse_good_or_bad():
    import gc

    parse_sources([Source("cases.csv", GOOD_CSV)])
    assert gc.isenabled()
    with pytest.raises(ImportFailed):
        parse_sources([Source("cin.xml", billion_laughs())])
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had switched it off keeps it off
        parse_sources([Source("cases.csv", GOOD_CSV)])
        assert not gc.isenabled()
    finally:
        gc.enable()
