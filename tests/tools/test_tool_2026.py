"""The 2026 default tool (multi_agency_case_file_audit version 3) and the two themed tools, as an auditor meets
them: what is covered, what each agency is asked, the routing, and complete audits that validate."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from auditapp.tools import (
    AuditTool,
    Proposal,
    builtin_tool,
    compute_proposals,
    tool_to_json,
    validate_all,
    visible_questions,
)

from .factories import DEFAULT_KEY

AGENCY_SECTIONS = {
    "police": ["police_da_children_present", "operation_encompass_next_day"],
    "health": ["was_not_brought_followed_up", "gp_involved", "health_assessment_depth", "urgent_care_knows_cp_plan"],
    "education": ["dsl_involved", "safeguarding_records_kept", "attendance_monitored"],
    "probation": ["probation_risk_to_children", "probation_child_safeguarding_checks"],
    "housing": ["housing_moves_shared", "housing_impact_considered"],
}

# The practitioner's list (issue 15) -> the questions that cover each item. docs/audit-tool-2026.md is the
# same table in words; this test reads the tool's ids, so a renamed or dropped question fails here.
COVERAGE: dict[str, list[str]] = {
    "Haringey 2: threshold applied at referral": ["threshold_applied_correctly"],
    "Haringey 8: translation and interpretation": ["interpreter_used"],
    "Haringey 10: depth of health assessments": ["health_assessment_depth"],
    "Haringey 12: police notifications state children present and impact": ["police_da_children_present"],
    "Haringey 13: early help offered, early help assessment or CAF": ["early_help_offered", "early_help_assessment"],
    "Haringey 15: challenge of decisions": ["decisions_challenged"],
    "Haringey 16: A&E and urgent care know of the CP plan": ["urgent_care_knows_cp_plan"],
    "Haringey 19: child in care seen alone away from the placement": ["looked_after_seen_alone_away"],
    "Haringey 35: named lead professional for early help": ["early_help_lead_professional"],
    "lived experience": ["lived_experience_recorded", "child_voice_recorded"],
    "seen alone, with the reason when not": ["child_seen_alone", "seen_alone_rationale"],
    "pre-verbal and non-verbal children observed": ["child_communication", "child_observed", "communication_aids"],
    "consulted on the plan": ["child_consulted_on_plan", "child_helped_to_understand_plan"],
    "identity, culture, disability and language": ["identity_considered", "disability_considered"],
    "professional interpreters": ["interpreter_used"],
    "other children in the household": ["other_children_considered"],
    "harm outside the family": ["harm_outside_family_considered"],
    "fathers and male carers": ["fathers_identified", "fathers_assessed", "fathers_involved"],
    "information sharing": ["information_shared", "information_sought"],
    "escalation and professional challenge": ["escalation_used", "escalation_resolved"],
    "step-up and step-down": ["step_up_timely", "step_down_safe"],
    "written response to the referrer": ["referral_role", "referrer_written_response"],
    "Operation Encompass": ["operation_encompass_next_day"],
    "was not brought": ["was_not_brought_followed_up"],
    "GP involvement": ["gp_involved"],
    "designated safeguarding lead and records": ["dsl_involved", "safeguarding_records_kept"],
    "attendance": ["attendance_monitored"],
    "probation": ["probation_risk_to_children", "probation_child_safeguarding_checks"],
    "housing": ["housing_moves_shared", "housing_impact_considered"],
    "strategy discussions, agencies beyond police and social care": [
        "multi_agency_strategy",
        "strategy_health_took_part",
        "strategy_education_took_part",
        "strategy_police_took_part",
        "strategy_social_care_took_part",
    ],  # fmt: skip
    "strategy discussion within one working day, decision recorded": [
        "strategy_within_one_working_day",
        "strategy_decision_recorded",
    ],  # fmt: skip
    "initial conference within 15 working days": ["icpc_within_15_days"],
    "core groups": [
        "first_core_group_within_10_days",
        "core_group_frequency",
        "core_group_attendance",
        "core_group_reviewed_progress",
    ],  # fmt: skip
    "minutes and plans on time": ["minutes_distributed_on_time", "plan_distributed_on_time"],
    "plans of 2 years or more, and repeat plans": [
        "cp_plan_over_two_years",
        "long_plan_drift_reviewed",
        "repeat_plan",
        "repeat_plan_history_considered",
    ],  # fmt: skip
    "timeliness of assessments": ["assessment_timely"],
    "quality of assessment": ["assessment_quality"],
    "history": ["history_considered"],
    "chronology": ["chronology_present", "chronology_up_to_date", "chronology_used"],
    "CP plan quality": ["plan_quality", "plan_smart"],
    "supervision and management oversight": ["supervision_regular", "supervision_reflective", "management_oversight"],
    "transfers and closures": [
        "transfer_or_closure_in_period",
        "transfer_summary",
        "transfer_no_gap_in_visits",
        "closure_timely_safe",
    ],  # fmt: skip
    "overall, so what": ["overall_grade", "good_practice", "areas_for_development", "so_what", "what_will_change"],
}

# Reports, trends and the Board front section use these v2 ids: the 2026 tool keeps them.
KEPT_V2_IDS = [
    "overall_grade", "plan_quality", "so_what", "good_practice", "areas_for_development", "child_seen_alone",
    "seen_alone_rationale", "chronology_present", "chronology_up_to_date", "chronology_used", "history_considered",
    "assessment_timely", "plan_smart", "cp_plan_over_two_years", "multi_agency_strategy", "management_oversight",
    "referrer_written_response", "core_group_attendance", "minutes_distributed_on_time", "supervision_reflective",
]  # fmt: skip

# Dates for a child on a plan: referral Mon 6 Jan 2025, assessment done Fri 14 Feb (29 working days); strategy
# discussion Wed 8 Jan, conference Mon 27 Jan (13 working days), first core group Wed 5 Feb (7 working days).
ON_PLAN_DATES = {
    "referral_date": date(2025, 1, 6),
    "assessment_completed_date": date(2025, 2, 14),
    "strategy_discussion_date": date(2025, 1, 8),
    "initial_child_protection_conference_date": date(2025, 1, 27),
    "first_core_group_date": date(2025, 2, 5),
    "cp_plan_start_date": date(2025, 1, 27),
    "cp_plan_end_date": None,
}
AS_AT = date(2025, 9, 1)


@pytest.fixture
def tool() -> AuditTool:
    return builtin_tool(key=DEFAULT_KEY, version=3)


def ids(tool: AuditTool) -> set[str]:
    return {q.id for q in tool.questions}


def shown(tool: AuditTool, answers: dict[str, str]) -> list[str]:
    return [q.id for q in visible_questions(tool=tool, answers=answers)]


def on_plan_health_answers() -> dict[str, str]:
    """A health visitor's audit of a 6-year-old on a child protection plan: every question the route shows."""
    return {
        "child_communication": "verbal", "looked_after": "no", "cp_involvement": "current_plan",
        "referral_role": "made", "transfer_or_closure_in_period": "neither",
        "lived_experience_recorded": "yes", "child_voice_recorded": "yes", "child_seen_alone": "no",
        "seen_alone_rationale": "Seen at home with mother present each time; no reason recorded.",
        "child_consulted_on_plan": "yes", "child_helped_to_understand_plan": "no",
        "identity_considered": "yes", "disability_considered": "not_applicable", "interpreter_used": "not_applicable",
        "other_children_considered": "yes", "fathers_identified": "yes", "fathers_assessed": "no",
        "fathers_involved": "no", "harm_outside_family_considered": "not_applicable",
        "threshold_applied_correctly": "yes", "early_help_offered": "yes", "early_help_assessment": "yes",
        "early_help_lead_professional": "yes", "step_up_timely": "yes", "step_down_safe": "not_applicable",
        "referrer_written_response": "no", "assessment_timely": "yes", "assessment_quality": "yes",
        "chronology_present": "yes", "chronology_up_to_date": "yes", "chronology_used": "yes",
        "history_considered": "yes", "plan_quality": "good", "plan_smart": "no",
        "multi_agency_strategy": "yes", "strategy_health_took_part": "yes", "strategy_education_took_part": "no",
        "strategy_police_took_part": "yes", "strategy_social_care_took_part": "yes",
        "strategy_within_one_working_day": "yes", "strategy_decision_recorded": "yes",
        "icpc_within_15_days": "yes", "first_core_group_within_10_days": "yes",
        "core_group_frequency": "at_least_six_weekly", "core_group_attendance": "no",
        "core_group_reviewed_progress": "yes", "plan_distributed_on_time": "yes", "minutes_distributed_on_time": "no",
        "cp_plan_over_two_years": "no", "repeat_plan": "yes", "repeat_plan_history_considered": "no",
        "was_not_brought_followed_up": "yes", "gp_involved": "no", "health_assessment_depth": "yes",
        "urgent_care_knows_cp_plan": "yes",
        "information_shared": "yes", "information_sought": "yes", "escalation_used": "yes",
        "escalation_resolved": "yes", "decisions_challenged": "not_applicable",
        "supervision_regular": "yes", "supervision_reflective": "no", "management_oversight": "yes",
        "overall_grade": "requires_improvement",
        "good_practice": "Missed health appointments were followed up the same week.",
        "areas_for_development": "The GP was not asked for a conference report.",
        "so_what": "The child's eczema is now treated and she sleeps through the night.",
        "what_will_change": "The health visitor will send a report to the GP before the review conference.",
    }  # fmt: skip


