"""Every rule of the default tool, "Multi-agency case file audit", as an auditor meets it."""

from __future__ import annotations

import pytest

from auditapp.tools import AuditTool, Proposal, clean_answers, section_status, validate_all, validate_section
from auditapp.tools import visible_questions as shown

from .factories import complete_answers

# Exports and trends rely on these ids: they must not change within the tool's life.
STABLE_IDS = {
    "childs_voice": ["child_seen_alone", "seen_alone_rationale", "child_views_on_plan"],
    "chronology_history": ["chronology_present", "chronology_up_to_date", "chronology_used", "history_considered"],
    "referral_assessment": ["referrer_written_response", "assessment_timely"],
    "planning": ["plan_quality", "plan_smart", "cp_plan_over_two_years"],
    "multi_agency": ["multi_agency_strategy", "core_group_attendance", "minutes_distributed_on_time"],
    "supervision_oversight": ["supervision_reflective", "management_oversight"],
    "transfer_closure": ["transfer_or_closure_appropriate"],
    "overall_judgement": ["overall_grade", "good_practice", "areas_for_development", "so_what"],
}


def errors_for(tool: AuditTool, answers: dict[str, str], proposals: dict[str, Proposal]) -> dict[str, str]:
    return {e.question_id: e.message for e in validate_all(tool=tool, answers=answers, computed=proposals)}


def visible_ids(tool: AuditTool, answers: dict[str, str]) -> list[str]:
    return [q.id for q in shown(tool=tool, answers=answers)]


def test_the_default_tool_has_the_stable_question_ids_in_its_sections(tool: AuditTool) -> None:
    assert tool.title == "Multi-agency case file audit"
    assert tool.version == 2  # version 2 adds which answer meets the standard; the questions are unchanged
    assert {s.id: [q.id for q in s.questions] for s in tool.sections} == STABLE_IDS


def test_answer_types(tool: AuditTool) -> None:
    assert tool.question("plan_quality").type == "grade"
    assert tool.question("overall_grade").type == "grade"
    assert {q.id for q in tool.questions if q.type == "text"} == {
        "seen_alone_rationale", "good_practice", "areas_for_development", "so_what",
    }  # fmt: skip
    assert {q.id for q in tool.computed_questions} == {"assessment_timely", "cp_plan_over_two_years"}
    assert tool.question("overall_grade").options == (
        ("outstanding", "Outstanding"),
        ("good", "Good"),
        ("requires_improvement", "Requires improvement"),
        ("inadequate", "Inadequate"),
    )


def test_every_section_has_an_evidence_box(tool: AuditTool) -> None:
    assert all(s.evidence.label for s in tool.sections)
    assert tool.section("childs_voice").evidence_key == "evidence__childs_voice"


