"""Computed questions: the proposed answer and its plain-English explanation, from the case's dates."""

from __future__ import annotations

from datetime import date

import pytest

from auditapp.tools import CASE_DATE_FIELDS, AuditTool, anniversary, builtin_tool, compute_proposals

from .factories import NI_KEY

AS_AT = date(2024, 6, 3)


def propose(tool: AuditTool, as_at: date = AS_AT, **dates: date) -> dict:
    # Every case date present (None unless given): a date left out would be one the population has not got.
    return compute_proposals(tool=tool, case_dates=dict.fromkeys(CASE_DATE_FIELDS) | dates, as_at=as_at)


def test_assessment_within_45_working_days_across_christmas_is_timely(tool: AuditTool) -> None:
    # Referral Mon 4 Dec 2023, completed Tue 6 Feb 2024: 43 working days (the 45th is Thu 8 Feb, see
    # test_working_days). A count of weekdays that ignored the 3 bank holidays would say 46 and "no".
    proposal = propose(tool, referral_date=date(2023, 12, 4), assessment_completed_date=date(2024, 2, 6))
    assert proposal["assessment_timely"].answer == "yes"
    assert proposal["assessment_timely"].explanation == (
        "Referral date 4 December 2023, assessment completion date 6 February 2024: 43 working days, "
        "timescale 45 working days (due by 8 February 2024)."
    )


@pytest.mark.parametrize(("completed", "answer"), [(date(2024, 2, 8), "yes"), (date(2024, 2, 9), "no")])
def test_the_45th_working_day_is_the_last_day_on_time(tool: AuditTool, completed: date, answer: str) -> None:
    proposal = propose(tool, referral_date=date(2023, 12, 4), assessment_completed_date=completed)
    assert proposal["assessment_timely"].answer == answer


def test_late_assessment_explains_the_count(tool: AuditTool) -> None:
    # Referral Wed 3 Jan 2024, completed Wed 20 Mar 2024. Jan: 4-5 (2), 8-12 (7), 15-19 (12), 22-26 (17),
    # 29-31 (20); Feb: 1-2 (22), 5-9 (27), 12-16 (32), 19-23 (37), 26-29 (41); Mar: 1 (42), 4-8 (47),
    # 11-15 (52), 18-20 (55). The 45th working day is Wed 6 Mar.
    proposal = propose(tool, referral_date=date(2024, 1, 3), assessment_completed_date=date(2024, 3, 20))
    assert proposal["assessment_timely"].answer == "no"
    assert "55 working days" in proposal["assessment_timely"].explanation
    assert "due by 6 March 2024" in proposal["assessment_timely"].explanation


def test_an_assessment_still_open_past_its_timescale_is_proposed_as_late(tool: AuditTool) -> None:
    proposal = propose(tool, referral_date=date(2024, 1, 3))
    assert proposal["assessment_timely"].answer == "no"
    assert "no assessment completion date as at 3 June 2024" in proposal["assessment_timely"].explanation


def test_an_assessment_still_open_within_its_timescale_gets_no_proposal(tool: AuditTool) -> None:
    # Referral Fri 24 May 2024; as at Mon 3 Jun: Mon 27 May is the spring bank holiday, 28-31 (4), 3 Jun (5).
    proposal = propose(tool, referral_date=date(2024, 5, 24))
    assert proposal["assessment_timely"].answer is None
    assert "5 working days so far" in proposal["assessment_timely"].explanation


def test_no_referral_date_gives_no_proposal(tool: AuditTool) -> None:
    proposal = propose(tool)
    assert proposal["assessment_timely"].answer is None
    assert proposal["assessment_timely"].explanation == "No referral date is recorded for this case."


def test_dates_in_the_wrong_order_give_no_proposal(tool: AuditTool) -> None:
    proposal = propose(tool, referral_date=date(2024, 3, 1), assessment_completed_date=date(2024, 2, 1))
    assert proposal["assessment_timely"].answer is None
    assert "is before the referral date" in proposal["assessment_timely"].explanation


def test_no_child_protection_plan_is_not_applicable(tool: AuditTool) -> None:
    assert propose(tool)["cp_plan_over_two_years"].answer == "not_applicable"


