"""Which questions are shown, which are required, and whether the answers given are valid.

Answers are a plain ``dict`` of answer key -> string: a question id for its answer (dates as ISO
``YYYY-MM-DD``, numbers as decimal text, enumerated answers as the option value), ``<qid>__override_reason``
for the reason a computed answer was changed, and ``evidence__<section_id>`` for a section's evidence box.
A missing key, or a value that is blank after stripping, is "not answered".

Conditions are evaluated in form order: a question is shown only when the question its condition refers to is
itself shown and has one of the given answers. Answers to hidden questions are ignored (and dropped by
:func:`clean_answers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from auditapp.vocabulary import SectionStatus

from .model import (
    DATE,
    ENUMERATED_TYPES,
    NUMBER,
    TEXT,
    AuditTool,
    Evidence,
    FieldError,
    Proposal,
    Question,
    Section,
    override_key,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

_DEFAULT_REQUIRED = {DATE: "Enter a date", NUMBER: "Enter a number", TEXT: "Enter an answer"}
DEFAULT_OVERRIDE_REASON_ERROR = "Enter why you changed the proposed answer"


def _value(answers: Mapping[str, str], key: str) -> str:
    value = answers.get(key)
    return value.strip() if isinstance(value, str) else ""


def _visible_ids(tool: AuditTool, answers: Mapping[str, str]) -> set[str]:
    visible: set[str] = set()
    for question in tool.questions:
        condition = question.show_when
        if condition is None or (
            condition.question_id in visible and condition.is_met(_value(answers, condition.question_id))
        ):
            visible.add(question.id)
    return visible


def _settled_hidden_ids(tool: AuditTool, answers: Mapping[str, str], *, undecided: set[str]) -> set[str]:
    """The questions already known to be hidden: their condition's question is answered otherwise, or is itself
    hidden. A condition on a question in ``undecided`` (the page being filled in) is not settled yet."""
    hidden: set[str] = set()
    for question in tool.questions:
        condition = question.show_when
        if condition is None:
            continue
        if condition.question_id in hidden:
            hidden.add(question.id)
        elif condition.question_id not in undecided:
            value = _value(answers, condition.question_id)
            if value and not condition.is_met(value):
                hidden.add(question.id)
    return hidden


def _page_plan(tool: AuditTool, section_id: str, answers: Mapping[str, str]) -> tuple[list[Question], set[str]]:
    """The questions a section's page asks, and the questions on other pages whose answers it still waits for."""
    section = tool.section(section_id)
    here = {q.id for q in section.questions}
    visible = _visible_ids(tool, answers)
    asked: set[str] = set()
    waiting: set[str] = set()
    for question in section.questions:
        condition = question.show_when
        if condition is None:
            asked.add(question.id)
        elif condition.question_id in here:
            if condition.question_id in asked:  # decided on this page: asked, its condition shown as a hint
                asked.add(question.id)
        elif condition.question_id in visible and _value(answers, condition.question_id):
            if condition.is_met(_value(answers, condition.question_id)):
                asked.add(question.id)
        elif condition.question_id not in _settled_hidden_ids(tool, answers, undecided=set()):
            waiting.add(condition.question_id)
    return [q for q in section.questions if q.id in asked], waiting


def questions_to_ask(*, tool: AuditTool, section_id: str, answers: Mapping[str, str]) -> list[Question]:
    """The questions a section's page asks, given the answers saved so far. A question whose condition is on
    another page is asked only once that page's answer meets it (a routing answer such as "never on a child
    protection plan" settles a later page); until that answer is given it is not asked, so nothing typed here
    is dropped for want of it (see :func:`waiting_on`). A condition on a question of the same page is left to
    the auditor: the page has no script, so the question shows its condition as a hint, and an answer to a
    question that turns out hidden is dropped on saving. Raises KeyError for an unknown section."""
    return _page_plan(tool, section_id, answers)[0]


def waiting_on(*, tool: AuditTool, section_id: str, answers: Mapping[str, str]) -> list[Section]:
    """The other sections whose unanswered questions decide whether some of this section's questions are asked
    (in tool order: the page says "answer these first")."""
    questions = _page_plan(tool, section_id, answers)[1]
    ids = {tool.question(qid).section_id for qid in questions}
    return [s for s in tool.sections if s.id in ids]


def visible_questions(*, tool: AuditTool, answers: Mapping[str, str]) -> list[Question]:
    """Return the questions shown for these answers, in form order."""
    visible = _visible_ids(tool, answers)
    return [q for q in tool.questions if q.id in visible]


def _is_required(question: Question, answers: Mapping[str, str], visible: set[str]) -> bool:
    if question.id not in visible:
        return False
    condition = question.required_when
    if condition is None:
        return question.required
    return condition.question_id in visible and condition.is_met(_value(answers, condition.question_id))


def is_required(*, tool: AuditTool, question_id: str, answers: Mapping[str, str]) -> bool:
    """Whether a question must be answered given the other answers (never when it is hidden)."""
    return _is_required(tool.question(question_id), answers, _visible_ids(tool, answers))


def _type_error(question: Question, value: str) -> str | None:
    """The message for an answer of the wrong form, or None when it is acceptable."""
    if question.type in ENUMERATED_TYPES:
        return None if value in question.option_values else "Select one of the answers given"
    if question.type == DATE:
        return None if _is_real_date(value) else "Enter a real date"
    if question.type == NUMBER:
        return _number_error(question, value)
    if question.max_length is not None and len(value) > question.max_length:
        return f"Your answer must be {question.max_length:,} characters or less"
    return None


