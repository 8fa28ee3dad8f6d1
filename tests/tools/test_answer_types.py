"""Answer types and conditions, on a small test definition that uses every type."""

from __future__ import annotations

import pytest

from auditapp.tools import AuditTool, clean_answers, is_required, load_tool, section_status, validate_all

DEFINITION = {
    "schema_version": 1,
    "key": "every_type",
    "version": 1,
    "title": "Every answer type",
    "kind": "agency_audit",
    "sections": [
        {
            "id": "visits",
            "title": "Visits",
            "evidence": {"label": "Evidence", "required": True, "error_required": "Enter the evidence for visits"},
            "questions": [
                {
                    "id": "visit_pattern",
                    "text": "How often was the child visited?",
                    "type": "choice",
                    "required": True,
                    "options": [
                        {"value": "weekly", "label": "Every week"},
                        {"value": "monthly", "label": "Every month"},
                        {"value": "rarely", "label": "Less often"},
                    ],
                    "error_required": "Select how often the child was visited",
                },
                {
                    "id": "last_visit",
                    "text": "When was the last visit?",
                    "type": "date",
                    "required_when": {"question": "visit_pattern", "in": ["rarely"]},
                    "error_required": "Enter the date of the last visit",
                },
                {
                    "id": "visits_missed",
                    "text": "How many visits were missed?",
                    "type": "number",
                    "integer": True,
                    "min": 0,
                    "max": 52,
                },
                {"id": "hours_direct_work", "text": "Hours of direct work", "type": "number", "min": 0},
                {"id": "notes", "text": "Notes", "type": "text", "max_length": 10},
                {"id": "quality", "text": "Quality of visits", "type": "grade"},
            ],
        },
        {
            "id": "optional",
            "title": "Optional extras",
            "questions": [{"id": "comment", "text": "Any comment?", "type": "text"}],
        },
    ],
}


@pytest.fixture
def every_type() -> AuditTool:
    return load_tool(DEFINITION)


def errors(tool: AuditTool, **answers: str) -> dict[str, str]:
    base = {"visit_pattern": "weekly", "evidence__visits": "Case notes"}
    return {e.question_id: e.message for e in validate_all(tool=tool, answers=base | answers)}


def test_valid_answers_of_every_type(every_type: AuditTool) -> None:
    assert errors(every_type, last_visit="2024-02-29", visits_missed="3", hours_direct_work="1,250.5",
                  notes="short", quality="requires_improvement") == {}  # fmt: skip


def test_choice_must_be_one_of_the_options(every_type: AuditTool) -> None:
    assert errors(every_type, visit_pattern="daily") == {"visit_pattern": "Select one of the answers given"}
    assert every_type.question("visit_pattern").option_label("rarely") == "Less often"


@pytest.mark.parametrize("value", ["2023-02-29", "29/02/2024", "2024-2-1", "20240201", "yesterday"])
def test_date_must_be_a_real_iso_date(every_type: AuditTool, value: str) -> None:
    assert errors(every_type, last_visit=value) == {"last_visit": "Enter a real date"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("three", "Enter a whole number"),
        ("2.5", "Enter a whole number"),
        ("-1", "Enter a number that is 0 or more"),
        ("53", "Enter a number that is 52 or less"),
        ("1e3", "Enter a whole number"),
    ],
)
def test_whole_number_with_limits(every_type: AuditTool, value: str, message: str) -> None:
    assert errors(every_type, visits_missed=value) == {"visits_missed": message}


def test_decimal_number(every_type: AuditTool) -> None:
    assert errors(every_type, hours_direct_work="lots") == {"hours_direct_work": "Enter a number"}
    assert errors(every_type, hours_direct_work="-0.5") == {"hours_direct_work": "Enter a number that is 0 or more"}


def test_text_length_limit(every_type: AuditTool) -> None:
    assert errors(every_type, notes="x" * 11) == {"notes": "Your answer must be 10 characters or less"}


def test_required_evidence(every_type: AuditTool) -> None:
    answers = {"visit_pattern": "weekly"}
    assert [(e.question_id, e.message) for e in validate_all(tool=every_type, answers=answers)] == [
        ("evidence__visits", "Enter the evidence for visits")
    ]


def test_required_when_another_answer_is_given(every_type: AuditTool) -> None:
    assert not is_required(tool=every_type, question_id="last_visit", answers={"visit_pattern": "weekly"})
    assert is_required(tool=every_type, question_id="last_visit", answers={"visit_pattern": "rarely"})
    assert errors(every_type, visit_pattern="rarely") == {"last_visit": "Enter the date of the last visit"}


def test_a_section_of_optional_questions_is_not_started_until_something_is_entered(every_type: AuditTool) -> None:
    assert section_status(tool=every_type, section_id="optional", answers={}) == "not_started"
    assert section_status(tool=every_type, section_id="optional", answers={"comment": "Fine"}) == "completed"


def test_clean_answers_strips_and_drops_blank_and_unknown_keys(every_type: AuditTool) -> None:
    answers = {"visit_pattern": " weekly ", "notes": "  ", "made_up": "x", "evidence__visits": "Notes"}
    assert clean_answers(tool=every_type, answers=answers) == {"visit_pattern": "weekly", "evidence__visits": "Notes"}
