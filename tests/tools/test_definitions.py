"""Loading tool definitions: the shipped tools, versions and fingerprints, and the errors an admin sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditapp.tools import (
    ToolDefinitionError,
    builtin_tool,
    builtin_tools,
    load_tool,
    parse_tool_json,
    tool_fingerprint,
    tool_to_json,
)

from .factories import DEFAULT_KEY, NI_KEY

JD_IDS = [
    "jd_recognition_of_need",
    "jd_assessment",
    "jd_planning_intervention",
    "jd_joint_working",
    "jd_impact_on_child",
    "jd_overall_grade",
    "jd_so_what",
]


def minimal(**question: Any) -> dict[str, Any]:
    """A small valid definition; keyword arguments replace fields of its second question."""
    second = {"id": "follow_up", "text": "Follow up?", "type": "yes_no_na"} | question
    return {
        "schema_version": 1,
        "key": "test_tool",
        "version": 1,
        "title": "Test tool",
        "kind": "agency_audit",
        "sections": [
            {
                "id": "only",
                "title": "Only section",
                "questions": [{"id": "first", "text": "First?", "type": "yes_no_na", "required": True}, second],
            }
        ],
    }


def errors_of(definition: dict[str, Any]) -> list[str]:
    with pytest.raises(ToolDefinitionError) as caught:
        load_tool(definition)
    return caught.value.errors


def test_the_shipped_tools_all_load() -> None:
    keys = {(t.key, t.version) for t in builtin_tools()}
    assert keys == {
        (DEFAULT_KEY, 1), (DEFAULT_KEY, 2), (DEFAULT_KEY, 3), (NI_KEY, 1), (NI_KEY, 2),
        ("joint_discussion", 1), ("joint_discussion", 2),
        ("domestic_abuse_case_file_audit", 1), ("neglect_case_file_audit", 1),
    }  # fmt: skip


def test_the_joint_discussion_has_its_question_ids() -> None:
    jd = builtin_tool(key="joint_discussion")
    assert jd.kind == "joint_discussion"
    assert [q.id for q in jd.questions] == JD_IDS
    assert all(q.required for q in jd.questions)
    assert jd.question("jd_overall_grade").type == "grade"


def test_the_ni59_ni60_variant_differs_only_in_its_assessment_timescales() -> None:
    default, ni = tool_to_json(builtin_tool(key=DEFAULT_KEY, version=2)), tool_to_json(builtin_tool(key=NI_KEY))
    others = [s for s in default["sections"] if s["id"] != "referral_assessment"]
    assert [s for s in ni["sections"] if s["id"] != "referral_assessment"] == others
    ni_tool = builtin_tool(key=NI_KEY)
    assert [q.id for q in ni_tool.section("referral_assessment").questions] == [
        "referrer_written_response", "assessment_timely", "core_assessment_timely",
    ]  # fmt: skip


def test_a_tool_survives_a_round_trip_through_json() -> None:
    tool = builtin_tool(key=DEFAULT_KEY)
    again = parse_tool_json(json.dumps(tool_to_json(tool), indent=4))
    assert again == tool
    assert tool_fingerprint(again) == tool_fingerprint(tool)


def test_the_fingerprint_changes_with_any_change_to_the_definition() -> None:
    definition = tool_to_json(builtin_tool(key=DEFAULT_KEY))
    before = tool_fingerprint(load_tool(definition))
    definition["sections"][0]["questions"][0]["text"] = "Was the child seen on their own?"
    assert tool_fingerprint(load_tool(definition)) != before
    assert len(before) == 64


def test_shipped_version_1_of_the_default_tool_has_not_changed() -> None:
    # Rounds pin a tool by fingerprint. Once a version has been used it must never change: to change the
    # questions, ship a new file with "version": 2 and leave this one alone. (Update this value only while
    # version 1 has never been used in a real round.)
    tool = builtin_tool(key=DEFAULT_KEY, version=1)
    assert tool_fingerprint(tool) == "80c591a483052abaf46fc4d40c6caf6cd0177acca9f6218e0575723d227db2e0"


def test_load_tool_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "test_tool.v1.json"
    path.write_text(json.dumps(minimal()), encoding="utf-8")
    assert load_tool(path).key == "test_tool"


def test_loading_does_not_keep_a_reference_to_the_callers_dict() -> None:
    definition = minimal()
    tool = load_tool(definition)
    definition["title"] = "Changed"
    assert tool.title == "Test tool"
    assert tool_to_json(tool)["title"] == "Test tool"


def test_an_unknown_builtin_tool_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        builtin_tool(key="nope")
    with pytest.raises(KeyError):
        builtin_tool(key=DEFAULT_KEY, version=99)


def test_duplicate_question_id() -> None:
    assert errors_of(minimal(id="first")) == [
        "sections[0].questions[1].id: duplicate question id 'first' (first used at sections[0].questions[0])"
    ]


def test_duplicate_section_id() -> None:
    definition = minimal()
    definition["sections"].append(
        {"id": "only", "title": "Again", "questions": [{"id": "third", "text": "Third?", "type": "text"}]}
    )
    assert errors_of(definition) == ["sections[1].id: duplicate section id 'only' (first used at sections[0])"]


def test_unknown_condition_target() -> None:
    assert errors_of(minimal(show_when={"question": "missing", "in": ["yes"]})) == [
        "sections[0].questions[1].show_when.question: 'missing' is not a question earlier in the tool"
    ]


def test_a_condition_cannot_look_forward() -> None:
    definition = minimal()
    definition["sections"][0]["questions"][0]["show_when"] = {"question": "follow_up", "in": ["yes"]}
    assert errors_of(definition) == [
        "sections[0].questions[0].show_when.question: 'follow_up' is not a question earlier in the tool"
    ]


def test_condition_on_an_answer_the_question_does_not_have() -> None:
    assert errors_of(minimal(required_when={"question": "first", "in": ["maybe"]})) == [
        "sections[0].questions[1].required_when.in: 'maybe' is not an answer to 'first' "
        "(answers: yes, no, not_applicable)"
    ]


def test_condition_needs_exactly_one_of_in_and_not_in() -> None:
    both = minimal(show_when={"question": "first", "in": ["yes"], "not_in": ["no"]})
    assert errors_of(both) == ["sections[0].questions[1].show_when: give either 'in' or 'not_in' (exactly one)"]


def test_condition_on_a_free_text_question() -> None:
    definition = minimal(show_when={"question": "first", "in": ["x"]})
    definition["sections"][0]["questions"][0]["type"] = "text"
    assert errors_of(definition) == [
        "sections[0].questions[1].show_when.question: 'first' is a 'text' question; conditions can only refer "
        "to yes/no/not applicable, choice or grade questions"
    ]


def test_unknown_answer_type() -> None:
    assert errors_of(minimal(type="colour")) == [
        "sections[0].questions[1].type ('follow_up'): unknown answer type 'colour'; use one of: yes_no_na, "
        "choice, grade, date, number, text"
    ]


def test_missing_required_key() -> None:
    definition = minimal()
    del definition["sections"][0]["questions"][1]["text"]
    del definition["title"]
    assert errors_of(definition) == [
        "(top level): 'title' is missing",
        "sections[0].questions[1] ('follow_up'): 'text' is missing",
    ]


def test_a_choice_question_needs_options_and_others_may_not_have_them() -> None:
    assert errors_of(minimal(type="choice")) == ["sections[0].questions[1] ('follow_up'): 'options' is missing"]
    options = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    assert errors_of(minimal(options=options)) == [
        "sections[0].questions[1].options: only allowed on 'choice' questions, not 'yes_no_na'"
    ]


def test_unknown_field_and_bad_identifier() -> None:
    assert errors_of(minimal(id="Follow Up", colour="red")) == [
        "sections[0].questions[1] ('Follow Up'): Additional properties are not allowed ('colour' was unexpected)",
        "sections[0].questions[1].id ('Follow Up'): 'Follow Up' must be lower-case letters, digits and single "
        "underscores, starting with a letter",
    ]


def test_computed_rule_on_an_unknown_case_date() -> None:
    computed = {"kind": "working_days_within", "start": "referral_date", "end": "birthday", "limit": 7}
    assert errors_of(minimal(computed=computed)) == [
        "sections[0].questions[1].computed.end: 'birthday' is not a known case date (known: referral_date, "
        "assessment_start_date, assessment_completed_date, initial_assessment_completed_date, "
        "core_assessment_start_date, core_assessment_completed_date, strategy_discussion_date, "
        "initial_child_protection_conference_date, first_core_group_date, review_conference_date, "
        "cp_plan_start_date, cp_plan_end_date, case_closed_date)"
    ]


def test_a_working_days_rule_needs_a_limit() -> None:
    computed = {"kind": "working_days_within", "start": "referral_date", "end": "assessment_completed_date"}
    assert errors_of(minimal(computed=computed)) == [
        "sections[0].questions[1].computed ('follow_up'): 'limit' is missing"
    ]


def test_required_and_required_when_together() -> None:
    assert errors_of(minimal(required=True, required_when={"question": "first", "in": ["no"]})) == [
        "sections[0].questions[1]: give either 'required: true' or 'required_when', not both"
    ]


def test_every_problem_is_reported_at_once() -> None:
    definition = minimal(id="first", show_when={"question": "nowhere", "in": ["yes"]})
    assert len(errors_of(definition)) == 2


def test_invalid_json_text_reports_line_and_column() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        parse_tool_json('{"key": "x",\n  oops}', name="upload.json")
    assert caught.value.errors == [
        "upload.json: not valid JSON (line 2 column 3: Expecting property name enclosed in double quotes)"
    ]


def test_a_json_array_is_not_a_definition() -> None:
    with pytest.raises(ToolDefinitionError, match="must be a JSON object"):
        parse_tool_json("[]")


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ToolDefinitionError, match="cannot be read"):
        load_tool(tmp_path / "missing.json")


def test_version_2_of_the_shipped_tools_differs_from_version_1_only_in_which_answer_meets_the_standard() -> None:
    # Version 1 is frozen (rounds pin it); version 2 says that "yes" to "on a plan for 2 years or more" is a
    # concern, so "no" meets the standard. Every other question keeps the default, "yes".
    for key in (DEFAULT_KEY, NI_KEY):
        old, new = builtin_tool(key=key, version=1), builtin_tool(key=key, version=2)
        assert [(q.id, q.text, q.type) for q in old.questions] == [(q.id, q.text, q.type) for q in new.questions]
        assert {q.meets_standard for q in old.questions} == {"yes"}
        assert {q.id for q in new.questions if q.meets_standard != "yes"} == {"cp_plan_over_two_years"}
        assert new.question("cp_plan_over_two_years").meets_standard == "no"


def test_meets_standard_is_only_yes_or_no_and_only_on_yes_no_questions() -> None:
    assert errors_of(minimal(meets_standard="maybe"))
    assert errors_of(minimal(type="text", meets_standard="no")) == [
        "sections[0].questions[1].meets_standard: only allowed on 'yes_no_na' questions, not 'text'"
    ]
    assert load_tool(minimal(meets_standard="no")).question("follow_up").meets_standard == "no"