def not_on_plan_social_care_answers() -> dict[str, str]:
    """A social worker's audit of a baby in care, never on a plan, whose case was transferred and then closed."""
    return {
        "child_communication": "pre_verbal", "looked_after": "yes", "cp_involvement": "none",
        "referral_role": "received", "transfer_or_closure_in_period": "transferred_and_closed",
        "lived_experience_recorded": "yes", "child_voice_recorded": "yes", "child_observed": "yes",
        "communication_aids": "not_applicable", "child_consulted_on_plan": "not_applicable",
        "child_helped_to_understand_plan": "not_applicable", "looked_after_seen_alone_away": "not_applicable",
        "identity_considered": "yes", "disability_considered": "not_applicable", "interpreter_used": "yes",
        "other_children_considered": "not_applicable", "fathers_identified": "no",
        "harm_outside_family_considered": "not_applicable",
        "threshold_applied_correctly": "yes", "early_help_offered": "not_applicable",
        "step_up_timely": "not_applicable", "step_down_safe": "not_applicable",
        "referrer_written_response": "yes", "assessment_timely": "yes", "assessment_quality": "yes",
        "chronology_present": "no", "history_considered": "yes", "plan_quality": "good", "plan_smart": "yes",
        "information_shared": "yes", "information_sought": "yes", "escalation_used": "not_applicable",
        "decisions_challenged": "not_applicable",
        "supervision_regular": "yes", "supervision_reflective": "yes", "management_oversight": "yes",
        "transfer_summary": "yes", "transfer_no_gap_in_visits": "no", "closure_timely_safe": "yes",
        "overall_grade": "good", "good_practice": "Careful observation of the baby with each carer.",
        "areas_for_development": "Visits lapsed for 5 weeks around the transfer.",
        "so_what": "The baby is gaining weight and settled with her carers.",
        "what_will_change": "The team manager will check visits at every transfer.",
    }  # fmt: skip


