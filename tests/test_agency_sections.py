"""Agency sections through the web: each agency's auditor is asked only its own questions, can submit without the
other agencies' answers, the moderator sees what the grades mean, and the report counts a question only over the
audits that were asked it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import org as org_domain
from auditapp.domain.tool_versions import load_tool_version
from auditapp.extensions import db
from auditapp.models import AgencyAudit, AgencyKind
from auditapp.reports.report_data import build_report
from tests.conftest import csrf_token, soup
from tests.factories import make_round

DESCRIPTORS = {
    "outstanding": "Practice is exceptional and the child's life has improved markedly.",
    "good": "Practice is consistently effective and the child's needs are met.",
    "requires_improvement": "Practice is not yet good: some needs are met, others wait.",
    "inadequate": "Practice leaves the child at risk of harm.",
}


def _yes_no(qid: str, text: str, agencies: list[str] | None = None) -> dict:
    question = {"id": qid, "text": text, "type": "yes_no_na", "required": True}
    return question | ({"agencies": agencies} if agencies else {})


def agency_tool_definition() -> dict:
    """A small tool: a question for every agency, one for health, one for the police, and a police section."""
    labels = {"outstanding": "Excellent", "good": "Good", "requires_improvement": "Not yet good", "inadequate": "Poor"}
    return {
        "schema_version": 1,
        "key": "agency_sections_test",
        "version": 1,
        "title": "Agency sections test",
        "kind": "agency_audit",
        "grade_scale": {
            "name": "Practice grades",
            "levels": [{"value": v, "label": labels[v], "descriptor": d} for v, d in DESCRIPTORS.items()],
        },
        "sections": [
            {
                "id": "practice",
                "title": "Practice",
                "questions": [
                    _yes_no("child_seen", "Was the child seen?"),
                    {
                        "id": "core_group_timely",
                        "text": "Was the first core group within 10 working days of the conference?",
                        "type": "yes_no_na",
                        "computed": {
                            "kind": "working_days_within",
                            "start": "initial_child_protection_conference_date",
                            "end": "first_core_group_date",
                            "limit": 10,
                            "when_start_missing": "not_applicable",
                        },
                    },
                    _yes_no("health_needs", "Were the child's health needs met?", ["health"]),
                    {
                        "id": "health_plan_grade",
                        "text": "How good was the health plan?",
                        "type": "grade",
                        "required": True,
                        "agencies": ["health"],
                    },
                    _yes_no("police_checks", "Were police checks made?", ["police"]),
                ],
            },
            {
                "id": "custody",
                "title": "Custody",
                "agencies": ["police"],
                "questions": [_yes_no("custody_record", "Was a custody record kept?")],
            },
            {
                "id": "overall",
                "title": "Overall",
                "questions": [
                    {"id": "overall_grade", "text": "Overall grade", "type": "grade", "required": True},
                ],
            },
        ],
    }


@pytest.fixture
def agency_round(actor, org, users):
    """A two-agency round (social care and health) on the test tool, with a police agency in the partnership."""
    org_domain.save_agency(agency=None, name="Test Police", kind=AgencyKind.POLICE)
    load_tool_version(text=json.dumps(agency_tool_definition()), name="agency_sections_test.json")
    return make_round(
        mode="multi-agency",
        agencies=[org.social.name, org.health.name],
        lead_agency=org.social.name,
        cases=6,
        size=2,
        tool_key="agency_sections_test",
        tool_version=1,
    )


def _assignments(audit_round, auditor_id: int) -> list:
    return [a for s in audit_round.sampled for a in s.assignments if a.auditor_id == auditor_id]


def _post(client, url: str, data: dict, version: str):
    return client.post(url, data={**data, "version": version, "csrf_token": csrf_token(client, url)})


def _version(client, url: str) -> str:
    return soup(client.get(url)).select_one("input[name=version]")["value"]


def submit_through_the_web(client, assignment_id: int, practice: dict) -> None:
    for section, data in (("practice", practice), ("overall", {"overall_grade": "good"})):
        url = f"/audits/{assignment_id}/section/{section}"
        response = _post(client, url, {**data, "action": "continue"}, _version(client, url))
        assert response.status_code == 302, soup(response).select_one(".govuk-error-summary")
    url = f"/audits/{assignment_id}/check"
    response = _post(client, url, {}, _version(client, url))
    assert response.status_code == 302, soup(response).get_text(" ", strip=True)[:2000]


def test_the_agency_kind_is_the_audited_agencys_else_the_auditors(agency_round, org, users):
    health = _assignments(agency_round, users["peer"].id)[0]
    assert health.agency_name == org.health.name
    assert audit_domain.agency_kind_for(health) == "health"
    health.agency_name = org.health.name.upper()  # matched whatever its case
    assert audit_domain.agency_kind_for(health) == "health"
    health.agency_name = "An agency nobody has set up"
    assert audit_domain.agency_kind_for(health) == "health"  # the auditor's own agency
    health.agency_name = "Test Police"
    assert audit_domain.agency_kind_for(health) == "police"  # the file audited, not the auditor's agency


def test_the_health_auditor_is_asked_the_health_questions_only_and_submits_without_the_police_ones(
    agency_round, client_for, users
):
    assignment = _assignments(agency_round, users["peer"].id)[0]
    client = client_for("peer")
    task_list = soup(client.get(f"/audits/{assignment.id}"))
    sections = [a.get_text(strip=True) for a in task_list.select(".govuk-task-list__link")]
    assert sections == ["Practice", "Overall", "Check your answers and submit"]  # no custody section
    assert "This audit asks the questions for every agency and those for health." in task_list.get_text(" ")
    page = soup(client.get(f"/audits/{assignment.id}/section/practice"))
    asked = {i["name"] for i in page.select("input[type=radio]")}
    assert asked == {"child_seen", "core_group_timely", "health_needs", "health_plan_grade"}
    # No import provides the first core group date: never proposed as late, and the auditor is told why.
    proposal = page.select_one("#core_group_timely-proposal").get_text(" ", strip=True)
    assert proposal == (
        "No answer worked out from the case's dates Cannot be computed: the case population has no first core "
        "group date (no import provides it). Answer from the file."
    )
    assert not page.select("input[name=core_group_timely][checked]")
    assert "Were police checks made?" not in page.get_text()
    # Each grade's hint is what it means in this tool, under the tool's own label.
    hint = page.select_one("#health_plan_grade-item-hint")
    assert hint is not None and hint.get_text(strip=True) == DESCRIPTORS["outstanding"]
    assert "Excellent" in page.select_one("label[for=health_plan_grade]").get_text()
    assert client.get(f"/audits/{assignment.id}/section/custody").status_code == 404

    submit_through_the_web(
        client, assignment.id, {"child_seen": "yes", "health_needs": "no", "health_plan_grade": "requires_improvement"}
    )
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    assert audit.state == "submitted"
    assert "police_checks" not in audit.answers and audit.answers["health_needs"] == "no"


def test_the_social_care_auditor_is_asked_neither_agencys_questions(agency_round, client_for, users):
    assignment = _assignments(agency_round, users["auditor"].id)[0]
    client = client_for("auditor")
    page = soup(client.get(f"/audits/{assignment.id}/section/practice"))
    assert {i["name"] for i in page.select("input[type=radio]")} == {"child_seen", "core_group_timely"}
    submit_through_the_web(client, assignment.id, {"child_seen": "yes", "health_needs": "yes"})  # not asked: dropped
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    assert audit.state == "submitted" and "health_needs" not in audit.answers


def test_the_moderator_sees_the_audits_own_questions_and_what_the_grades_mean(agency_round, client_for, users):
    assignment = _assignments(agency_round, users["peer"].id)[0]
    submit_through_the_web(
        client_for("peer"), assignment.id, {"child_seen": "yes", "health_needs": "yes", "health_plan_grade": "good"}
    )
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    page = soup(client_for("qa_coordinator").get(f"/moderation/audits/{audit.id}"))
    text = page.get_text(" ", strip=True)
    assert "Were the child's health needs met?" in text and "Were police checks made?" not in text
    assert "Custody" not in [h.get_text(strip=True) for h in page.select(".govuk-summary-card__title")]
    details = page.select_one("details.govuk-details")
    assert "What the grades mean (Practice grades)" in details.select_one("summary").get_text(" ", strip=True)
    meanings = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in details.select(".govuk-summary-list__row")
    }
    assert meanings == {
        "Excellent": DESCRIPTORS["outstanding"],
        "Good": DESCRIPTORS["good"],
        "Not yet good": DESCRIPTORS["requires_improvement"],
        "Poor": DESCRIPTORS["inadequate"],
    }
    grades = [o.get_text(strip=True) for o in page.select("select[name=grade] option")]
    assert grades == ["Select a grade", "Excellent", "Good", "Not yet good", "Poor"]


def test_the_report_counts_a_health_question_over_the_health_audits_only(agency_round, client_for, users, actor):
    for assignment in _assignments(agency_round, users["peer"].id):
        submit_through_the_web(
            client_for("peer"), assignment.id, {"child_seen": "yes", "health_needs": "yes", "health_plan_grade": "good"}
        )
    social = _assignments(agency_round, users["auditor"].id)
    for assignment in social:
        submit_through_the_web(client_for("auditor"), assignment.id, {"child_seen": "no"})
    # An answer a social care audit was never asked (left from before, say): it must not count.
    stale = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == social[0].id))
    stale.answers = {**stale.answers, "health_needs": "no", "health_plan_grade": "inadequate"}
    db.session.flush()

    report = build_report(agency_round, as_of=datetime.now(UTC))
    results = {q.question_id: q.result for q in report.questions}
    health_audits = len(_assignments(agency_round, users["peer"].id))
    assert results["child_seen"].n == health_audits + len(social)
    assert (results["health_needs"].k, results["health_needs"].n) == (health_audits, health_audits)
    assert "police_checks" in results and results["police_checks"].n == 0  # nobody was asked it
    plan = next(row for row in report.question_grades if row.question_id == "health_plan_grade")
    assert (plan.graded, plan.not_graded, plan.counts["good"], plan.counts["inadequate"]) == (
        health_audits,
        0,
        health_audits,
        0,
    )
    # The report names the grades as the tool does, and its annex tables what they mean.
    assert report.annex.grade_scale.name == "Practice grades"
    assert [lv.descriptor for lv in report.annex.grade_scale.levels] == list(DESCRIPTORS.values())
    assert {grade for case in report.cases for _, grade, _ in case.agency_grades} == {"Good"}
    assert any("good in" in line for line in report.summary)


def test_the_reports_annex_tables_the_tools_grade_scale(agency_round, client_for):
    page = soup(client_for("qa_coordinator").get(f"/rounds/{agency_round.id}/report"))
    table = page.select_one("table.app-report__grade-scale")
    assert "Practice grades" in table.select_one("caption").get_text()
    rows = [
        (r.select_one("th").get_text(strip=True), r.select_one("td").get_text(strip=True))
        for r in table.select("tbody tr")
    ]
    assert rows == [
        ("Excellent", DESCRIPTORS["outstanding"]),
        ("Good", DESCRIPTORS["good"]),
        ("Not yet good", DESCRIPTORS["requires_improvement"]),
        ("Poor", DESCRIPTORS["inadequate"]),
    ]
    # The grades section and its charts name the grades as the tool does, not as Ofsted would.
    grades = page.select_one("#grades")
    headers = [th.get_text(strip=True) for th in grades.select("thead th")]
    assert {"Excellent", "Not yet good", "Poor"} <= set(headers) and "Outstanding" not in headers
    from auditapp.reports.charts import grade_chart

    chart = grade_chart({"requires_improvement": 2}, title="Grades", chart_id="g", options=report_options(agency_round))
    assert "Not yet good 2" in chart.alt and "Requires improvement" not in chart.alt


def report_options(audit_round) -> tuple[tuple[str, str], ...]:
    from auditapp.models.types import utcnow
    from auditapp.reports.report_data import build_report

    return build_report(audit_round, as_of=utcnow()).grade_options


def test_an_annex_for_a_tool_without_descriptors_says_so(actor, org, users, client_for):
    plain = {k: v for k, v in agency_tool_definition().items() if k != "grade_scale"} | {"key": "plain_grades_test"}
    load_tool_version(text=json.dumps(plain), name="plain_grades_test.json")
    audit_round = make_round(cases=4, size=2, tool_key="plain_grades_test", tool_version=1)
    page = soup(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}/report"))
    assert "This tool gives no descriptors" in page.select_one("#annex").get_text(" ", strip=True)
    table = page.select_one("table.app-report__grade-scale")
    assert [r.select_one("th").get_text(strip=True) for r in table.select("tbody tr")] == [
        "Outstanding",
        "Good",
        "Requires improvement",
        "Inadequate",
    ]
    assert {r.select_one("td").get_text(strip=True) for r in table.select("tbody tr")} == {"No descriptor given"}
