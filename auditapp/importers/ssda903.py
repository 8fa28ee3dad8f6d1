"""The DfE SSDA903 children looked after return: the header file and the episodes file, read together.

Other files of the return (reviews, missing, UASC, OC2, ...) may be given too, for instance when a whole
folder is imported; they hold nothing the app keeps and are skipped. Only CHILD, SEX and DOB are read from
the header (never UPN or the mother's details) and only CHILD, DECOM, RNE, LS, DEC and REC from episodes
(never postcodes).

Status rules, from the child's latest episode (by DECOM):
- the episode has no DEC (date episode ceased): looked_after, with `looked_after_start_date` the start of
  the current period of care (the latest episode with RNE 'S' at or before it, else the first episode);
- otherwise: closed, with `closure_date` the DEC of that episode.
Children in the header with no episode are not looked after in the year and are skipped. An episode for a
child missing from the header is an error, as are bad dates, unknown codes and an episode ending before it
starts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, NamedTuple

from auditapp.importers.records import CaseRecord, Issues, Source, fail
from auditapp.importers.safety import text_lines
from auditapp.importers.values import ValueProblem, clean_text, normalise_header, parse_date, parse_gender
from auditapp.importers.xlsx import is_blank

AGENCY = "Children's social care"
HEADER_COLUMNS = ("CHILD", "SEX", "DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "DEC", "REC")
RNE_CODES = frozenset({"S", "P", "L", "T", "U", "B"})
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"})
_REC_CODE = re.compile(r"^(X1|E\d{1,2}[AB]?)$")
_SEX_CODES = {"1": "male", "2": "female"}


class Episode(NamedTuple):
    start: date
    end: date | None
    rne: str
    row: int


def kind_of(header: list[str]) -> str | None:
    """'header', 'episodes' or 'other' for a 903 file's first row, None when it is not a 903 file."""
    keys = {normalise_header(cell) for cell in header}
    if "child" not in keys:
        return None
    if {"decom", "rne"} <= keys:
        return "episodes"
    if {"sex", "dob"} <= keys and len(keys & {"ethnic", "upn", "mother", "mcdob"}) >= 1:
        return "header"
    return "other"


def _rows(source: Source, required: tuple[str, ...], issues: Issues) -> Iterator[tuple[int, dict[str, str | None]]]:
    reader = csv.reader(text_lines(source))
    header = next(reader, [])
    index = {normalise_header(cell): position for position, cell in enumerate(header)}
    missing = [name for name in required if name.lower() not in index]
    if missing:
        issues.add(source.name, f"The header row must include {', '.join(missing)}", row=1)
        return
    columns = [(name, index[name.lower()]) for name in required]
    try:
        for number, values in enumerate(reader, start=2):
            if is_blank(values):
                continue
            if len(values) != len(header):
                issues.add(
                    source.name,
                    f"This row has {len(values)} cells but the header has {len(header)} "
                    "columns: check for a missing or extra comma",
                    row=number,
                )
                continue
            yield number, {name: clean_text(values[position]) for name, position in columns}
            if issues.full:
                return
    except csv.Error as error:
        issues.add(source.name, f"The CSV could not be read: {error}", row=reader.line_num)


