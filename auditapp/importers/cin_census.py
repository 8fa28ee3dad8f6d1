"""The DfE Children in Need census XML (schemas 2017 to 2026), one case per `LAchildID`.

Read as a stream with defusedxml's iterparse (no DTDs, entity expansion or external entities), one `Child`
at a time. Only the elements the app keeps are read: identifiers other than LAchildID (UPN, former UPN)
are never looked at. Both `GenderCurrent` (to 2024-25) and `Sex` (from 2025-26) are understood.

Status rules, judged on the day of the import, using the child's latest `CINdetails` episode (by
referral date):
- the episode has a `CINclosureDate` on or before today: closed;
- otherwise, its latest child protection plan has started and has no end date (or ends after today): cp;
- otherwise: cin.
Dates read are checked: each must be a real date, and no end date (closure, assessment authorisation,
plan end) may be before its start. Dates after the census reference date are accepted: the DfE's own
sample files are full of them, and refusing them would block whole returns over one date.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from auditapp.importers.records import CaseRecord, Issues, Source, fail
from auditapp.importers.rules import date_order_problems
from auditapp.importers.safety import check_xml_prolog
from auditapp.importers.values import ValueProblem, clean_text, parse_category, parse_count, parse_date, parse_gender

AGENCY = "Children's social care"
ELEMENT_OF = {
    "referral_date": "CINreferralDate", "closure_date": "CINclosureDate",
    "assessment_start_date": "AssessmentActualStartDate", "assessment_completed_date": "AssessmentAuthorisationDate",
    "s47_start_date": "S47ActualStartDate", "icpc_date": "DateOfInitialCPC", "cp_plan_start_date": "CPPstartDate",
    "cp_plan_end_date": "CPPendDate", "date_of_birth": "PersonBirthDate",
}  # fmt: skip


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """The tag without its namespace; memoised, as the same few dozen tags repeat for every child."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL_NAMES) < 1000:
            _LOCAL_NAMES[tag] = name
    return name


def _find(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _find_all(parent: Element, name: str) -> list[Element]:
    return [child for child in parent if _local(child.tag) == name]


def _text(parent: Element | None, name: str) -> str | None:
    element = _find(parent, name)
    return None if element is None else clean_text(element.text)


def _quiet_date(text: str | None) -> date:
    try:
        return parse_date(text) or date.min
    except ValueProblem:
        return date.min


class _Child:
    """Reads one Child element, collecting problems against the file."""

    def __init__(self, reader: CensusReader, element: Element, number: int) -> None:
        self.reader, self.element, self.number = reader, element, number
        self.ref = _text(_find(element, "ChildIdentifiers"), "LAchildID")
        self.ok = True

    def problem(self, message: str, column: str | None = None) -> None:
        who = f"child {self.ref}" if self.ref else f"child number {self.number}"
        self.reader.issues.add(self.reader.name, f"{who}: {message}", column=column)
        self.ok = False

    def value(self, parent: Element | None, element: str, parse: Any) -> Any:
        raw = _text(parent, element)
        try:
            result = parse(raw)
        except ValueProblem as problem:
            self.problem(str(problem), element)
            return None
        return result

    def latest(self, parent: Element, name: str, start: str) -> Element | None:
        """The block with the latest start date (the last one on a tie); its dates are checked later."""
        blocks = _find_all(parent, name)
        dated = [(_quiet_date(_text(block, start)), index, block) for index, block in enumerate(blocks)]
        return max(dated, key=lambda item: item[:2])[2] if dated else None

    def record(self) -> CaseRecord | None:
        identifiers = _find(self.element, "ChildIdentifiers")
        if self.ref is None:
            self.problem("there is no LAchildID: every child needs its local child id", "LAchildID")
        sex = "Sex" if _find(identifiers, "Sex") is not None else "GenderCurrent"
        fields: dict[str, Any] = {
            "case_ref": self.ref, "agency": AGENCY,
            "date_of_birth": self.value(identifiers, "PersonBirthDate", parse_date),
            "gender": self.value(identifiers, sex, parse_gender),
        }  # fmt: skip
        episode = self.latest(self.element, "CINdetails", "CINreferralDate")
        if episode is not None:
            fields.update(self.episode(episode))
        for column, message in date_order_problems(fields):
            self.problem(message, ELEMENT_OF[column])
        fields["status"] = self.status(fields)
        return CaseRecord(**fields) if self.ok else None

    def episode(self, episode: Element) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "referral_date": self.value(episode, "CINreferralDate", parse_date),
            "closure_date": self.value(episode, "CINclosureDate", parse_date),
            "icpc_date": self.value(episode, "DateOfInitialCPC", parse_date),
        }
        assessment = self.latest(episode, "Assessments", "AssessmentActualStartDate")
        if assessment is not None:
            fields["assessment_start_date"] = self.value(assessment, "AssessmentActualStartDate", parse_date)
            fields["assessment_completed_date"] = self.value(assessment, "AssessmentAuthorisationDate", parse_date)
        s47 = self.latest(episode, "Section47", "S47ActualStartDate")
        if s47 is not None:
            fields["s47_start_date"] = self.value(s47, "S47ActualStartDate", parse_date)
            fields["icpc_date"] = self.value(s47, "DateOfInitialCPC", parse_date) or fields["icpc_date"]
        plan = self.latest(episode, "ChildProtectionPlans", "CPPstartDate")
        if plan is not None:
            fields["cp_plan_start_date"] = self.value(plan, "CPPstartDate", parse_date)
            fields["cp_plan_end_date"] = self.value(plan, "CPPendDate", parse_date)
            latest = "LatestCategoryOfAbuse" if _find(plan, "LatestCategoryOfAbuse") is not None else None
            fields["category_of_abuse"] = self.value(plan, latest or "InitialCategoryOfAbuse", parse_category)
            fields["previous_cp_plans"] = self.value(plan, "NumberOfPreviousCPP", parse_count)
        return fields

    def status(self, fields: dict[str, Any]) -> str:
        as_of = self.reader.as_of
        closed, start, end = (
            fields.get("closure_date"),
            fields.get("cp_plan_start_date"),
            fields.get("cp_plan_end_date"),
        )
        if closed is not None and closed <= as_of:
            return "closed"
        if start is not None and start <= as_of and (end is None or end > as_of):
            return "cp"
        return "cin"


