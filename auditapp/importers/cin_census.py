"""The DfE Children in Need census XML (schemas 2017 to 2026), one case per `LAchildID`.

Read as a stream, one `Child` at a time, with the standard library's C parser once `check_xml_safe` has
refused any DTD or entity declaration anywhere in the file (and any encoding that could hide one): without a
DTD, expat has no entity to expand and nothing external to fetch. That is what defusedxml guarantees too, but
defusedxml's pure-Python callbacks read about 16,000 children a second, several times slower.
Only the elements the app keeps are read: identifiers other than LAchildID (UPN, former UPN) are never
looked at. Both `GenderCurrent` (to 2024-25) and `Sex` (from 2025-26) are understood.

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
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError, XMLParser, iterparse

from auditapp.importers.records import CaseRecord, Issues, Source, fail
from auditapp.importers.rules import date_order_problems
from auditapp.importers.safety import check_xml_safe
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


def _text(parent: Element | None, name: str) -> str | None:
    """The text of the first child element called `name` (element.findtext runs in C for a plain name)."""
    return None if parent is None else parent.findtext(name)


def _quiet_date(text: str | None) -> date:
    try:
        return parse_date(text) or date.min
    except ValueProblem:
        return date.min


def _latest(parent: Element, name: str, start: str) -> Element | None:
    """The block with the latest start date (the last one on a tie); its dates are checked later."""
    blocks = parent.findall(name)
    if len(blocks) < 2:
        return blocks[0] if blocks else None
    dated = [(_quiet_date(block.findtext(start)), index, block) for index, block in enumerate(blocks)]
    return max(dated, key=lambda item: item[:2])[2]


# What the app reads from each block of a Child, as (field, element, parser); see _Child.read.
_IDENTIFIERS = (("date_of_birth", "PersonBirthDate", parse_date),)
_EPISODE = (
    ("referral_date", "CINreferralDate", parse_date),
    ("closure_date", "CINclosureDate", parse_date),
    ("icpc_date", "DateOfInitialCPC", parse_date),
)
_ASSESSMENT = (
    ("assessment_start_date", "AssessmentActualStartDate", parse_date),
    ("assessment_completed_date", "AssessmentAuthorisationDate", parse_date),
)
_PLAN = (
    ("cp_plan_start_date", "CPPstartDate", parse_date),
    ("cp_plan_end_date", "CPPendDate", parse_date),
    ("previous_cp_plans", "NumberOfPreviousCPP", parse_count),
)


class _Child:
    """Reads one Child element, collecting problems against the file. Tags are local names (see _stream)."""

    def __init__(self, reader: CensusReader, element: Element, number: int) -> None:
        self.reader, self.element, self.number = reader, element, number
        self.identifiers = element.find("ChildIdentifiers")
        self.ref = clean_text(_text(self.identifiers, "LAchildID"))
        self.ok = True

    def problem(self, message: str, column: str | None = None) -> None:
        who = f"child {self.ref}" if self.ref else f"child number {self.number}"
        self.reader.issues.add(self.reader.name, f"{who}: {message}", column=column)
        self.ok = False

    def read(self, parent: Element, spec: tuple[tuple[str, str, Any], ...], fields: dict[str, Any]) -> None:
        """Parse each element of `spec` found in `parent` into `fields`; a bad value is a problem and None.

        Each parser cleans the text itself (spaces, #N/A), so the raw text goes straight in. A table and a
        loop rather than a call per value: this runs for every child of files with 100,000 of them.
        """
        for field, element, parse in spec:
            try:
                fields[field] = parse(parent.findtext(element))
            except ValueProblem as problem:
                self.problem(str(problem), element)
                fields[field] = None

    def record(self) -> CaseRecord | None:
        identifiers = self.identifiers
        if self.ref is None:
            self.problem("there is no LAchildID: every child needs its local child id", "LAchildID")
        fields: dict[str, Any] = {"case_ref": self.ref, "agency": AGENCY}
        if identifiers is not None:
            sex = "Sex" if identifiers.find("Sex") is not None else "GenderCurrent"
            self.read(identifiers, (*_IDENTIFIERS, ("gender", sex, parse_gender)), fields)
        episode = _latest(self.element, "CINdetails", "CINreferralDate")
        if episode is not None:
            self.episode(episode, fields)
        for column, message in date_order_problems(fields):
            self.problem(message, ELEMENT_OF[column])
        fields["status"] = self.status(fields)
        return CaseRecord(**fields) if self.ok else None

    def episode(self, episode: Element, fields: dict[str, Any]) -> None:
        self.read(episode, _EPISODE, fields)
        assessment = _latest(episode, "Assessments", "AssessmentActualStartDate")
        if assessment is not None:
            self.read(assessment, _ASSESSMENT, fields)
        s47 = _latest(episode, "Section47", "S47ActualStartDate")
        if s47 is not None:
            episode_icpc = fields["icpc_date"]
            self.read(s47, (("s47_start_date", "S47ActualStartDate", parse_date), _EPISODE[2]), fields)
            fields["icpc_date"] = fields["icpc_date"] or episode_icpc
        plan = _latest(episode, "ChildProtectionPlans", "CPPstartDate")
        if plan is not None:
            latest = "LatestCategoryOfAbuse" if plan.find("LatestCategoryOfAbuse") is not None else None
            category = ("category_of_abuse", latest or "InitialCategoryOfAbuse", parse_category)
            self.read(plan, (*_PLAN, category), fields)

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
        with _xml_errors(self.source) as encoding:
            self._stream(encoding)
        if self.count == 0 and not self.issues:
            raise fail(self.name, "The census holds no children: check it is the full CIN census return")
        return self.records if not self.issues else []

    def _stream(self, encoding: str) -> None:
        root = _root_name(self.source, encoding)
        if root != "Message":
            raise fail(self.name, f"The XML is not a CIN census: it starts with <{root}>, not <Message>")
        data = self.source.data
        # Without a namespace declaration every tag is already a local name; with one, each child's tags are
        # made local once, so that the lookups can all use ElementTree's C find with a plain name.
        namespaced = b"xmlns" in data
        # End events only: the iterator hands every element to Python, so fewer events is less work.
        for _, element in _events(data, encoding, "end"):
            tag = element.tag
            if tag == "Child" or (namespaced and tag.endswith("}Child")):
                if namespaced:
                    for node in element.iter():
                        node.tag = _local(node.tag)
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
def _xml_errors(source: Source) -> Iterator[str]:
    """Refuse DTDs and unsafe encodings (see check_xml_safe), yield the encoding to parse with, and turn
    parser failures into ImportFailed."""
    encoding = check_xml_safe(source)
    try:
        yield encoding
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise fail(
            source.name,
            f"The XML is not well formed at line {line}, column {column}: the file may be "
            "cut short or damaged. Export it again from the system that produced it",
        ) from None


def _events(data: bytes, encoding: str, event: Literal["start", "end"]) -> Iterator[tuple[str, Element]]:
    """ElementTree's iterparse, for data that check_xml_safe has passed and in the encoding it returned.

    Only ever called inside _xml_errors: the DTD and encoding checks are what make the plain parser safe.
    """
    parser = XMLParser(encoding=encoding)  # noqa: S314 - no DTD (checked), so no entities to expand or fetch
    return iterparse(io.BytesIO(data), events=(event,), parser=parser)  # noqa: S314 - as above


def _root_name(source: Source, encoding: str) -> str:
    for _, element in _events(source.data, encoding, "start"):
        return _local(element.tag)
    raise fail(source.name, "The XML file has no elements in it")


def root_name(source: Source) -> str:
    """The name of the XML document's root element, read safely; raises ImportFailed on bad or unsafe XML."""
    with _xml_errors(source) as encoding:
        return _root_name(source, encoding)
    raise AssertionError("unreachable: _xml_errors re-raises")  # pragma: no cover - keeps type checkers content


def parse_cin_census(source: Source, issues: Issues) -> list[CaseRecord]:
    """Read a CIN census XML file; problems are added to `issues`."""
    return CensusReader(source, issues).read()
