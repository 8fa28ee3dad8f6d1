"""Timescales as data: each computed rule the 2026 default tool uses, across bank holidays, and "cannot be computed"
when the case population does not carry a date at all.

Each rule is tried five ways: ended on its due date (on time), ended one working day later (late), still open on
its due date (not yet overdue: no proposal), still open one working day later (late), and with a date the
population has not got (no proposal, and never "late"). Every due date below was worked out by hand from a
calendar; the comments show the count.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from auditapp.domain.audits import case_dates
from auditapp.models import Case
from auditapp.tools import CASE_DATE_FIELDS, AuditTool, compute_proposals, format_date, load_tool


def _rule(qid: str, start: str, end: str, limit: int, when_start_missing: str | None = None) -> dict[str, Any]:
    computed = {"kind": "working_days_within", "start": start, "end": end, "limit": limit}
    if when_start_missing:
        computed["when_start_missing"] = when_start_missing
    return {"id": qid, "text": f"Within {limit} working days?", "type": "yes_no_na", "computed": computed}


def timescale_tool() -> AuditTool:
    """A small tool holding the rules of the 2026 default tool (and the NI59/NI60 ones), built here so the tests
    do not depend on the shipped definition."""
    questions = [
        _rule("assessment_in_45", "referral_date", "assessment_completed_date", 45),
        _rule("icpc_in_15", "strategy_discussion_date", "initial_child_protection_conference_date", 15),
        _rule("core_group_in_10", "initial_child_protection_conference_date", "first_core_group_date", 10),
        _rule("ni59_initial_in_7", "referral_date", "initial_assessment_completed_date", 7),
        _rule("ni60_core_in_35", "core_assessment_start_date", "core_assessment_completed_date", 35, "not_applicable"),
        {
            "id": "plan_two_years",
            "text": "On a plan for 2 years or more?",
            "type": "yes_no_na",
            "meets_standard": "no",
            "computed": {
                "kind": "duration_at_least",
                "start": "cp_plan_start_date",
                "end": "cp_plan_end_date",
                "years": 2,
                "when_start_missing": "not_applicable",
            },
        },
    ]
    return load_tool(
        {
            "schema_version": 1,
            "key": "timescales",
            "version": 1,
            "title": "Timescales",
            "kind": "agency_audit",
            "sections": [{"id": "timescales", "title": "Timescales", "questions": questions}],
        }
    )


def propose(as_at: date, **dates: date | None) -> dict:
    """Proposals for a case whose population carries every date (None unless given)."""
    every = dict.fromkeys(CASE_DATE_FIELDS) | dates
    return compute_proposals(tool=timescale_tool(), case_dates=every, as_at=as_at)


# (question, start field, end field, limit, start date, due date, the next working day after it)
RULES = [
    # Mon 4 Dec 2023 + 45 working days, skipping Christmas Day, Boxing Day and New Year's Day: Dec 5-8 (4),
    # 11-15 (9), 18-22 (14), 27-29 (17), Jan 2-5 (21), 8-12 (26), 15-19 (31), 22-26 (36), 29 Jan-2 Feb (41),
    # 5-8 Feb (45): Thu 8 Feb 2024.
    pytest.param(
        "assessment_in_45", "referral_date", "assessment_completed_date", 45,
        date(2023, 12, 4), date(2024, 2, 8), date(2024, 2, 9), id="assessment-45-christmas",
    ),
    # Thu 21 Mar 2024 + 15, skipping Good Friday 29 Mar and Easter Monday 1 Apr: 22 (1), 25-28 (5), Apr 2-5 (9),
    # 8-12 (14), 15 (15): Mon 15 Apr 2024.
    pytest.param(
        "icpc_in_15", "strategy_discussion_date", "initial_child_protection_conference_date", 15,
        date(2024, 3, 21), date(2024, 4, 15), date(2024, 4, 16), id="icpc-15-easter",
    ),
    # Fri 28 Apr 2023 + 10, skipping Mon 1 May (early May) and Mon 8 May (the coronation): 2-5 (4), 9-12 (8),
    # 15-16 (10): Tue 16 May 2023.
    pytest.param(
        "core_group_in_10", "initial_child_protection_conference_date", "first_core_group_date", 10,
        date(2023, 4, 28), date(2023, 5, 16), date(2023, 5, 17), id="core-group-10-coronation",
    ),
    # Thu 22 Dec 2022 + 7: 23 (1), Boxing Day 26 and the substitute Christmas Day 27, 28-30 (4), the substitute
    # New Year's Day Mon 2 Jan 2023, 3-5 (7): Thu 5 Jan 2023.
    pytest.param(
        "ni59_initial_in_7", "referral_date", "initial_assessment_completed_date", 7,
        date(2022, 12, 22), date(2023, 1, 5), date(2023, 1, 6), id="ni59-7-substitute-days",
    ),
    # Mon 3 Apr 2023 + 35, skipping Good Friday 7 Apr, Easter Monday 10 Apr, 1 May and 8 May: Apr 4-6 (3),
    # 11-14 (7), 17-21 (12), 24-28 (17), May 2-5 (21), 9-12 (25), 15-19 (30), 22-26 (35): Fri 26 May 2023. The
    # next working day is Tue 30 May: Mon 29 May is the spring bank holiday.
    pytest.param(
        "ni60_core_in_35", "core_assessment_start_date", "core_assessment_completed_date", 35,
        date(2023, 4, 3), date(2023, 5, 26), date(2023, 5, 30), id="ni60-35-easter-and-may",
    ),
]  # fmt: skip


def _words(field: str, *, capital: bool = False) -> str:
    text = CASE_DATE_FIELDS[field]
    return text[:1].upper() + text[1:] if capital else text


def _opening(start_field: str, start: date) -> str:
    return f"{_words(start_field, capital=True)} {format_date(start)}"


@pytest.mark.parametrize(("qid", "start_field", "end_field", "limit", "start", "due", "next_day"), RULES)
def test_ended_on_the_due_date_is_on_time(qid, start_field, end_field, limit, start, due, next_day) -> None:
    proposal = propose(due + timedelta(days=30), **{start_field: start, end_field: due})[qid]
    assert proposal.answer == "yes"
    assert proposal.explanation == (
        f"{_opening(start_field, start)}, {_words(end_field)} {format_date(due)}: {limit} working days, "
        f"timescale {limit} working days (due by {format_date(due)})."
    )


@pytest.mark.parametrize(("qid", "start_field", "end_field", "limit", "start", "due", "next_day"), RULES)
def test_ended_one_working_day_after_the_due_date_is_late(qid, start_field, end_field, limit, start, due, next_day):
    proposal = propose(due + timedelta(days=30), **{start_field: start, end_field: next_day})[qid]
    assert proposal.answer == "no"
    assert proposal.explanation == (
        f"{_opening(start_field, start)}, {_words(end_field)} {format_date(next_day)}: {limit + 1} working days, "
        f"timescale {limit} working days (due by {format_date(due)})."
    )


@pytest.mark.parametrize(("qid", "start_field", "end_field", "limit", "start", "due", "next_day"), RULES)
def test_still_open_on_the_due_date_is_not_yet_overdue(qid, start_field, end_field, limit, start, due, next_day):
    proposal = propose(due, **{start_field: start})[qid]
    assert proposal.answer is None
    assert proposal.explanation == (
        f"{_opening(start_field, start)}, no {_words(end_field)} as at {format_date(due)}: {limit} working days "
        f"so far, timescale {limit} working days (due by {format_date(due)}). Not yet overdue: answer from the file."
    )


@pytest.mark.parametrize(("qid", "start_field", "end_field", "limit", "start", "due", "next_day"), RULES)
def test_still_open_after_the_due_date_is_late(qid, start_field, end_field, limit, start, due, next_day) -> None:
    proposal = propose(next_day, **{start_field: start})[qid]
    assert proposal.answer == "no"
    assert proposal.explanation == (
        f"{_opening(start_field, start)}, no {_words(end_field)} as at {format_date(next_day)}: {limit + 1} "
        f"working days so far, timescale {limit} working days (due by {format_date(due)})."
    )


@pytest.mark.parametrize(("qid", "start_field", "end_field", "limit", "start", "due", "next_day"), RULES)
def test_an_end_date_the_population_has_not_got_cannot_be_computed(
    qid, start_field, end_field, limit, start, due, next_day
) -> None:
    # Long overdue if the blank end were counted: never proposed as late when no import provides the date.
    dates = dict.fromkeys(CASE_DATE_FIELDS) | {start_field: start}
    del dates[end_field]
    proposal = compute_proposals(tool=timescale_tool(), case_dates=dates, as_at=due + timedelta(days=365))[qid]
    assert proposal.answer is None
    assert proposal.explanation == (
        f"Cannot be computed: the case population has no {_words(end_field)} (no import provides it). "
        "Answer from the file."
    )


def test_a_start_date_the_population_has_not_got_cannot_be_computed_and_is_not_taken_as_not_applicable() -> None:
    dates = {name: None for name in CASE_DATE_FIELDS if not name.startswith("core_assessment_")}
    proposal = compute_proposals(tool=timescale_tool(), case_dates=dates, as_at=date(2024, 6, 3))["ni60_core_in_35"]
    assert proposal.answer is None  # not the rule's when_start_missing ("not_applicable")
    assert proposal.explanation == (
        "Cannot be computed: the case population has no core assessment start date or core assessment completion "
        "date (no import provides it). Answer from the file."
    )


def test_a_blank_start_date_the_population_has_is_still_when_start_missing() -> None:
    proposal = propose(date(2024, 6, 3))["ni60_core_in_35"]
    assert proposal.answer == "not_applicable"
    assert proposal.explanation == "No core assessment start date is recorded for this case."


# The plan of 2 years or more: Mon 9 May 2022 to Thu 9 May 2024 is 731 days (29 February 2024 between).
PLAN_START, TWO_YEARS = date(2022, 5, 9), date(2024, 5, 9)
OPENING = "Child protection plan start date 9 May 2022"
MARK = "2 years from the start is 9 May 2024"


def test_a_plan_ended_on_its_second_anniversary_is_two_years_or_more() -> None:
    proposal = propose(date(2024, 6, 3), cp_plan_start_date=PLAN_START, cp_plan_end_date=TWO_YEARS)["plan_two_years"]
    assert proposal.answer == "yes"
    assert proposal.explanation == (
        f"{OPENING}, child protection plan end date 9 May 2024: 731 days, 2 years or more ({MARK})."
    )


def test_a_plan_ended_the_day_before_is_less_than_two_years() -> None:
    end = TWO_YEARS - timedelta(days=1)
    proposal = propose(date(2024, 6, 3), cp_plan_start_date=PLAN_START, cp_plan_end_date=end)["plan_two_years"]
    assert proposal.answer == "no"
    assert proposal.explanation == (
        f"{OPENING}, child protection plan end date 8 May 2024: 730 days, less than 2 years ({MARK})."
    )


def test_an_open_plan_short_of_two_years_is_less_than_two_years() -> None:
    proposal = propose(date(2024, 5, 8), cp_plan_start_date=PLAN_START)["plan_two_years"]
    assert proposal.answer == "no"
    assert proposal.explanation == (
        f"{OPENING}, no child protection plan end date as at 8 May 2024: 730 days, less than 2 years ({MARK})."
    )


def test_an_open_plan_past_two_years_is_two_years_or_more() -> None:
    proposal = propose(TWO_YEARS, cp_plan_start_date=PLAN_START)["plan_two_years"]
    assert proposal.answer == "yes"
    assert proposal.explanation == (
        f"{OPENING}, no child protection plan end date as at 9 May 2024: 731 days, 2 years or more ({MARK})."
    )


def test_a_plan_end_the_population_has_not_got_cannot_be_computed() -> None:
    dates = {name: None for name in CASE_DATE_FIELDS if name != "cp_plan_end_date"} | {"cp_plan_start_date": PLAN_START}
    proposal = compute_proposals(tool=timescale_tool(), case_dates=dates, as_at=date(2025, 1, 6))["plan_two_years"]
    assert proposal.answer is None
    assert proposal.explanation == (
        "Cannot be computed: the case population has no child protection plan end date (no import provides it). "
        "Answer from the file."
    )


def test_the_case_dates_carry_the_strategy_discussion_and_leave_out_dates_no_import_provides() -> None:
    case = Case(s47_start_date=date(2024, 3, 21), icpc_date=date(2024, 4, 15), referral_date=date(2024, 3, 1))
    dates = case_dates(case)
    assert dates["strategy_discussion_date"] == date(2024, 3, 21)  # the section 47 start (Annex A, CIN census)
    assert dates["initial_child_protection_conference_date"] == date(2024, 4, 15)
    not_imported = {
        "first_core_group_date",
        "review_conference_date",
        "initial_assessment_completed_date",
        "core_assessment_start_date",
        "core_assessment_completed_date",
    }
    assert not_imported.isdisjoint(dates)
    assert set(dates) <= set(CASE_DATE_FIELDS)
    proposals = compute_proposals(tool=timescale_tool(), case_dates=dates, as_at=date(2024, 6, 3))
    assert proposals["icpc_in_15"].answer == "yes"
    assert proposals["core_group_in_10"].answer is None
    assert proposals["core_group_in_10"].explanation.startswith("Cannot be computed: the case population has no first")
    # NI59 used to be "late" for almost every case: the initial assessment date is never imported.
    assert proposals["ni59_initial_in_7"].answer is None
    assert proposals["ni59_initial_in_7"].explanation.startswith("Cannot be computed")
