"""The in-memory form of an audit tool definition, and the values the engine hands back.

Everything here is immutable: a loaded tool is shared between requests and pinned by rounds, so nothing may
change it after loading. No Flask or SQLAlchemy here: the engine is plain Python so it can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

YES_NO_NA = "yes_no_na"
CHOICE = "choice"
GRADE = "grade"
DATE = "date"
NUMBER = "number"
TEXT = "text"

#: What one answer to a question is about (a question's ``unit``): each agency's audit of its own file (the
#: default), or the child, for one fact or one shared piece of work about the child (the one multi-agency plan).
#: Reports count agency-audit questions over audits, clustered by child, and child questions once per child.
UNIT_AGENCY_AUDIT = "agency_audit"
UNIT_CHILD = "child"
UNITS: tuple[str, ...] = (UNIT_AGENCY_AUDIT, UNIT_CHILD)

ANSWER_TYPES: tuple[str, ...] = (YES_NO_NA, CHOICE, GRADE, DATE, NUMBER, TEXT)
#: Answer types whose answers come from a fixed list, so conditions can refer to them.
ENUMERATED_TYPES: tuple[str, ...] = (YES_NO_NA, CHOICE, GRADE)

YES_NO_NA_OPTIONS: tuple[tuple[str, str], ...] = (
    ("yes", "Yes"),
    ("no", "No"),
    ("not_applicable", "Not applicable"),
)

#: Ofsted grades, best first. Exports, statistics and trends rely on these values and this order.
GRADE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
)

#: The agency kinds a question or section can be limited to (``agencies``): the values of
#: ``auditapp.models.org.AgencyKind`` (a test holds the two together). A question limited to some kinds is shown
#: only in audits of an agency of one of them; the audit's agency is the agency whose file is audited.
AGENCY_KINDS: tuple[str, ...] = ("social_care", "health", "police", "education", "probation", "housing", "other")

#: The case dates a computed rule may use, with the words used for them in explanations. The case import must
#: provide these names (a missing or blank date is passed as None).
CASE_DATE_FIELDS: dict[str, str] = {
    "referral_date": "referral date",
    "assessment_start_date": "assessment start date",
    "assessment_completed_date": "assessment completion date",
    "initial_assessment_completed_date": "initial assessment completion date",
    "core_assessment_start_date": "core assessment start date",
    "core_assessment_completed_date": "core assessment completion date",
    "strategy_discussion_date": "strategy discussion date",
    "initial_child_protection_conference_date": "initial child protection conference date",
    "first_core_group_date": "first core group date",
    "review_conference_date": "review child protection conference date",
    "cp_plan_start_date": "child protection plan start date",
    "cp_plan_end_date": "child protection plan end date",
    "case_closed_date": "case closure date",
}

#: Suffix of the answer key holding the reason for overriding a computed answer: ``<qid>__override_reason``.
OVERRIDE_SUFFIX = "__override_reason"
#: Prefix of the answer key holding a section's evidence: ``evidence__<section_id>``.
EVIDENCE_PREFIX = "evidence__"


def override_key(question_id: str) -> str:
    """Return the answer key for the reason an auditor gives when overriding a computed answer."""
    return question_id + OVERRIDE_SUFFIX


def evidence_key(section_id: str) -> str:
    """Return the answer key for a section's evidence box."""
    return EVIDENCE_PREFIX + section_id


