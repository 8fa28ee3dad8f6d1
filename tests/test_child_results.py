"""Issue 14: questions about the child answered at child level (the lead audit's answer, else the agencies' shared
answer, else "agencies disagreed"), with a plain Wilson interval over children; the unit shown; the plan-quality
grade per agency audit and the joint discussion's grades per child; and the trend by polarity."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from auditapp.domain.answers_export import COLUMNS, export_round, export_rows
from auditapp.extensions import db
from auditapp.models import AgencyAudit, JointDiscussion, PublishedReport, Role
from auditapp.models.audit_round import Assignment
from auditapp.reports.child_results import DISAGREED, child_answer, count_question
from auditapp.reports.render import render_data_html
from auditapp.reports.report_data import build_report
from auditapp.reports.trend import wording_fingerprint
from auditapp.tools import ToolDefinitionError, builtin_tool, load_tool, tool_fingerprint, tool_to_json
from auditapp.vocabulary import AuditorType
from tests.factories import make_round, make_user
from tests.test_report import AS_OF, PARTNERSHIP

DEFAULT_KEY = "multi_agency_case_file_audit"
NI_KEY = "multi_agency_case_file_audit_ni59_ni60"
CHILD_QUESTIONS = {
    "cp_plan_over_two_years",
    "child_views_on_plan",
    "plan_smart",
    "multi_agency_strategy",
    "assessment_timely",
    "core_group_attendance",
    "minutes_distributed_on_time",
}


# The rule, as plain functions ------------------------------------------------------------------------------------


def test_the_lead_audits_yes_or_no_wins() -> None:
    assert child_answer([(True, "no"), (False, "yes"), (False, "yes")]) == "no"
    assert child_answer([(False, "yes"), (True, "yes")]) == "yes"


def test_without_a_lead_answer_the_agencies_shared_answer_counts() -> None:
    # The lead said "not applicable" (or has not answered): the agencies that did answer all said "yes".
    assert child_answer([(True, "not_applicable"), (False, "yes"), (False, "yes")]) == "yes"
    assert child_answer([(False, "no"), (False, "not_applicable"), (False, "no")]) == "no"
    assert child_answer([(True, None), (False, "no")]) == "no"


def test_agencies_that_disagree_without_a_lead_answer_are_marked_disagreed() -> None:
    assert child_answer([(True, "not_applicable"), (False, "yes"), (False, "no")]) == DISAGREED
    assert child_answer([(False, "yes"), (False, "no")]) == DISAGREED


def test_a_child_nobody_answered_is_not_applicable_or_unanswered() -> None:
    assert child_answer([(True, "not_applicable"), (False, "not_applicable")]) == "not_applicable"
    assert child_answer([(True, None), (False, "")]) is None
    assert child_answer([]) is None


def test_a_child_question_counts_children_with_a_plain_wilson_interval_by_hand() -> None:
    question = builtin_tool(key=DEFAULT_KEY).question("plan_smart")
    assert question.unit == "child" and question.meets_standard == "yes"
    audits = {
        1: [(True, {"plan_smart": "yes"}), (False, {"plan_smart": "no"})],  # the lead's yes
        2: [(True, {"plan_smart": "yes"})],
        3: [(False, {"plan_smart": "yes"}), (False, {"plan_smart": "yes"})],  # both agree
        4: [(True, {"plan_smart": "no"}), (False, {"plan_smart": "yes"})],  # the lead's no
        5: [(True, {"plan_smart": "yes"}), (False, {"plan_smart": "yes"})],
        6: [(False, {"plan_smart": "yes"}), (False, {"plan_smart": "no"})],  # disagreed: left out
        7: [(True, {"plan_smart": "not_applicable"}), (False, {"plan_smart": "not_applicable"})],
    }
    counted = count_question(question, audits)
    result = counted.result
    # 4 of 5 children: p = 0.8, n = 5, z^2 = 3.841459; denominator 1 + z^2/n = 1.768292;
    # centre = (0.8 + z^2/10) / 1.768292 = (0.8 + 0.384146) / 1.768292 = 0.669655;
    # half = z * sqrt(0.16/5 + z^2/100) / 1.768292 = 1.959964 * sqrt(0.070415) / 1.768292 = 0.294121
    # -> 37.55% to 96.38%.
    assert (result.k, result.n, result.clusters) == (4, 5, 5)
    assert result.interval == pytest.approx((0.375534, 0.963776), abs=1e-5)
    assert result.design_effect == 1.0 and result.effective_n == 5 and result.small_n
    assert (counted.unit, counted.disagreed, counted.not_applicable) == ("child", 1, 1)


def test_a_no_polarity_child_question_counts_the_no_answers_as_meeting_the_standard() -> None:
    question = builtin_tool(key=DEFAULT_KEY).question("cp_plan_over_two_years")
    audits = {1: [(True, {question.id: "yes"})], 2: [(True, {question.id: "no"})], 3: [(False, {question.id: "no"})]}
    result = count_question(question, audits).result
    assert (result.k, result.n) == (2, 3)


def test_an_agency_question_still_counts_audits_clustered_by_child() -> None:
    question = builtin_tool(key=DEFAULT_KEY).question("child_seen_alone")
    assert question.unit == "agency_audit"
    audits = {1: [(True, {question.id: "yes"}), (False, {question.id: "no"})], 2: [(True, {question.id: "yes"})]}
    counted = count_question(question, audits)
    assert (counted.result.k, counted.result.n, counted.result.clusters, counted.disagreed) == (2, 3, 2, 0)


# The tool definitions ---------------------------------------------------------------------------------------------


def test_version_2_marks_the_questions_about_the_child_and_version_1_is_unchanged() -> None:
    for key, extra in ((DEFAULT_KEY, set()), (NI_KEY, {"core_assessment_timely"})):
        old, new = builtin_tool(key=key, version=1), builtin_tool(key=key, version=2)
        assert {q.id for q in new.questions if q.unit == "child"} == CHILD_QUESTIONS | extra
        assert {q.unit for q in new.questions} == {"child", "agency_audit"}
        assert {q.unit for q in old.questions} == {"agency_audit"}  # the default: v1 has no unit key
        assert all("unit" in q for s in tool_to_json(new)["sections"] for q in s["questions"])  # every one explicit
        # The trend compares a question by its wording's fingerprint, which the unit leaves alone.
        assert {q.id: wording_fingerprint(q.text) for q in old.questions} == {
            q.id: wording_fingerprint(q.text) for q in new.questions
        }
        assert new.question("plan_quality").unit == "agency_audit"  # the auditors' grade of their own agency's file


def test_version_2_is_frozen_from_now_on() -> None:
    # Rounds store their tool's fingerprint when they pin it. Version 2 gained its units before any real round used
    # it (it shipped unreleased with issue 14); from here on change it only by shipping version 3.
    assert tool_fingerprint(builtin_tool(key=DEFAULT_KEY, version=2)) == (
        "b2600c71454c9ab1e22decf1b71f4d589a03fc7d2bc3d0cdecf0af023a349fd5"
    )
    assert tool_fingerprint(builtin_tool(key=NI_KEY, version=2)) == (
        "24bbb219eb6bcb5f359d33d8a0ab8668b3b5ddd36aac1237b1d98d267a8fb214"
    )


def test_a_unit_is_agency_audit_or_child_only() -> None:
    definition = tool_to_json(builtin_tool(key=DEFAULT_KEY, version=2))
    definition["sections"][0]["questions"][0]["unit"] = "family"
    with pytest.raises(
        ToolDefinitionError, match=r"unit \('child_seen_alone'\): 'family' is not one of: agency_audit, child"
    ):
        load_tool(definition)
    del definition["sections"][0]["questions"][0]["unit"]
    assert load_tool(definition).question("child_seen_alone").unit == "agency_audit"


# The report -------------------------------------------------------------------------------------------------------


def _audit(sampled, auditor, agency: str, *, lead: bool = False, state: str = "submitted", **answers: str):
    assignment = Assignment(sampled_case_id=sampled.id, auditor_id=auditor.id, agency_name=agency, lead=lead)
    db.session.add(assignment)
    db.session.flush()
    audit = AgencyAudit(
        assignment_id=assignment.id, state=state, answers=answers, submitted_at=datetime.now(UTC) - timedelta(days=1)
    )
    db.session.add(audit)
    db.session.flush()
    return audit


@pytest.fixture
def multi(actor, org, users):
    """Four children, each audited by social care (the lead) and health, and the fourth by education too.

    plan_smart (lead, others): (no, yes) -> no; (not applicable lead, yes) -> yes; (yes, yes) -> yes;
    (not applicable lead, yes, no) -> disagreed. plan_quality per audit; joint discussions for two children
    completed and a third still a draft."""
    education = make_user("teacher", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.health)
    audit_round = make_round(cases=8, size=4, assign=False)
    a, b, c, d = audit_round.sampled
    social, health = users["auditor"], users["peer"]
    plans = [("no", "yes"), ("not_applicable", "yes"), ("yes", "yes"), ("not_applicable", "yes")]
    quality = [("good", "good"), ("requires_improvement", "good"), ("outstanding", "inadequate"), ("good", "good")]
    for sampled, (lead_plan, other_plan), (lead_grade, other_grade) in zip(
        audit_round.sampled, plans, quality, strict=True
    ):
        _audit(sampled, social, "Social care", lead=True, plan_smart=lead_plan, plan_quality=lead_grade)
        _audit(sampled, health, "Health", plan_smart=other_plan, plan_quality=other_grade, child_seen_alone="yes")
    _audit(d, education, "Education", plan_smart="no", child_seen_alone="no")  # no plan-quality grade
    completed = datetime.now(UTC) - timedelta(hours=2)
    grades = {"jd_recognition_of_need": "good", "jd_assessment": "requires_improvement", "jd_joint_working": "good"}
    db.session.add_all(
        [
            JointDiscussion(
                sampled_case_id=a.id, completed_at=completed, answers={**grades, "jd_overall_grade": "good"}
            ),
            JointDiscussion(
                sampled_case_id=b.id,
                completed_at=completed,
                answers={**grades, "jd_overall_grade": "inadequate", "jd_planning_intervention": "inadequate"},
            ),
            JointDiscussion(sampled_case_id=c.id, completed_at=None, answers={"jd_overall_grade": "outstanding"}),
        ]
    )
    db.session.flush()
    return audit_round


def _question(report, question_id: str):
    return next(q for q in report.questions if q.question_id == question_id)


def test_the_report_counts_a_child_question_once_per_child(multi):
    report = build_report(multi, as_of=AS_OF, partnership=PARTNERSHIP)
    plan = _question(report, "plan_smart")
    assert plan.unit == "child"
    assert (plan.result.k, plan.result.n, plan.disagreed, plan.not_applicable) == (2, 3, 1, 0)
    # 2 of 3 children, a plain Wilson interval: 20.77% to 93.85% (tests/test_report.py works 2 of 3 by hand).
    assert plan.result.interval == pytest.approx((0.2077, 0.9385), abs=1e-4)
    seen = _question(report, "child_seen_alone")  # about each agency's own work: audits, clustered by child
    assert seen.unit == "agency_audit" and (seen.result.k, seen.result.n, seen.result.clusters) == (4, 5, 4)


def test_the_results_table_states_each_questions_unit_and_the_disagreements(app, multi):
    report = build_report(multi, as_of=AS_OF, partnership=PARTNERSHIP)
    with app.app_context():
        html = render_data_html(report)
    page = BeautifulSoup(html, "html.parser")
    rows = {tr.th.get_text(" ", strip=True): tr for tr in page.select("table.app-report__results tbody tr")}
    plan = next(tr for text, tr in rows.items() if text.startswith("Is the plan specific"))
    seen = next(tr for text, tr in rows.items() if text.startswith("Was the child seen alone?"))
    assert "Unit: children, one answer for each child" in plan.th.get_text()
    assert "Agencies disagreed about 1 child, left out of the count" in plan.th.get_text()
    cells = [td.get_text(" ", strip=True) for td in plan.find_all("td")]
    assert cells[:2] == ["2\u00a0of\u00a03", "67%"] and cells[2] == "21%\u00a0to\u00a094%"  # no "as if ... audits"
    assert "Unit: agency audits, grouped by child" in seen.th.get_text()
    headers = [th.get_text(" ", strip=True) for th in page.select("table.app-report__results thead th")]
    assert "% meeting the standard" in headers
    method = " ".join(page.find(id="method").get_text(" ").split())
    assert "counts each child once: the lead agency’s answer if it answered yes or no" in method
    assert "For children it is a plain Wilson interval" in method
    assert "plan_smart" not in html and "agency_audit" not in html  # no internal ids or codes


def test_the_plan_quality_grade_is_reported_per_agency_audit(multi):
    report = build_report(multi, as_of=AS_OF, partnership=PARTNERSHIP)
    (row,) = report.question_grades  # the overall grade has its own table
    assert row.question_id == "plan_quality" and row.unit == "agency_audit"
    assert row.counts == {"outstanding": 1, "good": 5, "requires_improvement": 1, "inadequate": 1}
    assert (row.graded, row.children, row.not_graded) == (8, 4, 1)  # education's audit gave no grade


def test_the_joint_grades_are_reported_per_child_with_the_children_without_a_discussion(multi):
    report = build_report(multi, as_of=AS_OF, partnership=PARTNERSHIP)
    joint = report.joint_grades
    assert (joint.discussed, joint.not_discussed) == (2, 2)  # the draft does not count
    by_id = {r.question_id: r for r in joint.rows}
    assert list(by_id) == [
        "jd_recognition_of_need",
        "jd_assessment",
        "jd_planning_intervention",
        "jd_joint_working",
        "jd_overall_grade",
    ]
    assert by_id["jd_overall_grade"].counts == {"outstanding": 0, "good": 1, "requires_improvement": 0, "inadequate": 1}
    assert by_id["jd_assessment"].counts["requires_improvement"] == 2
    assert (by_id["jd_planning_intervention"].graded, by_id["jd_planning_intervention"].not_graded) == (1, 1)
    assert {r.unit for r in joint.rows} == {"child"}


def test_the_grades_section_says_which_grades_are_per_audit_and_which_per_child(app, multi):
    with app.app_context():
        html = render_data_html(build_report(multi, as_of=AS_OF, partnership=PARTNERSHIP))
    section = BeautifulSoup(html, "html.parser").find(id="grades")
    text = " ".join(section.get_text(" ").split())
    assert "Overall grades for the work with each child" not in text  # they were agency audits all along
    assert "so they count agency audits" in text and "so they count children" in text
    quality = section.select_one("table.app-report__question-grades")
    assert "Unit: agency audits" in quality.caption.get_text()
    cells = [td.get_text(strip=True) for td in quality.tbody.tr.find_all("td")]
    assert cells == ["1", "5", "1", "1", "8", "4"]
    joint = section.select_one("table.app-report__joint-grades")
    assert "Unit: children" in joint.caption.get_text()
    overall = next(tr for tr in joint.tbody.find_all("tr") if "overall multi-agency grade" in tr.th.get_text())
    assert [td.get_text(strip=True) for td in overall.find_all("td")] == ["0", "1", "0", "1", "2"]
    assert "2 of the 4 sampled children had a completed joint discussion; 2 children have none yet" in text


def test_the_export_carries_the_lead_and_the_unit_so_the_child_figure_can_be_recomputed(multi):
    rows = export_rows(multi)
    assert "lead" in COLUMNS and "unit" in COLUMNS
    plan = [r for r in rows if r["source"] == "agency_audit" and r["question_id"] == "plan_smart"]
    assert {r["unit"] for r in plan} == {"child"} and {r["lead"] for r in plan} == {"yes", "no"}
    # Recomputed from the export alone, by the rule in the method text.
    by_child: dict[str, list[tuple[bool, str]]] = {}
    for r in plan:
        by_child.setdefault(r["case_ref"], []).append((r["lead"] == "yes", r["answer"]))
    answers = []
    for given in by_child.values():
        lead = [a for is_lead, a in given if is_lead and a in ("yes", "no")]
        shared = {a for _, a in given if a in ("yes", "no")}
        answers.append(lead[0] if lead else shared.pop() if len(shared) == 1 else "disagreed")
    assert (answers.count("yes"), answers.count("yes") + answers.count("no"), answers.count("disagreed")) == (2, 3, 1)
    table = list(csv.DictReader(io.StringIO(export_round(multi, fmt="csv").decode("utf-8-sig"))))
    assert list(table[0]) == list(COLUMNS) and {r["lead"] for r in table if r["source"] == "agency_audit"} == {
        "yes",
        "no",
    }


# The trend --------------------------------------------------------------------------------------------------------


def test_the_trend_shows_the_percentage_meeting_the_standard_for_a_no_polarity_question(app, actor, org, users):
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = make_round(
        "Earlier round", cases=8, size=4, assign=False, exclude_audited_within_months=0, tool_version=2
    )
    for sampled, answer in zip(earlier.sampled, ["yes", "no", "no", "no"], strict=True):
        _audit(sampled, users["auditor"], "Social care", lead=True, cp_plan_over_two_years=answer)
    db.session.add(
        PublishedReport(round_id=earlier.id, title="Earlier", as_of=now, sha256="0" * 64, pdf=b"%PDF", interim=False)
    )
    this = make_round("This round", cases=0, size=4, assign=False, exclude_audited_within_months=0, tool_version=2)
    first, second, *_ = this.sampled
    _audit(first, users["auditor"], "Social care", cp_plan_over_two_years="no")
    _audit(first, users["peer"], "Health", cp_plan_over_two_years="yes")  # no lead: disagreed, left out
    _audit(second, users["auditor"], "Social care", cp_plan_over_two_years="no")
    earlier.drawn_at, this.drawn_at = now - timedelta(days=200), now - timedelta(days=1)
    db.session.flush()
    report = build_report(this, as_of=now)
    assert report.trend.rounds == ["Earlier round", "This round"]
    row = next(r for r in report.trend.table if r.text.startswith("Has the child been on a child protection plan"))
    before, after = row.results
    assert (before.k, before.n, before.percent) == (3, 4, 75.0)  # 1 of 4 "yes": 75% meeting the standard
    assert (after.k, after.n) == (1, 1)  # one answer per child; the child whose agencies disagreed left out
    assert row.unit == "child" and row.meets_standard == "no"
    assert dict(report.trend.rows)[row.text] == [75.0, 100.0]
    with app.app_context():
        html = render_data_html(report)
    section = BeautifulSoup(html, "html.parser").find(id="trend")
    table = section.select_one("table.app-report__trend")
    assert table.caption.get_text(strip=True).startswith("Percentage meeting the standard, by round")
    plan = next(tr for tr in table.tbody.find_all("tr") if "child protection plan" in tr.th.get_text())
    assert "Meets the standard: “no”" in plan.th.get_text() and "Unit: children" in plan.th.get_text()
    assert plan.find_all("td")[0].get_text(" ", strip=True).startswith("75% 3\u00a0of\u00a04")
    assert "percentage meeting the standard" in section.select_one("img")["alt"]
    assert "answering yes" not in section.get_text()