@pytest.mark.parametrize(
    ("start", "end", "answer"),
    [
        (date(2022, 6, 3), None, "yes"),  # open plan, exactly 2 years on the "as at" date
        (date(2022, 6, 4), None, "no"),  # open plan, 2 years tomorrow
        (date(2020, 1, 6), date(2022, 1, 6), "yes"),  # ended on the second anniversary
        (date(2020, 1, 6), date(2022, 1, 5), "no"),  # ended the day before
    ],
)
def test_a_plan_of_two_years_or_more(tool: AuditTool, start: date, end: date | None, answer: str) -> None:
    dates = {"cp_plan_start_date": start} | ({"cp_plan_end_date": end} if end else {})
    assert propose(tool, **dates)["cp_plan_over_two_years"].answer == answer


def test_a_long_plan_explains_itself(tool: AuditTool) -> None:
    proposal = propose(tool, cp_plan_start_date=date(2022, 3, 10))
    # 10 Mar 2022 to 3 Jun 2024: 731 days to 10 Mar 2024 (2024 is a leap year) + 85 days (21 + 30 + 31 + 3).
    assert proposal["cp_plan_over_two_years"].explanation == (
        "Child protection plan start date 10 March 2022, no child protection plan end date as at 3 June 2024: "
        "816 days, 2 years or more (2 years from the start is 10 March 2024)."
    )


def test_a_plan_starting_on_29_february_reaches_its_anniversary_on_1_march() -> None:
    assert anniversary(date(2020, 2, 29), 2) == date(2022, 3, 1)
    assert anniversary(date(2020, 2, 29), 4) == date(2024, 2, 29)


def test_ni59_initial_assessment_within_7_working_days_across_easter() -> None:
    ni = builtin_tool(key=NI_KEY)
    # Referral Thu 28 Mar 2024; Good Friday 29 Mar and Easter Monday 1 Apr skipped:
    # 2 Apr (1), 3 (2), 4 (3), 5 (4), 8 (5), 9 (6), 10 (7), 11 (8).
    on_time = propose(ni, referral_date=date(2024, 3, 28), initial_assessment_completed_date=date(2024, 4, 10))
    late = propose(ni, referral_date=date(2024, 3, 28), initial_assessment_completed_date=date(2024, 4, 11))
    assert on_time["assessment_timely"].answer == "yes"
    assert "7 working days, timescale 7 working days" in on_time["assessment_timely"].explanation
    assert late["assessment_timely"].answer == "no"


def test_ni60_core_assessment_within_35_working_days_across_christmas() -> None:
    ni = builtin_tool(key=NI_KEY)
    # Core assessment started Mon 2 Dec 2024. Dec: 3-6 (4), 9-13 (9), 16-20 (14), 23-24 (16), 27 (17),
    # 30-31 (19) [25, 26 Dec holidays]; Jan 2025: 2-3 (21) [1 Jan holiday], 6-10 (26), 13-17 (31), 20-23 (35).
    start = date(2024, 12, 2)
    on_time = propose(ni, core_assessment_start_date=start, core_assessment_completed_date=date(2025, 1, 23))
    late = propose(ni, core_assessment_start_date=start, core_assessment_completed_date=date(2025, 1, 24))
    assert on_time["core_assessment_timely"].answer == "yes"
    assert late["core_assessment_timely"].answer == "no"
    assert "36 working days, timescale 35 working days" in late["core_assessment_timely"].explanation


def test_ni60_without_a_core_assessment_is_not_applicable() -> None:
    ni = builtin_tool(key=NI_KEY)
    assert propose(ni)["core_assessment_timely"].answer == "not_applicable"


def test_the_timescale_is_data_in_the_tool(tool: AuditTool) -> None:
    ni = builtin_tool(key=NI_KEY)
    rules = {q.id: q.computed for q in tool.computed_questions}
    ni_rules = {q.id: q.computed for q in ni.computed_questions}
    assert rules["assessment_timely"].limit == 45
    assert (ni_rules["assessment_timely"].limit, ni_rules["core_assessment_timely"].limit) == (7, 35)
