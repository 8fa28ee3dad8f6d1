"""The board report: statistics checked by hand, pseudonymisation, the tagged PDF, determinism and the charts."""

from __future__ import annotations

import base64
import io
import logging
import re
from datetime import UTC, date, datetime

import pytest
from defusedxml.ElementTree import fromstring

from auditapp.domain import audits as audit_domain
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.moderation import moderate, record_blind_grade
from auditapp.extensions import db
from auditapp.models import Action, ActionUpdate, AgencyAudit, Finding, JointDiscussion
from auditapp.reports.charts import grade_chart, trend_chart
from auditapp.reports.render import SECTIONS, fmt_datetime, render_report_html, render_report_pdf
from auditapp.reports.report_data import age_band, build_report
from tests.factories import complete_answers, make_round

AS_OF = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
BORN = date(2015, 3, 7)  # aged 10 at AS_OF
PARTNERSHIP = "Testshire Safeguarding Children Partnership"


def _audit(assignment, *, submit: bool, **answers: str) -> AgencyAudit:
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), **answers)
        db.session.flush()
        if submit:
            assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
        else:
            audit.state = "in_progress"
    return audit


@pytest.fixture
def completed(actor, org, users):
    """A round of 4 cases: 3 audits counted (2 moderated, 1 submitted) and 1 still in progress, with a joint
    discussion, a finding and two actions (one overdue at AS_OF)."""
    audit_round = make_round(cases=8, size=4, blind_moderation=True, tool_version=2)
    assignments = [a for s in audit_round.sampled for a in s.assignments]
    assert len(assignments) == 4
    for sampled in audit_round.sampled:
        sampled.case.date_of_birth = BORN
    # child_seen_alone: yes, yes, no counted; the in-progress "yes" must not count -> 2 of 3.
    # child_views_on_plan: yes, not applicable, yes -> 2 of 2 (not applicable left out).
    first = _audit(assignments[0], submit=True, child_seen_alone="yes", overall_grade="good")
    second = _audit(
        assignments[1],
        submit=True,
        child_seen_alone="yes",
        child_views_on_plan="not_applicable",
        overall_grade="requires_improvement",
    )
    _audit(
        assignments[2], submit=True, child_seen_alone="no", seen_alone_rationale="Too young", overall_grade="inadequate"
    )
    _audit(assignments[3], submit=False, child_seen_alone="yes", overall_grade="outstanding")
    record_blind_grade(first, grade="good")  # blind moderation (issue 14): agreement counts blind pairs only
    record_blind_grade(second, grade="inadequate")
    moderate(first, decision="agreed")
    moderate(second, decision="regraded", grade="inadequate", comment="No plan")
    refs = [s.case.case_ref for s in audit_round.sampled]
    db.session.add(
        JointDiscussion(
            sampled_case_id=audit_round.sampled[0].id,
            completed_at=AS_OF,
            answers={
                "jd_overall_grade": "good",
                "jd_so_what": f"In {refs[0]} Wendy Worker made sure the child was heard.",
            },
        )
    )
    finding = Finding(
        round_id=audit_round.id,
        title="Children are not always seen alone",
        evidence=f"See {refs[2]}.",
        question_ids=["child_seen_alone"],
        case_refs=[refs[2], refs[0]],
        so_what="Some children's own words did not reach their plans.",
        recommendation="Train staff",
    )
    db.session.add(finding)
    db.session.flush()
    late = Action(
        finding_id=finding.id,
        description="Refresh the guidance",
        agency_id=org.social.id,
        owner_name="Head of Service",
        due_date=date(2025, 6, 1),
        status="in_progress",
    )
    done = Action(
        finding_id=finding.id,
        description="Brief the teams",
        agency_id=org.health.id,
        owner_name="Named Nurse",
        due_date=date(2025, 5, 1),
        status="done",
    )
    db.session.add_all([late, done])
    db.session.flush()
    db.session.add_all(
        [
            ActionUpdate(
                action_id=late.id,
                note="Draft written",
                status="in_progress",
                created_at=datetime(2025, 6, 10, tzinfo=UTC),
            ),
            ActionUpdate(
                action_id=late.id,
                note="Written after the report date",
                status="in_progress",
                created_at=datetime(2025, 7, 10, tzinfo=UTC),
            ),
        ]
    )
    db.session.flush()
    return audit_round