def test_the_2026_tool_is_the_new_default(tool: AuditTool) -> None:
    assert builtin_tool(key=DEFAULT_KEY) == tool
    assert tool.title == "Multi-agency case file audit (2026)"
    assert tool.kind == "agency_audit"
    assert 60 <= len(tool.questions) <= 90


@pytest.mark.parametrize("item", sorted(COVERAGE))
def test_every_item_of_the_practitioners_list_is_covered_by_questions_that_exist(tool: AuditTool, item: str) -> None:
    assert set(COVERAGE[item]) <= ids(tool)


def test_v2_ids_are_kept_with_their_type_and_unit(tool: AuditTool) -> None:
    old = builtin_tool(key=DEFAULT_KEY, version=2)
    for qid in KEPT_V2_IDS:
        new_q, old_q = tool.question(qid), old.question(qid)
        assert (new_q.type, new_q.unit, new_q.meets_standard) == (old_q.type, old_q.unit, old_q.meets_standard), qid
    # Questions that asked two things at once are replaced by new ids, not reused with a new meaning.
    assert {"child_views_on_plan", "transfer_or_closure_appropriate"}.isdisjoint(ids(tool))


def test_every_question_has_guidance_and_says_what_it_is_about(tool: AuditTool) -> None:
    raw = tool_to_json(tool)
    for section in raw["sections"]:
        assert section["evidence"]["label"]
        for question in section["questions"]:
            assert question.get("hint"), question["id"]
            assert question.get("unit") in ("child", "agency_audit"), question["id"]
            if question.get("required"):
                assert question.get("error_required"), question["id"]


