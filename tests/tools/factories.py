"""Small builders for engine tests: the default tool's case dates and a complete, valid set of answers."""

from __future__ import annotations

from datetime import date

from auditapp.tools import CASE_DATE_FIELDS

DEFAULT_KEY = "multi_agency_case_file_audit"
NI_KEY = "multi_agency_case_file_audit_ni59_ni60"

# A case whose dates give a "yes" for timeliness and "not applicable" for a long plan (no plan start date).
# Referral Mon 8 Jan 2024, assessment completed Fri 19 Jan 2024: 9 working days (9-12 Jan is 4, 15-19 Jan 5).
# Every case date is there (None: not recorded for this case): a date left out is one the population has not got.
CASE_DATES = dict.fromkeys(CASE_DATE_FIELDS) | {
    "referral_date": date(2024, 1, 8),
    "assessment_completed_date": date(2024, 1, 19),
}
AS_AT = date(2024, 6, 1)


def complete_answers() -> dict[str, str]:
    """Answers to the default tool that pass every rule, agreeing with the proposals for CASE_DATES."""
    return {
        "child_seen_alone": "yes",
        "child_views_on_plan": "yes",
        "chronology_present": "yes",
        "chronology_up_to_date": "no",
        "chronology_used": "yes",
        "history_considered": "yes",
        "referrer_written_response": "no",
        "assessment_timely": "yes",
        "plan_quality": "good",
        "plan_smart": "no",
        "cp_plan_over_two_years": "not_applicable",
        "multi_agency_strategy": "yes",
        "core_group_attendance": "yes",
        "minutes_distributed_on_time": "no",
        "supervision_reflective": "yes",
        "management_oversight": "yes",
        "transfer_or_closure_appropriate": "not_applicable",
        "overall_grade": "good",
        "good_practice": "Regular visits; the child's words are recorded.",
        "areas_for_development": "Keep the chronology up to date.",
        "so_what": "The child now attends school every day and says they feel safer at home.",
        "evidence__childs_voice": "Visit records of 12 and 26 January 2024.",
    }