class ReturnReader:
    """Joins a header file and an episodes file into case records."""

    def __init__(self, header: Source, episodes: Source, issues: Issues) -> None:
        self.header, self.episodes, self.issues = header, episodes, issues
        self.children: dict[str, tuple[date | None, str | None, int]] = {}
        self.episodes_of: dict[str, list[Episode]] = {}

    def _value(
        self, source: Source, row: int, column: str, parse: Callable[[object], Any], raw: str | None
    ) -> tuple[Any, bool]:
        try:
            return parse(raw), True
        except ValueProblem as problem:
            self.issues.add(source.name, str(problem), row=row, column=column)
            return None, False

    def read_header(self) -> None:
        """Read CHILD, SEX and DOB for every child in the header file."""
        for row, cells in _rows(self.header, HEADER_COLUMNS, self.issues):
            child = cells["CHILD"]
            if child is None:
                self.issues.add(self.header.name, "Enter the CHILD id", row=row, column="CHILD")
                continue
            sex, _ = self._value(self.header, row, "SEX", _parse_sex, cells["SEX"])
            dob, _ = self._value(self.header, row, "DOB", parse_date, cells["DOB"])
            if child in self.children:
                self.issues.add(
                    self.header.name,
                    f"CHILD {child} is also on row {self.children[child][2]}: "
                    "each child must appear once in the header",
                    row=row,
                    column="CHILD",
                )
                continue
            self.children[child] = (dob, sex, row)
        if not self.children and not self.issues:
            self.issues.add(self.header.name, "The header file has no children in it", row=2)

    def read_episodes(self) -> None:
        """Read every episode, checking dates and codes, grouped by child."""
        for row, cells in _rows(self.episodes, EPISODE_COLUMNS, self.issues):
            child = cells["CHILD"]
            if child is None:
                self.issues.add(self.episodes.name, "Enter the CHILD id", row=row, column="CHILD")
                continue
            if child not in self.children:
                self.issues.add(
                    self.episodes.name,
                    f"CHILD {child} has an episode but is not in {self.header.name}",
                    row=row,
                    column="CHILD",
                )
            start, ok_start = self._value(self.episodes, row, "DECOM", _required_date, cells["DECOM"])
            end, ok_end = self._value(self.episodes, row, "DEC", parse_date, cells["DEC"])
            ok_codes = self._codes(row, cells)
            if start is not None and end is not None and end < start:
                self.issues.add(
                    self.episodes.name,
                    f"The episode ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y})",
                    row=row,
                    column="DEC",
                )
                continue
            if ok_start and ok_end and ok_codes:
                self.episodes_of.setdefault(child, []).append(Episode(start, end, cells["RNE"] or "", row))

    def _codes(self, row: int, cells: dict[str, str | None]) -> bool:
        ok = True
        for column, valid, hint in (
            ("RNE", RNE_CODES.__contains__, "S, P, L, T, U or B"),
            ("LS", LS_CODES.__contains__, "a legal status such as C2 or V2"),
            ("REC", _REC_CODE.match, "X1 or a reason code such as E11"),
        ):
            value = cells[column]
            if value is not None and not valid(value.upper()):
                self.issues.add(
                    self.episodes.name, f"'{value}' is not a valid {column} code: use {hint}", row=row, column=column
                )
                ok = False
        if cells["RNE"] is None:
            self.issues.add(self.episodes.name, "Enter the RNE code (reason for new episode)", row=row, column="RNE")
            ok = False
        return ok

    def records(self) -> list[CaseRecord]:
        """One record per child with at least one episode."""
        result = []
        for child, episodes in self.episodes_of.items():
            dob, gender, _ = self.children.get(child, (None, None, 0))
            episodes.sort(key=lambda episode: (episode.start, episode.row))
            current = episodes[-1]
            result.append(
                CaseRecord(
                    case_ref=child,
                    agency=AGENCY,
                    date_of_birth=dob,
                    gender=gender,
                    status="looked_after" if current.end is None else "closed",
                    closure_date=current.end,
                    looked_after_start_date=_period_start(episodes),
                )
            )
        return result


def _period_start(episodes: list[Episode]) -> date:
    starts = [episode.start for episode in episodes if episode.rne.upper() == "S"]
    return starts[-1] if starts else episodes[0].start


def _parse_sex(value: object) -> str | None:
    text = clean_text(value)
    if text is None:
        raise ValueProblem("Enter the SEX code: 1 for male, 2 for female")
    if text in _SEX_CODES:
        return _SEX_CODES[text]
    try:
        return parse_gender(text)
    except ValueProblem:
        raise ValueProblem(f"'{text}' is not a SEX code: use 1 for male or 2 for female") from None


def _required_date(value: object) -> date:
    parsed = parse_date(value)
    if parsed is None:
        raise ValueProblem("Enter the date the episode started, like 31/03/2024")
    return parsed


def parse_ssda903(header: Source | None, episodes: Source | None, issues: Issues) -> list[CaseRecord]:
    """Join a header file and an episodes file into records; problems are added to `issues`."""
    if header is None or episodes is None:
        given = (header or episodes).name  # type: ignore[union-attr]
        needed = "episodes file (CHILD, DECOM, RNE, ...)" if episodes is None else "header file (CHILD, SEX, DOB, ...)"
        raise fail(given, f"An SSDA903 return needs the {needed} too: upload the header and episodes files together")
    reader = ReturnReader(header, episodes, issues)
    reader.read_header()
    reader.read_episodes()
    if not reader.episodes_of and not issues:
        issues.add(episodes.name, "The episodes file has no episodes in it", row=2)
    return reader.records() if not issues else []
