"""Agency sections in the engine: a question or a section asked only of some kinds of agency, how a tool narrows to
one agency's audit, and the conditions the checker refuses because they could never be shown."""

from __future__ import annotations

from typing import Any

import pytest

from auditapp.models.org import AgencyKind
from auditapp.tools import (
    AGENCY_KINDS,
    AuditTool,
    ToolDefinitionError,
    load_tool,
    tool_fingerprint,
    validate_all,
    visible_questions,
)


def definition(**extra: Any) -> dict[str, Any]:
    """A tool with a question for every agency, a health-only and a police-only question, and a police section."""
    return {
        "schema_version": 1,
        "key": "agency_test",
        "version": 1,
        "title": "Agency test",
        "kind": "agency_audit",
        "sections": [
            {
                "id": "practice",
                "title": "Practice",
                "questions": [
                    {"id": "child_seen", "text": "Was the child seen?", "type": "yes_no_na", "required": True},
                    {
                        "id": "health_needs",
                        "text": "Were the child's health needs met?",
                        "type": "yes_no_na",
                        "required": True,
                        "agencies": ["health"],
                    },
                    {
                        "id": "police_checks",
                        "text": "Were police checks made?",
                        "type": "yes_no_na",
                        "required": True,
                        "agencies": ["police", "social_care"],
                    },
                ],
            },
            {
                "id": "custody",
                "title": "Custody",
                "agencies": ["police"],
                "questions": [
                    {
                        "id": "custody_record",
                        "text": "Was a custody record kept?",
                        "type": "yes_no_na",
                        "required": True,
                    }
                ],
            },
        ],
    } | extra


@pytest.fixture
def tool() -> AuditTool:
    return load_tool(definition())


def test_the_agency_kinds_are_those_of_the_agencies() -> None:
    assert set(AGENCY_KINDS) == {kind.value for kind in AgencyKind}


def test_a_section_limit_passes_to_its_questions(tool: AuditTool) -> None:
    assert tool.question("custody_record").agencies == ("police",)
    assert tool.question("child_seen").agencies == ()
    assert tool.has_agency_sections


def test_a_health_audit_is_asked_the_health_question_and_not_the_police_ones(tool: AuditTool) -> None:
    health = tool.for_agency("health")
    assert [q.id for q in health.questions] == ["child_seen", "health_needs"]
    assert [s.id for s in health.sections] == ["practice"]  # the police section is left with nothing: dropped
    assert health.agency_kind == "health"


def test_a_police_audit_keeps_its_own_section(tool: AuditTool) -> None:
    police = tool.for_agency("police")
    assert [q.id for q in police.questions] == ["child_seen", "police_checks", "custody_record"]
    assert [s.id for s in police.sections] == ["practice", "custody"]


def test_an_agency_of_unknown_kind_is_asked_only_the_questions_for_every_agency(tool: AuditTool) -> None:
    unknown = tool.for_agency(None)
    assert [q.id for q in unknown.questions] == ["child_seen"]
    assert tool.question("child_seen").asked_of(None)
    assert not tool.question("health_needs").asked_of(None)
    assert tool.question("police_checks").asked_of("social_care")


def test_narrowing_keeps_the_whole_definition_and_fingerprint(tool: AuditTool) -> None:
    health = tool.for_agency("health")
    assert health.definition == tool.definition
    assert tool_fingerprint(health) == tool_fingerprint(tool)
    assert (health.key, health.version) == (tool.key, tool.version)


def test_a_narrowed_audit_is_complete_without_the_other_agencies_answers(tool: AuditTool) -> None:
    answers = {"child_seen": "yes", "health_needs": "no"}
    assert validate_all(tool=tool.for_agency("health"), answers=answers) == []
    # The whole tool would want the police answers too.
    assert {e.question_id for e in validate_all(tool=tool, answers=answers)} == {"police_checks", "custody_record"}
    assert [q.id for q in visible_questions(tool=tool.for_agency("health"), answers=answers)] == [
        "child_seen",
        "health_needs",
    ]


def test_a_tool_without_agencies_is_not_narrowed() -> None:
    whole = load_tool(
        definition(
            sections=[definition()["sections"][0] | {"questions": [{"id": "a", "text": "A?", "type": "yes_no_na"}]}]
        )
    )
    assert not whole.has_agency_sections
    assert whole.for_agency("police").questions == whole.questions


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ToolDefinitionError) as caught:
        load_tool(data)
    return caught.value.errors


def test_a_condition_on_a_question_other_agencies_are_not_asked_is_refused_with_its_path() -> None:
    data = definition()
    data["sections"][0]["questions"].append(
        {
            "id": "health_follow_up",
            "text": "Was the follow-up done?",
            "type": "yes_no_na",
            "show_when": {"question": "health_needs", "in": ["no"]},
        }
    )
    assert _errors(data) == [
        "sections[0].questions[3].show_when.question: 'health_needs' is asked only of health, but this question "
        "is asked of every agency: it could never be shown"
    ]


def test_a_condition_asked_of_more_agencies_than_its_target_is_refused() -> None:
    data = definition()
    data["sections"][1]["questions"].append(
        {
            "id": "custody_detail",
            "text": "Detail?",
            "type": "text",
            "agencies": ["police", "health"],
            "required_when": {"question": "custody_record", "in": ["no"]},
        }
    )
    assert _errors(data) == [
        "sections[1].questions[1].required_when.question: 'custody_record' is asked only of police, but this "
        "question is asked of health, police: it could never be shown"
    ]


def test_a_condition_within_the_same_agencies_is_allowed() -> None:
    data = definition()
    data["sections"][1]["questions"].append(
        {
            "id": "custody_detail",
            "text": "Detail?",
            "type": "text",
            "show_when": {"question": "custody_record", "in": ["no"]},
        }
    )
    police = load_tool(data).for_agency("police")
    assert [q.id for q in visible_questions(tool=police, answers={"custody_record": "no"})][-1] == "custody_detail"


def test_an_unknown_agency_kind_is_refused() -> None:
    data = definition()
    data["sections"][0]["questions"][1]["agencies"] = ["hospital"]
    errors = _errors(data)
    assert len(errors) == 1
    assert errors[0].startswith("sections[0].questions[1].agencies")