def test_a_complete_audit_has_no_errors(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    assert validate_all(tool=tool, answers=complete_answers(), computed=proposals) == []


def test_an_empty_audit_names_every_required_question_in_form_order(
    tool: AuditTool, proposals: dict[str, Proposal]
) -> None:
    errors = validate_all(tool=tool, answers={}, computed=proposals)
    # Hidden questions (rationale, chronology follow-ups) are not asked for until their condition holds.
    expected = [q.id for q in tool.questions if q.id not in {"seen_alone_rationale", "chronology_up_to_date",
                                                              "chronology_used"}]  # fmt: skip
    assert [e.question_id for e in errors] == expected


def test_child_seen_alone_is_required_with_govuk_wording(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers()
    del answers["child_seen_alone"]
    assert errors_for(tool, answers, proposals) == {"child_seen_alone": "Select whether the child was seen alone"}


def test_child_seen_alone_offers_not_applicable_because_of_age_or_ability(tool: AuditTool) -> None:
    assert tool.question("child_seen_alone").options == (
        ("yes", "Yes"),
        ("no", "No"),
        ("not_applicable", "Not applicable because of the child's age or ability"),
    )


def test_the_rationale_is_hidden_when_the_child_was_seen_alone(tool: AuditTool) -> None:
    assert "seen_alone_rationale" not in visible_ids(tool, {"child_seen_alone": "yes"})
    assert "seen_alone_rationale" not in visible_ids(tool, {})


@pytest.mark.parametrize("answer", ["no", "not_applicable"])
def test_the_rationale_is_required_whenever_the_child_was_not_seen_alone(
    tool: AuditTool, proposals: dict[str, Proposal], answer: str
) -> None:
    answers = complete_answers() | {"child_seen_alone": answer}
    assert "seen_alone_rationale" in visible_ids(tool, answers)
    assert errors_for(tool, answers, proposals) == {"seen_alone_rationale": "Enter why the child was not seen alone"}
    answers["seen_alone_rationale"] = "   "  # blank after stripping is still not answered
    assert "seen_alone_rationale" in errors_for(tool, answers, proposals)
    answers["seen_alone_rationale"] = "Visits were at home with mother present; no reason recorded."
    assert errors_for(tool, answers, proposals) == {}


def test_a_rationale_left_over_from_an_earlier_answer_is_dropped(tool: AuditTool) -> None:
    answers = complete_answers() | {"seen_alone_rationale": "Too young"}
    assert "seen_alone_rationale" not in clean_answers(tool=tool, answers=answers)
    answers["child_seen_alone"] = "no"
    assert clean_answers(tool=tool, answers=answers)["seen_alone_rationale"] == "Too young"


@pytest.mark.parametrize("present", ["no", "not_applicable"])
def test_chronology_follow_ups_are_hidden_without_a_chronology(
    tool: AuditTool, proposals: dict[str, Proposal], present: str
) -> None:
    answers = complete_answers() | {"chronology_present": present}
    del answers["chronology_up_to_date"], answers["chronology_used"]
    assert {"chronology_up_to_date", "chronology_used"}.isdisjoint(visible_ids(tool, answers))
    assert errors_for(tool, answers, proposals) == {}


def test_chronology_follow_ups_are_required_when_there_is_a_chronology(
    tool: AuditTool, proposals: dict[str, Proposal]
) -> None:
    answers = complete_answers()
    del answers["chronology_up_to_date"], answers["chronology_used"]
    assert errors_for(tool, answers, proposals) == {
        "chronology_up_to_date": "Select whether the chronology is up to date",
        "chronology_used": "Select whether the chronology has been used to inform assessment and planning",
    }


def test_confirming_a_computed_answer_needs_no_reason(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    assert proposals["assessment_timely"].answer == "yes"
    assert errors_for(tool, complete_answers(), proposals) == {}


def test_overriding_a_computed_answer_needs_a_reason(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers() | {"assessment_timely": "no"}
    assert errors_for(tool, answers, proposals) == {
        "assessment_timely__override_reason": "Enter why you changed the proposed answer about the assessment timescale"
    }
    answers["assessment_timely__override_reason"] = "The imported completion date is the date it was typed up."
    assert errors_for(tool, answers, proposals) == {}


def test_overriding_the_long_plan_answer_needs_a_reason(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers() | {"cp_plan_over_two_years": "yes"}
    assert list(errors_for(tool, answers, proposals)) == ["cp_plan_over_two_years__override_reason"]


def test_no_reason_is_needed_when_there_was_no_proposal(tool: AuditTool) -> None:
    no_proposal = {"assessment_timely": Proposal(None, "No referral date is recorded for this case.")}
    answers = complete_answers() | {"assessment_timely": "no"}
    assert validate_all(tool=tool, answers=answers, computed=no_proposal) == []


def test_computed_questions_must_still_be_answered(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers()
    del answers["assessment_timely"]
    assert errors_for(tool, answers, proposals) == {
        "assessment_timely": "Select whether the assessment was completed within 45 working days"
    }


def test_the_grade_must_be_an_ofsted_grade(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers() | {"plan_quality": "excellent"}
    assert errors_for(tool, answers, proposals) == {"plan_quality": "Select one of the answers given"}


@pytest.mark.parametrize(
    ("question_id", "message"),
    [
        ("so_what", "Enter what difference the work made to this child"),
        ("overall_grade", "Select an overall grade"),
        ("good_practice", "Enter the good practice you found"),
        ("areas_for_development", "Enter the areas for development"),
        ("plan_quality", "Select a grade for the quality of the plan"),
        ("child_views_on_plan", "Select whether the child's views are reflected in the plan"),
        ("history_considered", "Select whether the family's history has been considered"),
        ("referrer_written_response", "Select whether the referrer got a written response"),
        ("plan_smart", "Select whether the plan is SMART"),
        ("multi_agency_strategy", "Select whether there was a multi-agency strategy discussion when one was needed"),
        ("core_group_attendance", "Select whether the relevant agencies attended core group meetings"),
        ("minutes_distributed_on_time", "Select whether the minutes were sent out on time"),
        ("supervision_reflective", "Select whether there is evidence of reflective supervision"),
        ("management_oversight", "Select whether there is evidence of management oversight"),
        ("transfer_or_closure_appropriate", "Select whether the case was transferred or closed appropriately"),
    ],
)
def test_each_required_question_has_its_own_message(
    tool: AuditTool, proposals: dict[str, Proposal], question_id: str, message: str
) -> None:
    answers = complete_answers()
    del answers[question_id]
    assert errors_for(tool, answers, proposals) == {question_id: message}


def test_evidence_is_optional_but_limited_in_length(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    answers = complete_answers() | {"evidence__planning": "x" * 5001}
    assert errors_for(tool, answers, proposals) == {"evidence__planning": "Evidence must be 5,000 characters or less"}


def test_section_status_follows_the_task_list_pattern(tool: AuditTool, proposals: dict[str, Proposal]) -> None:
    def status(answers: dict[str, str]) -> str:
        return section_status(tool=tool, section_id="childs_voice", answers=answers, computed=proposals)

    assert status({}) == "not_started"
    assert status({"evidence__childs_voice": "Visit of 3 May"}) == "in_progress"
    assert status({"child_seen_alone": "no", "child_views_on_plan": "yes"}) == "in_progress"
    assert status({"child_seen_alone": "no", "child_views_on_plan": "yes", "seen_alone_rationale": "Aged 1"}) == (
        "completed"
    )


def test_an_overridden_computed_answer_without_reason_leaves_its_section_in_progress(
    tool: AuditTool, proposals: dict[str, Proposal]
) -> None:
    answers = {"referrer_written_response": "yes", "assessment_timely": "no"}
    assert section_status(tool=tool, section_id="referral_assessment", answers=answers, computed=proposals) == (
        "in_progress"
    )
    errors = validate_section(tool=tool, section_id="referral_assessment", answers=answers, computed=proposals)
    assert [e.question_id for e in errors] == ["assessment_timely__override_reason"]


def test_validate_section_only_reports_its_own_questions(tool: AuditTool) -> None:
    errors = validate_section(tool=tool, section_id="chronology_history", answers={"chronology_present": "yes"})
    assert [e.question_id for e in errors] == ["chronology_up_to_date", "chronology_used", "history_considered"]


def test_an_unknown_section_is_a_key_error(tool: AuditTool) -> None:
    with pytest.raises(KeyError):
        validate_section(tool=tool, section_id="nope", answers={})