def test_the_timescales_are_computed_from_the_case_dates(tool: AuditTool) -> None:
    rules = {q.id: q.computed for q in tool.computed_questions}
    assert set(rules) == {"assessment_timely", "icpc_within_15_days", "first_core_group_within_10_days",
                          "cp_plan_over_two_years"}  # fmt: skip
    assessment, icpc, core = rules["assessment_timely"], rules["icpc_within_15_days"], rules[
        "first_core_group_within_10_days"]  # fmt: skip
    assert assessment and (assessment.start, assessment.end, assessment.limit) == (
        "referral_date",
        "assessment_completed_date",
        45,
    )
    assert icpc and (icpc.start, icpc.end, icpc.limit) == (
        "strategy_discussion_date",
        "initial_child_protection_conference_date",
        15,
    )
    assert core and (core.start, core.end, core.limit) == (
        "initial_child_protection_conference_date",
        "first_core_group_date",
        10,
    )
    assert tool.question("cp_plan_over_two_years").meets_standard == "no"
    proposals = compute_proposals(tool=tool, case_dates=ON_PLAN_DATES, as_at=AS_AT)
    assert {qid: p.answer for qid, p in proposals.items()} == {
        "assessment_timely": "yes", "icpc_within_15_days": "yes", "first_core_group_within_10_days": "yes",
        "cp_plan_over_two_years": "no",
    }  # fmt: skip


@pytest.mark.parametrize("kind", sorted(AGENCY_SECTIONS))
def test_each_agency_section_is_asked_only_of_its_own_kind(tool: AuditTool, kind: str) -> None:
    mine = ids(tool.for_agency(kind))
    assert set(AGENCY_SECTIONS[kind]) <= mine
    for other, questions in AGENCY_SECTIONS.items():
        if other != kind:
            assert mine.isdisjoint(questions), other
    assert tool.section(kind).agencies == (kind,)


def test_an_audit_of_unknown_kind_and_social_care_get_no_agency_section(tool: AuditTool) -> None:
    every_agency_section = {qid for questions in AGENCY_SECTIONS.values() for qid in questions}
    assert ids(tool.for_agency(None)).isdisjoint(every_agency_section)
    assert ids(tool.for_agency("social_care")).isdisjoint(every_agency_section)
    assert "police_da_children_present" in ids(tool.for_agency("police"))
    assert "police_da_children_present" not in ids(tool.for_agency("health"))
    assert tool.has_agency_sections


def test_the_grade_scale_describes_case_level_practice(tool: AuditTool) -> None:
    scale = tool.grade_scale
    assert scale.name == "Quality of practice for this child"
    assert [level.value for level in scale.levels] == ["outstanding", "good", "requires_improvement", "inadequate"]
    assert all(level.descriptor and len(level.descriptor) > 150 for level in scale.levels)
    assert "Ofsted" not in " ".join(level.descriptor or "" for level in scale.levels)
    assert tool.question("overall_grade").options == scale.options
    assert tool.question("plan_quality").options == scale.options


