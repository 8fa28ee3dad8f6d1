"""Small generators of files in each import format, good and hostile, so tests never need outside data.

They follow the real formats (Ofsted Annex A, DfE CIN census, SSDA903) closely enough to exercise the
quirks the importers handle: serial dates, coded values, #N/A, non-breaking spaces, varying names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook

from auditapp.importers.records import CASE_FIELDS

NBSP = "\xa0"


# Generic CSV / XLSX ---------------------------------------------------------------------------------------


def generic_row(index: int, **overrides: object) -> dict[str, object]:
    """A complete, valid generic row; override any column by keyword."""
    row: dict[str, object] = {
        "case_ref": f"C{index:06d}", "status": ("cin", "cp", "looked_after", "early_help")[index % 4],
        "agency": "Children's social care", "locality": f"Locality {index % 3 + 1}",
        "team": f"Team {index % 7}", "worker": f"Worker {index % 50}", "date_of_birth": "2015-04-01",
        "gender": ("male", "female", "unknown")[index % 3], "referral_date": "01/02/2024",
        "assessment_start_date": "2024-02-02", "assessment_completed_date": "2024-03-15", "s47_start_date": "",
        "icpc_date": "", "cp_plan_start_date": "", "cp_plan_end_date": "", "looked_after_start_date": "",
        "closure_date": "", "last_seen_date": "2024-03-20", "seen_alone": "yes", "previous_cp_plans": "0",
        "category_of_abuse": "",
    }  # fmt: skip
    row.update(overrides)
    return row


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, encoding: str = "utf-8") -> bytes:
    """CSV text of a header and rows, encoded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def generic_csv(
    rows: Iterable[dict[str, object]], *, header: Sequence[str] = CASE_FIELDS, encoding: str = "utf-8"
) -> bytes:
    """A generic CSV file from row dicts (missing keys are blank)."""
    keys = [name.strip().lower().replace(" ", "_") for name in header]
    return csv_bytes(header, ([row.get(key, "") for key in keys] for row in rows), encoding=encoding)