def _question(report, question_id: str):
    return next(q for q in report.questions if q.question_id == question_id)


def test_results_count_completed_audits_with_hand_computed_wilson_intervals(completed):
    report = build_report(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    seen = _question(report, "child_seen_alone").result
    # 2 of 3: p = 0.6667, z = 1.96; centre = (p + z^2/6) / (1 + z^2/3) = 0.5731,
    # half-width = z * sqrt(p(1-p)/3 + z^2/36) / (1 + z^2/3) = 0.3654 -> 20.8% to 93.9%.
    assert (seen.k, seen.n) == (2, 3)
    assert seen.interval == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert seen.small_n
    views = _question(report, "child_views_on_plan")
    # 2 of 2 (not applicable left out): centre = (1 + z^2/4) / (1 + z^2/2) = 0.6712, half = 0.3288 -> 34.2% to 100%.
    assert (views.result.k, views.result.n, views.not_applicable) == (2, 2, 1)
    assert views.result.interval == pytest.approx((0.3424, 1.0), abs=1e-4)
    assert report.counts["audits"] == 3 and report.counts["moderated"] == 2
    assert report.auditor_grades == {"outstanding": 0, "good": 1, "requires_improvement": 1, "inadequate": 1}
    assert report.moderated_grades == {"outstanding": 0, "good": 1, "requires_improvement": 0, "inadequate": 1}
    agreement = report.method.agreement
    assert (agreement.n, agreement.agreed) == (2, 1)


def test_the_web_body_shows_the_interval_and_a_plain_small_n_warning(app, completed):
    with app.app_context():
        html = render_report_html(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    assert "21%\u00a0to\u00a094%" in html and "34%\u00a0to\u00a0100%" in html and "2&nbsp;of&nbsp;3" in html
    assert "Warning: only 3 children’s files answered this, so the result is not a reliable measure." in html
    assert "<style" not in html and "style=" not in html  # the web app's CSP forbids inline styles


def test_method_action_plan_and_appendix(completed):
    report = build_report(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    method = report.method
    assert method.sample_size == 4 and report.annex.seed == "test-seed"  # the seed and hashes are in the annex
    assert re.fullmatch(r"[0-9a-f]{64}", report.annex.certificate_sha256)
    late, done = report.actions
    assert late.overdue and not done.overdue  # done is never overdue, whatever its date
    assert late.latest_update == (date(2025, 6, 10), "Draft written")  # the later update is after as_of
    case_one = report.cases[0]
    assert [c.label for c in report.cases] == ["Case 1", "Case 2", "Case 3", "Case 4"]
    assert case_one.age_band == "10 to 15" and case_one.joint_grade == "Good"
    assert case_one.so_what == "In Case 1 the worker made sure the child was heard."
    assert report.findings[0].cases == ["Case 1", "Case 3"] and report.findings[0].evidence == "See Case 3."


def test_dates_are_written_the_gov_uk_way():
    assert fmt_datetime(datetime(2025, 6, 30, 9, 0, tzinfo=UTC)) == "30 June 2025 at 9am (UTC)"
    assert fmt_datetime(datetime(2025, 6, 30, 14, 5, tzinfo=UTC)) == "30 June 2025 at 2:05pm (UTC)"
    assert fmt_datetime(datetime(2025, 6, 30, tzinfo=UTC)) == "30 June 2025 at midnight (UTC)"


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2025, 1, 1), "Under 1"),
        (date(2024, 6, 30), "1 to 4"),
        (date(2020, 7, 1), "1 to 4"),
        (date(2020, 6, 30), "5 to 9"),
        (date(2009, 7, 1), "10 to 15"),
        (date(2009, 6, 30), "16 and over"),
        (None, "Not recorded"),
    ],
)
def test_age_bands_at_the_report_date(born, band):
    assert age_band(born, date(2025, 6, 30)) == band


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_holds_every_section_and_no_identifying_detail_and_is_deterministic(app, completed, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    with app.app_context():
        pdf, pages = render_report_pdf(completed, as_of=AS_OF, partnership=PARTNERSHIP)
        again, _ = render_report_pdf(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING]
    text = _pdf_text(pdf)
    flat = " ".join(text.split())
    for _anchor, heading in SECTIONS:
        assert heading in flat, heading
    assert "Warning: only 3 children’s files answered this" in flat
    assert flat.count("OFFICIAL-SENSITIVE") >= 2 * pages and f"Page {pages} of {pages}" in flat
    for sampled in completed.sampled:
        assert sampled.case.case_ref not in text
    for shown in ("2015-03-07", "07/03/2015", "7 March 2015", "07 March 2015", "Wendy Worker"):
        assert shown not in text
    assert pdf == again  # byte-identical, not only the same text
    assert _pdf_text(again) == text


def test_pdf_is_tagged_pdf_ua_with_title_language_and_author(app, completed):
    pypdf = pytest.importorskip("pypdf")
    with app.app_context():
        pdf, pages = render_report_pdf(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title == "Test round: board report" and reader.metadata.author == PARTNERSHIP
    assert reader.metadata.creation_date == AS_OF
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    assert len(reader.pages) == pages
    figures = _figures(root["/StructTreeRoot"])
    assert figures and all(alt and "grades" in alt for alt in figures)


def _figures(node) -> list[str]:
    node = node.get_object()
    if isinstance(node, list):
        return [alt for child in node for alt in _figures(child)]
    if not hasattr(node, "get"):
        return []
    found = [str(node.get("/Alt"))] if node.get("/S") == "/Figure" else []
    return found + (_figures(node["/K"]) if "/K" in node else [])


def test_charts_are_valid_svg_identical_for_the_same_data_with_fonts_and_text():
    counts = {"outstanding": 1, "good": 5, "requires_improvement": 4, "inadequate": 2}
    chart = grade_chart(counts, title="Auditors’ overall grades", chart_id="grades")
    assert chart.svg == grade_chart(dict(counts), title="Auditors’ overall grades", chart_id="grades").svg
    root = fromstring(chart.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and "Liberation Sans" in root.get("font-family")
    assert root.get("aria-label") == chart.alt and "Good 5" in chart.alt
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", chart.svg)  # no uuid
    assert "<script" not in chart.svg and "http://pygal" not in chart.svg
    assert base64.b64decode(chart.data_uri.removeprefix("data:image/svg+xml;base64,")).decode() == chart.svg
    trend = trend_chart(
        ["Spring", "Summer"], [("Seen alone?", [50, 75]), ("Plan SMART?", [None, 40])], title="Trend", chart_id="trend"
    )
    assert fromstring(trend.svg).tag.endswith("svg") and "2 rounds (Spring, Summer)" in trend.alt


def test_trend_uses_earlier_rounds_with_the_same_tool(completed):
    later = make_round("Later round", cases=8, size=4, assign=False)
    report = build_report(later, as_of=AS_OF, partnership=PARTNERSHIP)
    # Issue 14: "Test round" still has an audit in progress, so it is not compared (tests/test_trend_asof_export.py)
    assert report.trend.rounds == ["Later round"]


def test_report_cli_writes_html_and_pdf(app, completed, tmp_path):
    from auditapp.reports.cli import report_cli

    runner = app.test_cli_runner()
    today = datetime.now(UTC).date().isoformat()  # issue 14: --as-of cannot be before the draw
    html = runner.invoke(report_cli, ["html", str(completed.id), "-o", str(tmp_path / "r.html"), "--as-of", today])
    assert html.exit_code == 0, html.output
    assert "Test round" in (tmp_path / "r.html").read_text(encoding="utf-8")
    pdf = runner.invoke(report_cli, ["pdf", str(completed.id), "-o", str(tmp_path / "r.pdf"), "--as-of", today])
    assert pdf.exit_code == 0, pdf.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-1.7") and "pages, SHA-256" in pdf.output
    missing = runner.invoke(report_cli, ["pdf", "999999", "-o", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "Round not found" in missing.output
