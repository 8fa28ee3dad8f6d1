"""The Ofsted ILACS Annex A workbook: lists 2 to 9 merged into one case per `Child Unique ID`.

Sheets are found by name whatever the authority calls them ('List 3', 'List_3 Referrals', 'list3'), and
the header row (the first row, or a later one under a title) by its Child Unique ID column. Headers are
matched ignoring case, spaces and punctuation, with the common variants of each. Dates may be real date
cells, Excel serial numbers or text; coded values may carry list prefixes ('a) Male'); `#N/A` is empty;
non-breaking spaces are ordinary spaces. A child on several rows of one list (two referrals in the year,
say) keeps the row with the latest date. Placement postcodes and other columns not listed here are never read.

Status rules, first that applies:
- on List 8 (children in care) with no date ceased to be looked after: looked_after;
- on List 7 (child protection) with no plan end date: cp;
- on List 9 (care leavers): care_leaver;
- on List 6 (children in need) with no CIN closure date: cin;
- on Lists 3-5 (referral, assessment, section 47) and not a referral with no further action: cin;
- on List 2 (early help assessments) only: early_help;
- otherwise: closed.
Team and worker come from the Allocated Team/Worker columns, preferring the list that gave the status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from auditapp.importers.records import DATE_FIELDS, CaseRecord, Issues, Source, fail
from auditapp.importers.rules import date_order_problems
from auditapp.importers.values import (
    ValueProblem,
    clean_text,
    normalise_header,
    parse_bool,
    parse_category,
    parse_count,
    parse_date,
    parse_gender,
)
from auditapp.importers.xlsx import is_blank, open_workbook

if TYPE_CHECKING:  # openpyxl is imported when a workbook is opened, not with the module
    from openpyxl.workbook.workbook import Workbook

AGENCY = "Children's social care"
_SHEET = re.compile(r"^\s*list[\s_\-.]*(\d{1,2})(?!\d)", re.IGNORECASE)
HEADER_SEARCH_ROWS = 10

ID_ALIASES = ("childuniqueid", "childid", "uniqueid", "childuniqueidentifier", "lachildid", "childreference")
COMMON = {
    "date_of_birth": ("dateofbirth", "dob"),
    "gender": ("gender", "sex"),
    "team": ("allocatedteam", "team"),
    "worker": ("allocatedworker", "worker", "allocatedsocialworker"),
}
LIST_FIELDS: dict[int, dict[str, tuple[str, ...]]] = {
    2: {},
    3: {"referral_date": ("dateofreferral", "referraldate"), "_nfa": ("referralnfa", "nfa")},
    4: {"assessment_start_date": ("continuousassessmentstartdate", "assessmentstartdate"),
        "assessment_completed_date": ("continuousassessmentdateofauthorisation", "assessmentauthorisationdate",
                                      "dateofauthorisation", "assessmentcompletiondate")},
    5: {"s47_start_date": ("strategydiscussioninitiatingsection47enquirystartdate", "section47enquirystartdate",
                           "s47startdate", "section47startdate"),
        "icpc_date": ("dateofinitialchildprotectionconference", "icpcdate")},
    6: {"last_seen_date": ("datechildwaslastseen", "datelastseen"), "closure_date": ("cinclosuredate",)},
    7: {"cp_plan_start_date": ("childprotectionplanstartdate", "cpplanstartdate"),
        "cp_plan_end_date": ("childprotectionplanenddate", "cpplanenddate"),
        "category_of_abuse": ("latestcategoryofabuse", "initialcategoryofabuse", "categoryofabuse"),
        "last_seen_date": ("dateofthelaststatutoryvisit", "dateoflaststatutoryvisit"),
        "seen_alone": ("wasthechildseenalone", "childseenalone"),
        "previous_cp_plans": ("numberofpreviouschildprotectionplans", "previouschildprotectionplans")},
    8: {"looked_after_start_date": ("datestartedtobelookedafter", "datestartedlookedafter"),
        "_ceased": ("dateceasedtobelookedafter", "dateceasedlookedafter"),
        "last_seen_date": ("dateoflastsocialworkvisit", "dateoflastvisit")},
    9: {},
}  # fmt: skip
# The date that decides which of a child's rows in one list is the latest.
KEY_DATE = {
    3: "referral_date",
    4: "assessment_start_date",
    5: "s47_start_date",
    7: "cp_plan_start_date",
    8: "looked_after_start_date",
}
PARSERS = {
    "gender": parse_gender,
    "seen_alone": parse_bool,
    "_nfa": parse_bool,
    "category_of_abuse": parse_category,
    "previous_cp_plans": parse_count,
}
ORDER_PAIRS = (("assessment_start_date", "assessment_completed_date"), ("cp_plan_start_date", "cp_plan_end_date"))


def _parser(name: str) -> Any:
    if name in DATE_FIELDS or name == "_ceased":
        return lambda value: parse_date(value, serials=True)
    return PARSERS.get(name, clean_text)


def list_number(title: str) -> int | None:
    """The Annex A list a sheet holds, from its name ('List_3 Referrals' -> 3), or None."""
    match = _SHEET.match(title)
    return int(match[1]) if match else None


def looks_like_annex_a(titles: list[str]) -> bool:
    """True when a workbook has at least one sheet named like List 3 to List 8."""
    return any(list_number(title) in range(3, 9) for title in titles)


def _match_columns(headings: list[str], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [normalise_header(heading) for heading in headings]
    found: dict[str, int] = {}
    for name, aliases in wanted.items():
        exact = [keys.index(alias) for alias in aliases if alias in keys]
        partial = [i for i, key in enumerate(keys) for alias in aliases if key and alias in key]
        choice = exact or partial
        if choice:
            found[name] = choice[0]
    return found


@dataclass
class _Sheet:
    title: str
    number: int
    header_row: int
    headings: list[str]
    id_index: int
    columns: dict[str, int] = field(default_factory=dict)


class AnnexAReader:
    """Reads the list sheets of one workbook and merges them per child."""

    def __init__(self, source: Source, workbook: Workbook, issues: Issues) -> None:
        self.name, self.workbook, self.issues = source.name, workbook, issues
        self.rows: dict[int, dict[str, tuple[dict[str, Any], int]]] = {}

    def read(self) -> list[CaseRecord]:
        """Read every recognised list; returns the merged records, or [] when there were problems."""
        numbers: dict[int, str] = {}
        for title in self.workbook.sheetnames:
            number = list_number(title)
            if number in LIST_FIELDS and number not in numbers:
                numbers[number] = title
        if not any(number in numbers for number in range(3, 9)):
            raise fail(
                self.name,
                "No sheets named like List 3 to List 8 were found: check this is the Annex A "
                "workbook, with one sheet per list",
            )
        for number, title in sorted(numbers.items()):
            self._read_sheet(title, number)
        if not self.issues and not any(self.rows.values()):
            self.issues.add(self.name, "The lists have headers but no children in them")
        return [] if self.issues else self._merge()

    def _read_sheet(self, title: str, number: int) -> None:
        rows = enumerate(self.workbook[title].iter_rows(values_only=True), start=1)
        sheet = self._find_header(title, number, rows)
        if sheet is None:
            return
        wanted = COMMON | LIST_FIELDS[number]
        sheet.columns = _match_columns(sheet.headings, wanted)
        kept = self.rows.setdefault(number, {})
        for row_number, values in rows:
            if is_blank(values):
                continue
            self._read_row(sheet, row_number, values, kept)
            if self.issues.full:
                return

    def _find_header(self, title: str, number: int, rows: Any) -> _Sheet | None:
        for row_number, values in rows:
            headings = [clean_text(value) or "" for value in values]
            found = _match_columns(headings, {"case_ref": ID_ALIASES})
            if found:
                return _Sheet(title, number, row_number, headings, found["case_ref"])
            if row_number >= HEADER_SEARCH_ROWS:
                break
        self.issues.add(
            self.name, "There is no Child Unique ID column: the header row must include it", sheet=title, row=1
        )
        return None

    def _read_row(
        self, sheet: _Sheet, row_number: int, values: tuple[object, ...], kept: dict[str, tuple[dict[str, Any], int]]
    ) -> None:
        id_index = sheet.id_index
        ref = clean_text(values[id_index]) if id_index < len(values) else None
        if ref is None:
            self.issues.add(
                self.name,
                "Enter the Child Unique ID",
                sheet=sheet.title,
                row=row_number,
                column=sheet.headings[id_index],
            )
            return
        fields: dict[str, Any] = {}
        for name, index in sheet.columns.items():
            try:
                fields[name] = _parser(name)(values[index] if index < len(values) else None)
            except ValueProblem as problem:
                self.issues.add(
                    self.name, str(problem), sheet=sheet.title, row=row_number, column=sheet.headings[index]
                )
        for column, message in date_order_problems(fields, ORDER_PAIRS):
            self.issues.add(
                self.name, message, sheet=sheet.title, row=row_number, column=sheet.headings[sheet.columns[column]]
            )
        key = KEY_DATE.get(sheet.number)
        previous = kept.get(ref)
        if previous is None or (key is not None and _later(fields.get(key), previous[0].get(key))):
            kept[ref] = (fields, row_number)

    def _merge(self) -> list[CaseRecord]:
        refs: dict[str, None] = {}
        for number in sorted(self.rows):
            refs.update(dict.fromkeys(self.rows[number]))
        return [self._record(ref) for ref in refs]

    def _record(self, ref: str) -> CaseRecord:
        found = {number: rows[ref][0] for number, rows in self.rows.items() if ref in rows}
        status, source_list = _status(found)
        order = [source_list] + [n for n in (8, 7, 6, 9, 5, 4, 3, 2) if n != source_list]
        fields: dict[str, Any] = {"case_ref": ref, "status": status, "agency": AGENCY}
        for number in order:
            for name, value in found.get(number, {}).items():
                if value is not None and not name.startswith("_") and fields.get(name) is None:
                    fields[name] = value
        seen: list[date] = [row["last_seen_date"] for row in found.values() if row.get("last_seen_date")]
        fields["last_seen_date"] = max(seen) if seen else None
        if status == "closed" and fields.get("closure_date") is None:
            fields["closure_date"] = found.get(8, {}).get("_ceased") or found.get(7, {}).get("cp_plan_end_date")
        return CaseRecord(**fields)


def _later(candidate: date | None, current: date | None) -> bool:
    return candidate is not None and (current is None or candidate >= current)


def _status(found: dict[int, dict[str, Any]]) -> tuple[str, int]:
    if 8 in found and found[8].get("_ceased") is None:
        return "looked_after", 8
    if 7 in found and found[7].get("cp_plan_end_date") is None:
        return "cp", 7
    if 9 in found:
        return "care_leaver", 9
    if 6 in found and found[6].get("closure_date") is None:
        return "cin", 6
    for number in (5, 4, 3):
        if number in found and not (number == 3 and found[3].get("_nfa")):
            return "cin", number
    if set(found) == {2}:
        return "early_help", 2
    return "closed", min(found)


def parse_annex_a(source: Source, issues: Issues) -> list[CaseRecord]:
    """Read an Annex A workbook; problems are added to `issues`."""
    workbook = open_workbook(source)
    try:
        return AnnexAReader(source, workbook, issues).read()
    finally:
        workbook.close()