def _is_real_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _number_error(question: Question, value: str) -> str | None:
    text = value.replace(",", "")
    if not _NUMBER.match(text):
        return "Enter a whole number" if question.integer else "Enter a number"
    number = float(text)
    if question.integer and not number.is_integer():
        return "Enter a whole number"
    if question.minimum is not None and number < question.minimum:
        return f"Enter a number that is {question.minimum:g} or more"
    if question.maximum is not None and number > question.maximum:
        return f"Enter a number that is {question.maximum:g} or less"
    return None


def _question_errors(
    question: Question, answers: Mapping[str, str], visible: set[str], computed: Mapping[str, Proposal]
) -> list[FieldError]:
    value = _value(answers, question.id)
    if not value:
        if not _is_required(question, answers, visible):
            return []
        default = "Select an answer" if question.type in ENUMERATED_TYPES else _DEFAULT_REQUIRED[question.type]
        return [FieldError(question.id, question.error_required or default)]
    problem = _type_error(question, value)
    if problem:
        return [FieldError(question.id, problem)]
    proposal = computed.get(question.id)
    changed = question.computed is not None and proposal is not None and proposal.answer not in (None, value)
    if changed and not _value(answers, override_key(question.id)):
        message = question.error_override_reason or DEFAULT_OVERRIDE_REASON_ERROR
        return [FieldError(override_key(question.id), message)]
    return []


def _evidence_errors(section: Section, answers: Mapping[str, str]) -> list[FieldError]:
    evidence: Evidence = section.evidence
    value = _value(answers, section.evidence_key)
    if not value and evidence.required:
        return [FieldError(section.evidence_key, evidence.error_required or "Enter the evidence for this section")]
    if evidence.max_length is not None and len(value) > evidence.max_length:
        return [FieldError(section.evidence_key, f"Evidence must be {evidence.max_length:,} characters or less")]
    return []


def _errors(
    tool: AuditTool, sections: Iterable[Section], answers: Mapping[str, str], computed: Mapping[str, Proposal]
) -> list[FieldError]:
    visible = _visible_ids(tool, answers)
    errors: list[FieldError] = []
    for section in sections:
        for question in section.questions:
            errors.extend(_question_errors(question, answers, visible, computed))
        errors.extend(_evidence_errors(section, answers))
    return errors


def validate_section(
    *,
    tool: AuditTool,
    section_id: str,
    answers: Mapping[str, str],
    computed: Mapping[str, Proposal] | None = None,
) -> list[FieldError]:
    """Check one section's answers (required, conditions, answer form, override reasons), in form order.

    Conditions may refer to questions in other sections, so ``answers`` should hold the whole audit.
    ``computed`` (from :func:`compute_proposals`) enables the override-reason check. Raises KeyError for an
    unknown section.
    """
    return _errors(tool, [tool.section(section_id)], answers, computed or {})


def validate_all(
    *, tool: AuditTool, answers: Mapping[str, str], computed: Mapping[str, Proposal] | None = None
) -> list[FieldError]:
    """Check every answer before submission; return every problem in form order (empty: ready to submit).

    Covers required questions, conditional requirements (for example the rationale when a child was not seen
    alone), answer form (real date, number within limits, one of the options, length) and, for a computed
    question answered differently from its proposal, the reason for overriding it.
    """
    return _errors(tool, tool.sections, answers, computed or {})


def section_status(
    *,
    tool: AuditTool,
    section_id: str,
    answers: Mapping[str, str],
    computed: Mapping[str, Proposal] | None = None,
) -> SectionStatus:
    """Task-list status of a section: NOT_NEEDED when answers elsewhere hide every question of it (and its evidence
    is optional and empty), NOT_STARTED when nothing in it is answered (evidence included), COMPLETED when it is
    answered and has no errors, otherwise IN_PROGRESS. Raises KeyError for an unknown section."""
    section = tool.section(section_id)
    visible = _visible_ids(tool, answers)
    keys = [q.id for q in section.questions if q.id in visible]
    keys += [override_key(q.id) for q in section.questions if q.id in visible and q.computed]
    keys.append(section.evidence_key)
    if not any(_value(answers, key) for key in keys):
        hidden = _settled_hidden_ids(tool, answers, undecided=set())
        if not section.evidence.required and all(q.id in hidden for q in section.questions):
            return SectionStatus.NOT_NEEDED
        return SectionStatus.NOT_STARTED
    if validate_section(tool=tool, section_id=section_id, answers=answers, computed=computed):
        return SectionStatus.IN_PROGRESS
    return SectionStatus.COMPLETED


def clean_answers(*, tool: AuditTool, answers: Mapping[str, str]) -> dict[str, str]:
    """Return the answers worth storing: stripped, blanks dropped, keeping only shown questions, their
    override reasons and the tool's evidence boxes (answers to questions hidden by a condition go)."""
    visible = _visible_ids(tool, answers)
    allowed = set(visible)
    allowed |= {override_key(q.id) for q in tool.computed_questions if q.id in visible}
    allowed |= {s.evidence_key for s in tool.sections}
    cleaned = {}
    for key, raw in answers.items():
        value = raw.strip() if isinstance(raw, str) else ""
        if key in allowed and value:
            cleaned[key] = value
    return cleaned
