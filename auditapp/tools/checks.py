"""Checks on a tool definition that a JSON Schema cannot express, with messages an admin can act on.

Run only after the definition has passed the schema, so the structure (types, required keys) can be trusted.
Every message starts with the path to the offending element.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .model import (
    CASE_DATE_FIELDS,
    CHOICE,
    ENUMERATED_TYPES,
    GRADE_OPTIONS,
    NUMBER,
    TEXT,
    YES_NO_NA,
    YES_NO_NA_OPTIONS,
)

# Fields that only make sense for some answer types: field -> the types that may have it.
_TYPE_ONLY_FIELDS: dict[str, tuple[str, ...]] = {
    "options": (CHOICE,),
    "labels": (YES_NO_NA,),
    "computed": (YES_NO_NA,),
    "meets_standard": (YES_NO_NA,),
    "min": (NUMBER,),
    "max": (NUMBER,),
    "integer": (NUMBER,),
    "max_length": (TEXT,),
}


def raw_option_values(question: dict[str, Any]) -> tuple[str, ...]:
    """The answer values a raw question definition allows (empty for free-form types)."""
    qtype = question["type"]
    if qtype == YES_NO_NA:
        return tuple(v for v, _ in YES_NO_NA_OPTIONS)
    if qtype == "grade":
        return tuple(v for v, _ in GRADE_OPTIONS)
    if qtype == CHOICE:
        return tuple(o["value"] for o in question.get("options", []))
    return ()


def _questions_with_paths(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for s_index, section in enumerate(data["sections"]):
        for q_index, question in enumerate(section["questions"]):
            yield f"sections[{s_index}].questions[{q_index}]", question


def semantic_errors(data: dict[str, Any]) -> list[str]:
    """Return every semantic problem in a schema-valid definition (an empty list when there is none)."""
    errors = _duplicate_section_ids(data) + _grade_scale_errors(data)
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, question in _questions_with_paths(data):
        qid = question["id"]
        if qid in seen:
            errors.append(f"{path}.id: duplicate question id '{qid}' (first used at {seen[qid][0]})")
        errors.extend(_field_errors(path, question))
        for key in ("show_when", "required_when"):
            if key in question:
                errors.extend(_condition_errors(f"{path}.{key}", question[key], seen))
                errors.extend(_agency_errors(f"{path}.{key}", data, question, question[key], seen))
        if question.get("required") is True and "required_when" in question:
            errors.append(f"{path}: give either 'required: true' or 'required_when', not both")
        if "computed" in question:
            errors.extend(_computed_errors(f"{path}.computed", question["computed"]))
        seen.setdefault(qid, (path, question))
    return errors


def _grade_scale_errors(data: dict[str, Any]) -> list[str]:
    scale = data.get("grade_scale")
    if scale is None:
        return []
    values = [level["value"] for level in scale["levels"]]
    expected = [v for v, _ in GRADE_OPTIONS]
    if values != expected:
        return [
            f"grade_scale.levels: the values must be {', '.join(expected)}, in that order (best first); "
            "rename a level with its label"
        ]
    return []


def _agencies_of(data: dict[str, Any], question: dict[str, Any]) -> set[str]:
    """The agency kinds a raw question is asked of (empty: every agency)."""
    if question.get("agencies"):
        return set(question["agencies"])
    for section in data["sections"]:
        if any(q is question for q in section["questions"]):
            return set(section.get("agencies") or ())
    return set()


def _agency_errors(
    path: str,
    data: dict[str, Any],
    question: dict[str, Any],
    condition: dict[str, Any],
    earlier: dict[str, tuple[str, dict[str, Any]]],
) -> list[str]:
    if condition["question"] not in earlier:
        return []  # reported by _condition_errors
    target = _agencies_of(data, earlier[condition["question"]][1])
    mine = _agencies_of(data, question)
    if target and (not mine or not mine <= target):
        asked = ", ".join(sorted(mine)) if mine else "every agency"
        return [
            f"{path}.question: '{condition['question']}' is asked only of {', '.join(sorted(target))}, "
            f"but this question is asked of {asked}: it could never be shown"
        ]
    return []


def _duplicate_section_ids(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    first: dict[str, int] = {}
    for index, section in enumerate(data["sections"]):
        sid = section["id"]
        if sid in first:
            errors.append(f"sections[{index}].id: duplicate section id '{sid}' (first used at sections[{first[sid]}])")
        first.setdefault(sid, index)
    return errors


def _field_errors(path: str, question: dict[str, Any]) -> list[str]:
    errors = []
    qtype = question["type"]
    for name, types in _TYPE_ONLY_FIELDS.items():
        if name in question and qtype not in types:
            allowed = " or ".join(f"'{t}'" for t in types)
            errors.append(f"{path}.{name}: only allowed on {allowed} questions, not '{qtype}'")
    if qtype == CHOICE:
        values = [o["value"] for o in question["options"]]
        for value in sorted({v for v in values if values.count(v) > 1}):
            errors.append(f"{path}.options: duplicate option value '{value}'")
    if "min" in question and "max" in question and question["min"] > question["max"]:
        errors.append(f"{path}: 'min' ({question['min']}) is greater than 'max' ({question['max']})")
    return errors


def _condition_errors(
    path: str, condition: dict[str, Any], earlier: dict[str, tuple[str, dict[str, Any]]]
) -> list[str]:
    has_in, has_not_in = "in" in condition, "not_in" in condition
    if has_in == has_not_in:
        return [f"{path}: give either 'in' or 'not_in' (exactly one)"]
    target = condition["question"]
    if target not in earlier:
        # Conditions may only look back: this keeps the form readable and rules out cycles.
        return [f"{path}.question: '{target}' is not a question earlier in the tool"]
    target_question = earlier[target][1]
    if target_question["type"] not in ENUMERATED_TYPES:
        return [
            f"{path}.question: '{target}' is a '{target_question['type']}' question; conditions can only "
            "refer to yes/no/not applicable, choice or grade questions"
        ]
    allowed = raw_option_values(target_question)
    key = "in" if has_in else "not_in"
    return [
        f"{path}.{key}: '{value}' is not an answer to '{target}' (answers: {', '.join(allowed)})"
        for value in condition[key]
        if value not in allowed
    ]


def _computed_errors(path: str, computed: dict[str, Any]) -> list[str]:
    errors = []
    known = ", ".join(CASE_DATE_FIELDS)
    for key in ("start", "end"):
        if computed[key] not in CASE_DATE_FIELDS:
            errors.append(f"{path}.{key}: '{computed[key]}' is not a known case date (known: {known})")
    if computed["start"] == computed["end"]:
        errors.append(f"{path}: 'start' and 'end' must be different case dates")
    fallback = computed.get("when_start_missing")
    answers = [v for v, _ in YES_NO_NA_OPTIONS]
    if fallback is not None and fallback not in answers:
        errors.append(f"{path}.when_start_missing: '{fallback}' is not one of: {', '.join(answers)}")
    return errors