def test_a_pre_verbal_child_is_observed_not_seen_alone(tool: AuditTool) -> None:
    for communication in ("pre_verbal", "non_verbal"):
        route = shown(tool, {"child_communication": communication})
        assert {"child_observed", "communication_aids"} <= set(route)
        assert {"child_seen_alone", "seen_alone_rationale"}.isdisjoint(route)
    route = shown(tool, {"child_communication": "verbal", "child_seen_alone": "no"})
    assert {"child_seen_alone", "seen_alone_rationale"} <= set(route)
    assert {"child_observed", "communication_aids"}.isdisjoint(route)


def test_a_child_not_on_a_plan_skips_the_child_protection_questions(tool: AuditTool) -> None:
    route = set(shown(tool, not_on_plan_social_care_answers()))
    assert route.isdisjoint(q.id for q in tool.section("child_protection").questions)
    assert route.isdisjoint(q.id for q in tool.section("strategy_discussion").questions)
    after_s47 = set(shown(tool, {"cp_involvement": "section_47_no_plan", "multi_agency_strategy": "yes"}))
    assert {"strategy_health_took_part", "minutes_distributed_on_time"} <= after_s47
    assert "icpc_within_15_days" not in after_s47


def test_a_child_in_care_is_asked_about_being_seen_alone_away_from_the_placement(tool: AuditTool) -> None:
    assert "looked_after_seen_alone_away" in shown(tool, {"looked_after": "yes"})
    assert "looked_after_seen_alone_away" not in shown(tool, {"looked_after": "no"})


def test_transfer_and_closure_questions_follow_the_routing_answer(tool: AuditTool) -> None:
    def route(answer: str) -> set[str]:
        return set(shown(tool, {"transfer_or_closure_in_period": answer}))

    transfer = {"transfer_summary", "transfer_no_gap_in_visits"}
    assert transfer <= route("transferred") and "closure_timely_safe" not in route("transferred")
    assert "closure_timely_safe" in route("closed") and route("closed").isdisjoint(transfer)
    assert route("neither").isdisjoint(transfer | {"closure_timely_safe"})


def test_a_complete_audit_of_a_child_on_a_plan_has_no_errors(tool: AuditTool) -> None:
    health = tool.for_agency("health")
    answers = on_plan_health_answers()
    assert set(shown(health, answers)) == set(answers)  # every shown question answered, nothing hidden answered
    proposals = compute_proposals(tool=health, case_dates=ON_PLAN_DATES, as_at=AS_AT)
    assert validate_all(tool=health, answers=answers, computed=proposals) == []


def test_a_complete_audit_of_a_child_not_on_a_plan_has_no_errors(tool: AuditTool) -> None:
    social_care = tool.for_agency("social_care")
    answers = not_on_plan_social_care_answers()
    assert set(shown(social_care, answers)) == set(answers)
    dates = {"referral_date": date(2025, 3, 3), "assessment_completed_date": date(2025, 4, 11)}
    proposals = compute_proposals(tool=social_care, case_dates=dates, as_at=AS_AT)
    assert validate_all(tool=social_care, answers=answers, computed=proposals) == []


def test_the_first_core_group_is_answered_from_the_file_when_it_cannot_be_computed(tool: AuditTool) -> None:
    health = tool.for_agency("health")
    cannot = {"first_core_group_within_10_days": Proposal(None, "Cannot be computed. Answer from the file.")}
    answers = on_plan_health_answers() | {"first_core_group_within_10_days": "no"}
    assert validate_all(tool=health, answers=answers, computed=cannot) == []
    del answers["first_core_group_within_10_days"]
    assert [e.question_id for e in validate_all(tool=health, answers=answers, computed=cannot)] == [
        "first_core_group_within_10_days"
    ]


def test_the_rationale_is_required_when_a_talking_child_was_not_seen_alone(tool: AuditTool) -> None:
    health = tool.for_agency("health")
    answers = on_plan_health_answers()
    del answers["seen_alone_rationale"]
    errors = validate_all(tool=health, answers=answers, computed={})
    assert [(e.question_id, e.message) for e in errors] == [
        ("seen_alone_rationale", "Enter why the child was not seen alone")
    ]