class CensusReader:
    """Streams one census file into case records."""

    def __init__(self, source: Source, issues: Issues) -> None:
        self.name, self.source, self.issues = source.name, source, issues
        self.as_of = date.today()
        self.records: list[CaseRecord] = []
        self.seen: dict[str, int] = {}
        self.count = 0

    def read(self) -> list[CaseRecord]:
        """Parse the whole file; returns the records, or [] when there were problems."""
        with _xml_errors(self.source):
            self._stream()
        if self.count == 0 and not self.issues:
            raise fail(self.name, "The census holds no children: check it is the full CIN census return")
        return self.records if not self.issues else []

    def _stream(self) -> None:
        root = root_name(self.source)
        if root != "Message":
            raise fail(self.name, f"The XML is not a CIN census: it starts with <{root}>, not <Message>")
        # End events only: start events would double the work of the (pure Python) defused parser.
        for _, element in iterparse(io.BytesIO(self.source.data), events=("end",), forbid_dtd=True):
            tag = element.tag
            if tag == "Child" or tag.endswith("}Child"):
                self._child(element)
                element.clear()  # keep memory flat: only an empty shell of each child stays in the tree

    def _child(self, element: Element) -> None:
        self.count += 1
        child = _Child(self, element, self.count)
        record = child.record()
        if child.ref is not None:
            first = self.seen.setdefault(child.ref, self.count)
            if first != self.count:
                child.problem(
                    f"the LAchildID appears twice (children number {first} and {self.count} in the "
                    "file): each child must appear once",
                    "LAchildID",
                )
                record = None
        if record is not None and not self.issues:
            self.records.append(record)


@contextmanager
def _xml_errors(source: Source) -> Iterator[None]:
    """Turn XML parser failures into ImportFailed, after refusing DTDs in the prolog."""
    check_xml_prolog(source)
    try:
        yield
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise fail(
            source.name,
            f"The XML is not well formed at line {line}, column {column}: the file may be "
            "cut short or damaged. Export it again from the system that produced it",
        ) from None
    except DefusedXmlException:
        raise fail(
            source.name,
            "The file declares a DOCTYPE, entities or external references, which are not "
            "allowed: export the file again from the system that produced it",
        ) from None


def root_name(source: Source) -> str:
    """The name of the XML document's root element, read safely; raises ImportFailed on bad XML."""
    with _xml_errors(source):
        for _, element in iterparse(io.BytesIO(source.data), events=("start",), forbid_dtd=True):
            return _local(element.tag)
    raise fail(source.name, "The XML file has no elements in it")


def parse_cin_census(source: Source, issues: Issues) -> list[CaseRecord]:
    """Read a CIN census XML file; problems are added to `issues`."""
    return CensusReader(source, issues).read()