class ToolDefinitionError(ValueError):
    """A tool definition is not valid. ``errors`` holds one human-readable message per problem, each starting
    with the path to the offending element (for example ``sections[1].questions[2].type``)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("Audit tool definition is not valid:\n" + "\n".join(f"- {e}" for e in self.errors))


@dataclass(frozen=True)
class GradeLevel:
    """One point of the grade scale: its fixed stored ``value``, the tool's ``label`` for it and what it means
    (``descriptor``, shown on the form, in moderation and in the report's annex; None for tools without one)."""

    value: str
    label: str
    descriptor: str | None = None


@dataclass(frozen=True)
class GradeScale:
    """The tool's four-point grade scale, best first. Values are always those of ``GRADE_OPTIONS``."""

    levels: tuple[GradeLevel, ...] = tuple(GradeLevel(v, label) for v, label in GRADE_OPTIONS)
    name: str | None = None

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs, best first, as a grade question's options."""
        return tuple((level.value, level.label) for level in self.levels)

    @property
    def has_descriptors(self) -> bool:
        return any(level.descriptor for level in self.levels)

    def label(self, value: str) -> str:
        """The tool's name for a stored grade (the value itself when it is not a grade)."""
        return dict(self.options).get(value, value)

    def descriptor(self, value: str) -> str | None:
        return next((level.descriptor for level in self.levels if level.value == value), None)


@dataclass(frozen=True)
class Condition:
    """True when ``question_id`` is shown and answered, and its answer is in ``values`` (or, when ``negate``,
    is not in ``values``)."""

    question_id: str
    values: tuple[str, ...]
    negate: bool = False

    def is_met(self, answer: str | None) -> bool:
        """Whether the condition holds for the controlling question's (stripped) answer; blank never holds."""
        if not answer:
            return False
        return (answer in self.values) != self.negate


@dataclass(frozen=True)
class ComputedRule:
    """How a computed question's proposed answer is worked out from the case's dates.

    ``kind`` is ``working_days_within`` (``limit`` working days from ``start`` to ``end``) or
    ``duration_at_least`` (``years`` from ``start`` to ``end``, or to the "as at" date while ``end`` is
    blank).
    ``when_start_missing`` is the proposed answer when the start date is blank (None: no proposal).
    """

    kind: str
    start: str
    end: str
    limit: int | None = None
    years: int | None = None
    when_start_missing: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of a tool. ``options`` is filled for every enumerated type (yes/no/n.a., choice,
    grade)."""

    id: str
    text: str
    type: str
    section_id: str
    hint: str | None = None
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    show_when: Condition | None = None
    required_when: Condition | None = None
    computed: ComputedRule | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    max_length: int | None = None
    error_required: str | None = None
    error_override_reason: str | None = None
    #: For a yes/no question, the answer that meets the standard ("yes", or "no" where a "yes" is a concern,
    #: such as "on a plan for two years or more"). Reports count the share of answers meeting the standard.
    meets_standard: str = "yes"
    #: What one answer is about: ``UNIT_AGENCY_AUDIT`` (each agency's own file) or ``UNIT_CHILD`` (one fact or one
    #: shared piece of work about the child, which reports count once per child).
    unit: str = UNIT_AGENCY_AUDIT
    #: The agency kinds the question is asked of (its own ``agencies`` or its section's); empty: every agency.
    agencies: tuple[str, ...] = ()

    def asked_of(self, agency_kind: str | None) -> bool:
        """Whether an audit of an agency of this kind is asked the question (None: the kind is unknown, so only
        questions for every agency are asked)."""
        return not self.agencies or agency_kind in self.agencies

    @property
    def option_values(self) -> tuple[str, ...]:
        """The stored values of the options, in display order."""
        return tuple(value for value, _ in self.options)

    def option_label(self, value: str) -> str:
        """Return the label shown for a stored answer value (the value itself if it is not an option)."""
        return dict(self.options).get(value, value)


@dataclass(frozen=True)
class Evidence:
    """The evidence box every section has."""

    label: str = "Evidence"
    hint: str | None = None
    required: bool = False
    max_length: int | None = None
    error_required: str | None = None


@dataclass(frozen=True)
class Section:
    """A page of the audit form: questions plus an evidence box."""

    id: str
    title: str
    questions: tuple[Question, ...]
    evidence: Evidence = field(default_factory=Evidence)
    description: str | None = None
    #: The agency kinds the whole section is for (empty: every agency); its questions carry the same limit.
    agencies: tuple[str, ...] = ()

    @property
    def evidence_key(self) -> str:
        """The answer key of this section's evidence box."""
        return evidence_key(self.id)


@dataclass(frozen=True)
class AuditTool:
    """A loaded, validated, immutable audit tool version. ``definition`` is the JSON it was loaded from."""

    key: str
    version: int
    title: str
    kind: str
    sections: tuple[Section, ...]
    description: str | None = None
    calendar: str = "england_and_wales"
    definition: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)
    grade_scale: GradeScale = field(default_factory=GradeScale)
    #: The agency kind this view of the tool was narrowed to by :meth:`for_agency` (None: the whole tool).
    agency_kind: str | None = None

    def for_agency(self, agency_kind: str | None) -> AuditTool:
        """The tool as an audit of an agency of ``agency_kind`` sees it: only the questions asked of that kind,
        and only the sections left with a question. The definition (so the fingerprint) is the whole tool's."""
        sections = []
        for section in self.sections:
            questions = tuple(q for q in section.questions if q.asked_of(agency_kind))
            if questions:
                sections.append(replace(section, questions=questions))
        return replace(self, sections=tuple(sections), agency_kind=agency_kind)

    @property
    def has_agency_sections(self) -> bool:
        """Whether some questions are asked only of some agency kinds."""
        return any(q.agencies for q in self.questions)

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question in form order."""
        return tuple(q for s in self.sections for q in s.questions)

    @property
    def computed_questions(self) -> tuple[Question, ...]:
        """The questions whose proposed answer comes from the case's dates."""
        return tuple(q for q in self.questions if q.computed is not None)

    def question(self, question_id: str) -> Question:
        """Return the question with this id; raises KeyError if the tool has none."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        """Return the section with this id; raises KeyError if the tool has none."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    @property
    def label(self) -> str:
        """Title and version for lists and page headings, e.g. "Multi-agency case file audit (version 1)"."""
        return f"{self.title} (version {self.version})"


@dataclass(frozen=True)
class FieldError:
    """A problem with one answer. ``question_id`` is the answer key the message is about: a question id,
    ``<qid>__override_reason`` or ``evidence__<section_id>`` (use it as the error summary's link target)."""

    question_id: str
    message: str


@dataclass(frozen=True)
class Proposal:
    """A computed question's proposed answer (None when the dates do not allow one) and why, in plain
    English."""

    answer: str | None
    explanation: str
