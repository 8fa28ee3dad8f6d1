"""Issue 14-D: an honest trend (finished, comparable rounds by draw date, with n and intervals), an as-of that means
as of, and an answers export that carries each audit's state and dates."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from auditapp.domain import audits as audit_domain
from auditapp.domain.answers_export import COLUMNS, export_round, export_rows
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import moderate
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Finding, PublishedReport
from auditapp.reports import trend as trend_module
from auditapp.reports.render import render_data_html
from auditapp.reports.report_data import build_report
from auditapp.vocabulary import ModerationDecision
from tests.factories import complete_answers, make_round

SEEN = "child_seen_alone"
SEEN_TEXT = "Was the child seen alone?"


def _submit(assignment, *, at: datetime | None = None, **answers: str) -> AgencyAudit:
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), **answers)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    if at is not None:
        audit.submitted_at = at
        db.session.flush()
    return audit


def _round(name: str):
    return make_round(name, cases=8, size=4, exclude_audited_within_months=0)  # the same 8 cases every round


def _assignments(audit_round):
    return [a for s in audit_round.sampled for a in s.assignments]


def _published(audit_round, *, interim: bool = False) -> None:
    db.session.add(
        PublishedReport(
            round_id=audit_round.id,
            title=audit_round.name,
            as_of=datetime.now(UTC),
            sha256="0" * 64,
            pdf=b"%PDF",
            interim=interim,
        )
    )
    db.session.flush()


def _body(app, report) -> str:
    with app.app_context():
        return render_data_html(report)


def _drawn(audit_round, when: datetime) -> None:
    audit_round.drawn_at = when
    db.session.flush()


@pytest.fixture
def rounds(actor, org, users):
    """Three earlier rounds with the same tool (finished, interim-only, unfinished) and this round, drawn in an
    order unlike the order they were made in."""
    now = datetime.now(UTC).replace(microsecond=0)
    finished = _round("Autumn round")
    for assignment in _assignments(finished):
        _submit(assignment, **{SEEN: "yes"})
    _published(finished)
    interim = _round("Interim round")
    _published(interim, interim=True)
    unfinished = _round("Barely started round")
    _submit(_assignments(unfinished)[0], **{SEEN: "no"})
    spring = _round("Spring round")  # made last, drawn first
    for assignment in _assignments(spring):
        _submit(assignment, **{SEEN: "no"})
    _published(spring)
    this = _round("This round")
    first, second, *_ = _assignments(this)
    _submit(first, **{SEEN: "yes"})
    _submit(second, **{SEEN: "no"})
    _drawn(spring, now - timedelta(days=300))
    _drawn(finished, now - timedelta(days=200))
    _drawn(interim, now - timedelta(days=100))
    _drawn(unfinished, now - timedelta(days=50))
    _drawn(this, now - timedelta(days=1))
    return {"finished": finished, "spring": spring, "this": this, "now": now}


def test_the_trend_leaves_out_unfinished_rounds_and_orders_by_draw_date(rounds):
    report = build_report(rounds["this"], as_of=rounds["now"])
    trend = report.trend
    assert trend.rounds == ["Spring round", "Autumn round", "This round"]  # by draw date, not by creation
    assert [p.drawn_on for p in trend.points] == sorted(p.drawn_on for p in trend.points)
    row = next(r for r in trend.table if r.text == SEEN_TEXT)
    assert row.comparable
    spring, autumn, this = row.results
    assert (spring.k, spring.n, autumn.k, autumn.n, this.k, this.n) == (0, 4, 4, 4, 1, 2)
    assert all(r.interval is not None for r in row.results)  # each with a Wilson interval
    assert dict(trend.rows)[SEEN_TEXT] == [0, 100, 50]


def test_a_cancelled_round_or_another_tool_is_not_compared(rounds):
    rounds["spring"].cancelled_at = rounds["now"]
    rounds["finished"].tool_key = "another_tool"
    db.session.flush()
    assert build_report(rounds["this"], as_of=rounds["now"]).trend.rounds == ["This round"]


def test_a_question_whose_wording_changed_is_not_comparable(app, rounds, monkeypatch):
    real = trend_module.tool_for

    def reworded(audit_round):
        tool = real(audit_round)
        if audit_round.id != rounds["spring"].id:
            return tool
        sections = tuple(
            dataclasses.replace(
                s,
                questions=tuple(
                    dataclasses.replace(q, text="Was the child seen on their own?") if q.id == SEEN else q
                    for q in s.questions
                ),
            )
            for s in tool.sections
        )
        return dataclasses.replace(tool, sections=sections)

    monkeypatch.setattr(trend_module, "tool_for", reworded)
    report = build_report(rounds["this"], as_of=rounds["now"])
    row = next(r for r in report.trend.table if r.text == SEEN_TEXT)
    assert not row.comparable and row.results[0] is None and row.results[2] is not None
    assert SEEN_TEXT not in dict(report.trend.rows)  # not charted
    other = next(r for r in report.trend.table if r.text != SEEN_TEXT)
    assert other.comparable
    body = _body(app, report)
    assert "Not comparable" in body and "worded differently" in body


def test_a_different_population_gets_a_plain_note_and_the_page_shows_n_and_intervals(app, rounds):
    certificate = json.loads(rounds["spring"].certificate)
    certificate["filter"] = {**certificate.get("filter", {}), "statuses": ["cp"]}
    rounds["spring"].certificate = json.dumps(certificate)
    db.session.flush()
    report = build_report(rounds["this"], as_of=rounds["now"])
    assert len(report.trend.notes) == 1 and report.trend.notes[0].startswith("Spring round drew its sample from")
    body = _body(app, report)
    assert "Spring round drew its sample from different cases" in body
    assert "4&nbsp;of&nbsp;4" in body and "1&nbsp;of&nbsp;2" in body and "\u00a0to\u00a0" in body
    section = BeautifulSoup(body, "html.parser").select_one("#trend")
    # Not in the trend (the method's list of other draws for the theme names them: issue 14)
    assert "Barely started round" not in str(section) and "Interim round" not in str(section)
    table = section.select_one("table.app-report__trend")
    assert table.caption.get_text(strip=True).startswith("Percentage meeting the standard, by round")
    assert len(table.select("thead th[scope=col]")) == 4  # the question and three rounds
    assert all(len(tr.select("td")) == 3 and tr.select_one("th[scope=row]") for tr in table.select("tbody tr"))
    assert section.select_one(".govuk-inset-text") and section.select_one("img[alt]")
    text = section.get_text(" ", strip=True)
    assert "drawn" in text and SEEN not in text and "yes_no" not in text  # no question ids or codes


def test_hostile_round_names_are_escaped_in_the_trend(app, rounds):
    rounds["spring"].name = "<script>alert(1)</script> Ünïcode " + "x" * 80  # within the 120-character limit
    db.session.flush()
    body = _body(app, build_report(rounds["this"], as_of=rounds["now"]))
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_as_of_counts_only_what_existed_then(rounds):
    this, now = rounds["this"], rounds["now"]
    first, second = (db.session.get(AgencyAudit, a.audit.id) for a in _assignments(this)[:2])
    first.submitted_at = now - timedelta(hours=20)
    second.submitted_at = now - timedelta(hours=2)
    db.session.add(
        Finding(
            round_id=this.id,
            title="A later finding",
            evidence="e",
            so_what="s",
            created_at=now - timedelta(hours=1),
        )
    )
    db.session.flush()
    as_of = now - timedelta(hours=10)
    stood = build_report(this, as_of=as_of, as_it_stood=True)
    assert stood.counts["audits"] == 1  # the answer submitted after the as-of date is left out
    assert [r.results[-1].n for r in stood.trend.table if r.text == SEEN_TEXT] == [1]
    assert stood.findings == []
    later = build_report(this, as_of=now, as_it_stood=True)
    assert later.counts["audits"] == 2 and [f.title for f in later.findings] == ["A later finding"]


def test_as_of_before_the_draw_is_refused(rounds):
    this = rounds["this"]
    with pytest.raises(DomainError, match="cannot be as of .* was drawn on"):
        build_report(this, as_of=this.drawn_at - timedelta(days=3), as_it_stood=True)


def test_the_cli_refuses_an_as_of_before_the_draw_and_accepts_one_after(app, rounds, tmp_path):
    from auditapp.reports.cli import report_cli

    this = rounds["this"]
    runner = app.test_cli_runner()
    early = (this.drawn_at - timedelta(days=30)).date().isoformat()
    out = str(tmp_path / "r.html")
    today = rounds["now"].date().isoformat()
    ok = runner.invoke(report_cli, ["html", str(this.id), "-o", out, "--as-of", today])
    assert ok.exit_code == 0, ok.output
    impossible = runner.invoke(report_cli, ["html", str(this.id), "-o", out, "--as-of", "2026-02-30"])
    assert impossible.exit_code != 0 and "Traceback" not in impossible.output
    (tmp_path / "r.html").unlink()
    refused = runner.invoke(report_cli, ["html", str(this.id), "-o", out, "--as-of", early])  # last: rolls back
    assert refused.exit_code != 0 and "cannot be as of" in refused.output
    assert "Give a date on or after" in refused.output and not (tmp_path / "r.html").exists()


def test_the_export_carries_each_audits_state_and_dates(rounds):
    this = rounds["this"]
    first, second, *_ = _assignments(this)
    audit = db.session.get(AgencyAudit, first.audit.id)
    audit.submitted_at = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    db.session.flush()
    moderate(audit, decision=ModerationDecision.AGREED)
    for column in ("audit_state", "submitted_at", "moderated_at"):
        assert column in COLUMNS
    rows = export_rows(this)

    def of(assignment):
        ref, name = assignment.sampled_case.case.case_ref, assignment.auditor.name
        return [r for r in rows if (r["case_ref"], r["auditor"], r["source"]) == (ref, name, "agency_audit")]

    mine = of(first)
    assert {r["audit_state"] for r in mine} == {"moderated"}
    assert {r["submitted_at"] for r in mine} == {"2026-01-31T09:30:00Z"}
    assert all(r["moderated_at"].endswith("Z") for r in mine)
    theirs = of(second)
    assert {r["audit_state"] for r in theirs} == {"submitted"} and {r["moderated_at"] for r in theirs} == {""}
    table = list(csv.DictReader(io.StringIO(export_round(this, fmt="csv").decode("utf-8-sig"))))
    assert list(table[0]) == list(COLUMNS)
    assert {r["audit_state"] for r in table} >= {"moderated", "submitted"}