THEMED: dict[str, dict[str, Any]] = {
    "domestic_abuse_case_file_audit": {
        "title": "Domestic abuse case file audit",
        "ids": ["dash_completed", "marac_referral", "lived_experience_of_abuse", "non_abusing_parent_supported",
                "perpetrator_engaged", "police_da_children_present", "operation_encompass_next_day"],
    },
    "neglect_case_file_audit": {
        "title": "Neglect case file audit",
        "ids": ["neglect_tool_used", "chronology_shows_cumulative_harm", "drift_recognised", "health_needs_met",
                "dental_needs_met", "school_attendance", "lived_experience_recorded"],
    },
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(THEMED))
def test_the_themed_tools_load_with_the_default_tools_overall_questions(key: str) -> None:
    themed = builtin_tool(key=key)
    assert themed.title == THEMED[key]["title"]
    assert 20 <= len(themed.questions) <= 35
    assert set(THEMED[key]["ids"]) <= ids(themed)
    assert {"overall_grade", "good_practice", "areas_for_development", "so_what"} <= ids(themed)
    assert themed.grade_scale.has_descriptors
    assert themed.has_agency_sections
    assert all(q.hint for q in themed.questions)


def test_marac_is_asked_only_when_the_risk_is_high() -> None:
    themed = builtin_tool(key="domestic_abuse_case_file_audit")
    assert "marac_referral" in shown(themed, {"da_risk_level": "high"})
    assert "marac_referral" not in shown(themed, {"da_risk_level": "medium"})


def test_routing_answers_settle_later_pages_and_a_section_with_nothing_to_ask_is_not_needed(tool: AuditTool) -> None:
    from auditapp.tools import SectionStatus, questions_to_ask, section_status

    social_care = tool.for_agency("social_care")
    routing = {"child_communication": "pre_verbal", "looked_after": "no", "cp_involvement": "none"}
    asked = [q.id for q in questions_to_ask(tool=social_care, section_id="childs_voice", answers=routing)]
    assert "child_observed" in asked and "communication_aids" in asked
    assert "child_seen_alone" not in asked and "looked_after_seen_alone_away" not in asked
    # A condition on a question of the same page is left to the auditor: the page asks it, with its condition as a hint.
    fathers = [q.id for q in questions_to_ask(tool=social_care, section_id="family_and_network", answers=routing)]
    assert "fathers_assessed" in fathers
    status = section_status(tool=social_care, section_id="child_protection", answers=routing, computed={})
    assert status == SectionStatus.NOT_NEEDED
    assert questions_to_ask(tool=social_care, section_id="child_protection", answers=routing) == []
    # Until the routing question is answered nothing is settled: the page is still to do.
    unsettled = section_status(tool=social_care, section_id="child_protection", answers={}, computed={})
    assert unsettled == SectionStatus.NOT_STARTED
    on_plan = routing | {"cp_involvement": "current_plan"}
    assert section_status(tool=social_care, section_id="child_protection", answers=on_plan, computed={}) == (
        SectionStatus.NOT_STARTED
    )


def test_a_page_waits_for_the_routing_answers_it_depends_on_so_nothing_typed_is_dropped(tool: AuditTool) -> None:
    from auditapp.tools import questions_to_ask, waiting_on

    health = tool.for_agency("health")
    asked = [q.id for q in questions_to_ask(tool=health, section_id="childs_voice", answers={})]
    assert "child_seen_alone" not in asked and "child_observed" not in asked  # verbal or not: not yet known
    assert "lived_experience_recorded" in asked
    assert [s.id for s in waiting_on(tool=health, section_id="childs_voice", answers={})] == ["about_this_child"]
    routed = {"child_communication": "verbal", "looked_after": "no", "cp_involvement": "current_plan"}
    now = questions_to_ask(tool=health, section_id="childs_voice", answers=routed)
    assert "child_seen_alone" in [q.id for q in now]
    assert waiting_on(tool=health, section_id="childs_voice", answers=routed) == []