def workbook_bytes(sheets: dict[str, list[Sequence[object]]]) -> bytes:
    """An .xlsx workbook with one sheet per entry, rows written as given (dates become date cells)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Annex A ------------------------------------------------------------------------------------------------

COMMON_HEAD = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age"]


def annex_a_workbook() -> bytes:
    """A small Annex A workbook with authority-style variations in sheet and header names.

    Children: A1 referral only (cin); A2 on CP plan (cp); A3 looked after (looked_after); A4 CIN closed
    (closed); A5 care leaver; A6 early help only; A7 referral with no further action (closed).
    """
    serial = 45000  # 2023-03-15 as an Excel serial number
    return workbook_bytes(
        {
            "List 1": [
                COMMON_HEAD + ["Date of Contact"],
                ["X1", "a) Male", "a) WBRI", date(2015, 1, 1), 9, date(2024, 1, 1)],
            ],
            "List 2 Early help": [
                COMMON_HEAD + ["Assessment start date"],
                ["A6", "b) Female", "a) WBRI", date(2016, 1, 1), 8, date(2024, 1, 5)],
            ],
            "List_3 Referrals": [
                [
                    "CHILD UNIQUE ID",
                    "gender",
                    "Ethnicity",
                    "Date of birth",
                    "Age",
                    "Date of Referral",
                    "Referral NFA?",
                    "Allocated Team",
                    "Allocated  Worker",
                ],
                ["A1", "a) Male", "a) WBRI", serial, 7, "16/09/2023", "b) No", "Duty Team", f"Dustin{NBSP}Hazlett"],
                ["A7", "b) Female", "a) WBRI", date(2012, 2, 2), 11, "2023-10-01", "a) Yes", "Duty Team", "Ann Lee"],
                [None, None, None, None, None, None, None, None, None],
                ["A1", "a) Male", "a) WBRI", serial, 7, "01/08/2023", "b) No", "Old Team", "Old Worker"],
            ],
            "list4": [
                COMMON_HEAD
                + [
                    "Continuous Assessment Start Date",
                    "Continuous Assessment Date of Authorisation",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                [
                    "A2",
                    "b) Female",
                    "k) APKN",
                    date(2010, 5, 5),
                    13,
                    date(2023, 5, 1),
                    date(2023, 6, 1),
                    "#N/A",
                    "#N/A",
                ],
            ],
            "List 5": [
                COMMON_HEAD
                + [
                    "Strategy discussion initiating Section 47 Enquiry Start Date",
                    "Date of Initial Child Protection Conference",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                ["A2", "b) Female", "k) APKN", date(2010, 5, 5), 13, date(2023, 6, 2), date(2023, 6, 20), "", ""],
            ],
            "List 6 - CIN": [
                COMMON_HEAD
                + [
                    "CIN Start Date",
                    "Date Child Was Last Seen",
                    "CIN Closure Date",
                    "Case Status",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                [
                    "A4",
                    "c) Not stated/recorded",
                    "a) WBRI",
                    date(2011, 3, 3),
                    12,
                    date(2022, 1, 1),
                    date(2023, 1, 1),
                    date(2023, 2, 1),
                    "b) Closed",
                    "#N/A",
                    "#N/A",
                ],
            ],
            "List 7": [
                COMMON_HEAD
                + [
                    "Child Protection Plan Start Date",
                    "Latest Category of Abuse",
                    "Date of the Last Statutory Visit",
                    "Was the Child Seen Alone?",
                    "Child Protection Plan End Date",
                    "Number of Previous Child Protection Plans",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                [
                    "A2",
                    "b) Female",
                    "k) APKN",
                    date(2010, 5, 5),
                    13,
                    date(2023, 6, 21),
                    "Neglect",
                    date(2024, 1, 10),
                    "a) Yes",
                    None,
                    1,
                    f"Locality{NBSP}2 CP Team",
                    "Priya Shah",
                ],
            ],
            "List 8": [
                COMMON_HEAD
                + [
                    "Date Started to be Looked After",
                    "Date of Last Social Work Visit",
                    "Date Ceased to be Looked After",
                    "Placement postcode",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                [
                    "A3",
                    "a) Male",
                    "a) WBRI",
                    date(2009, 9, 9),
                    14,
                    44197,
                    date(2024, 2, 2),
                    None,
                    "AB1 2CD",
                    "Children in Care Team",
                    "Sam Roe",
                ],
            ],
            "List 9": [
                COMMON_HEAD + ["Allocated Team", "Allocated Worker"],
                ["A5", "a) Male", "a) WBRI", datetime(2004, 4, 4), 19, "Care Leavers Team", "Jo Bloggs"],
            ],
            "List 10": [
                COMMON_HEAD + ["Date of Placement Order"],
                ["A3", "a) Male", "a) WBRI", date(2009, 9, 9), 14, "=H2+5"],
            ],
        }
    )


# CIN census ---------------------------------------------------------------------------------------------


def cin_child(
    ref: str,
    *,
    gender: str = "1",
    gender_tag: str = "GenderCurrent",
    dob: str = "2015-03-27",
    episodes: Sequence[str] = (),
) -> str:
    """One <Child> element; `episodes` are CINdetails inner XML strings."""
    details = "".join(f"<CINdetails>{episode}</CINdetails>" for episode in episodes)
    return (
        f"<Child><ChildIdentifiers><LAchildID>{ref}</LAchildID><UPN>A123456789012</UPN>"
        f"<PersonBirthDate>{dob}</PersonBirthDate><{gender_tag}>{gender}</{gender_tag}></ChildIdentifiers>"
        f"<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>{details}</Child>"
    )


def cin_episode(
    referral: str = "2023-04-01",
    *,
    closure: str | None = None,
    assessment: tuple[str, str] | None = None,
    s47: tuple[str, str] | None = None,
    plan: tuple[str, str | None] | None = None,
    pre_proceedings: bool = False,
) -> str:
    """The inner XML of one CINdetails block."""
    parts = [
        f"<CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode>"
    ]
    if closure:
        parts.append(f"<CINclosureDate>{closure}</CINclosureDate><ReasonForClosure>RC1</ReasonForClosure>")
    if assessment:
        parts.append(
            f"<Assessments><AssessmentActualStartDate>{assessment[0]}</AssessmentActualStartDate>"
            f"<AssessmentAuthorisationDate>{assessment[1]}</AssessmentAuthorisationDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>1C</AssessmentFactors>"
            "</FactorsIdentifiedAtAssessment></Assessments>"
        )
    if s47:
        parts.append(
            f"<Section47><S47ActualStartDate>{s47[0]}</S47ActualStartDate><InitialCPCtarget>{s47[1]}"
            f"</InitialCPCtarget><DateOfInitialCPC>{s47[1]}</DateOfInitialCPC>"
            "<ICPCnotRequired>false</ICPCnotRequired></Section47>"
        )
    parts.append("<ReferralNFA>false</ReferralNFA>")
    if plan:
        end = f"<CPPendDate>{plan[1]}</CPPendDate>" if plan[1] else ""
        parts.append(
            f"<ChildProtectionPlans><CPPstartDate>{plan[0]}</CPPstartDate>{end}"
            "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>EMO"
            "</LatestCategoryOfAbuse><NumberOfPreviousCPP>2</NumberOfPreviousCPP></ChildProtectionPlans>"
        )
    if pre_proceedings:
        parts.append(
            "<PreProceedingsandFGDM><PPStartDate>2024-01-09</PPStartDate><FGDMMeetingOffer>1"
            "</FGDMMeetingOffer><PPOutcome>A</PPOutcome></PreProceedingsandFGDM>"
        )
    return "".join(parts)


def cin_census(children: Iterable[str], *, year: int = 2024, prolog: str = "") -> bytes:
    """A whole census message around the given <Child> elements."""
    head = (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<Message><Header><CollectionDetails><Collection>CIN'
        f"</Collection><Year>{year}</Year><ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>"
        "<Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source></Header><Children>"
    )
    return (head + "".join(children) + "</Children></Message>").encode()


def sample_census(gender_tag: str = "GenderCurrent") -> bytes:
    """Four children: open CIN, open CP plan, closed, and one with two episodes (latest open)."""
    return cin_census([
        cin_child("K1", gender_tag=gender_tag, episodes=[cin_episode(assessment=("2023-04-02", "2023-05-01"))]),
        cin_child("K2", gender="2" if gender_tag == "GenderCurrent" else "F", gender_tag=gender_tag, episodes=[
            cin_episode(s47=("2023-04-03", "2023-04-20"), plan=("2023-04-20", None), pre_proceedings=True)]),
        cin_child("K3", gender="9", gender_tag=gender_tag, episodes=[cin_episode(closure="2023-06-01")]),
        cin_child("K4", gender_tag=gender_tag, episodes=[cin_episode("2021-01-01", closure="2021-06-01"),
                                                         cin_episode("2023-09-01")]),
    ])  # fmt: skip


# SSDA903 ------------------------------------------------------------------------------------------------

HEADER_903 = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES_903 = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
]


def ssda903_header(rows: Iterable[Sequence[object]] | None = None) -> bytes:
    """header.csv: CHILD, SEX, DOB and the columns we must not read."""
    default = [
        ("101", "1", "27/03/2008", "WBRI", "A123456789012", "", ""),
        ("102", "2", "09/09/2011", "WBRI", "A123456789013", "", ""),
        ("103", "1", "14/02/2013", "ABAN", "A123456789014", "", ""),
    ]
    return csv_bytes(HEADER_903, rows if rows is not None else default)


def episode(child: str, start: str, rne: str = "S", end: str = "", rec: str = "", ls: str = "C2") -> list[str]:
    """One episodes.csv row."""
    return [child, start, rne, ls, "N1", "U1", "PR1", end, rec, "", "AB1 2CD", "EF3 4GH", "SC123456"]


def ssda903_episodes(rows: Iterable[Sequence[object]] | None = None) -> bytes:
    """episodes.csv: 101 looked after now (two episodes), 102 ceased care, 103 has no episodes."""
    default = [
        episode("101", "15/02/2016", "S", "14/08/2017", "X1"),
        episode("101", "14/08/2017", "P"),
        episode("102", "26/04/2016", "S", "09/05/2017", "E11"),
    ]
    return csv_bytes(EPISODES_903, rows if rows is not None else default)


def ssda903_reviews() -> bytes:
    """reviews.csv, which the importer skips."""
    return csv_bytes(["CHILD", "DOB", "REVIEW", "REVIEW_CODE"], [["101", "27/03/2008", "30/08/2017", "PN6"]])
