"""Publishing the board report (issue 13): the check before publishing, interim reports, versions that supersede
each other, withdrawal, the board's view of reports and actions, and the method page in human words."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import publishing
from auditapp.domain.board_statement import BoardWords, save_statement
from auditapp.domain.concerns import raise_concern
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.findings import ActionFilter, action_plan, add_action, add_finding
from auditapp.domain.moderation import moderate
from auditapp.extensions import db
from auditapp.models import AuditEvent, PublishedReport
from auditapp.models.audit_event import AuditTrailIsAppendOnly
from auditapp.models.finding import ReportWithdrawal
from auditapp.models.types import utcnow
from auditapp.reports.render import render_report_html, render_report_pdf
from auditapp.reports.report_types import Interim, Version
from auditapp.vocabulary import ReportStatus
from tests.conftest import post_form, soup
from tests.factories import complete_answers, make_round

AS_OF = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
# The rounds here pin version 2 of the default tool: these tests are about publishing, and its 22 questions keep each
# PDF a few pages long (the 2026 tool's 84 make about 30). The browser journey publishes a 2026-tool report.
PARTNERSHIP = "Testshire Safeguarding Children Partnership"
HOSTILE = [
    "<script>alert('x')</script> & <b>bold</b>",
    "Ünïcödé ✓ 漢字 🙂 ‮reversed",
    "x" * 2000,
]


def _submit(assignment, *, moderated: bool):
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade="good")
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    if moderated:
        moderate(audit, decision="agreed")
    return audit


@pytest.fixture
def complete(actor, org, users):
    """A round of 2 cases, every audit submitted and moderated, a finding with an action, no open concern."""
    audit_round = make_round(cases=4, size=2, tool_version=2)
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            _submit(assignment, moderated=True)
    finding = add_finding(audit_round, title="Plans are clear", so_what="Children know their plan")
    add_action(
        finding, description="Share the practice", agency_id=org.social.id, owner_name="A", due_date=date(2030, 1, 1)
    )
    save_statement(audit_round, BoardWords("reasonable", "Mostly sound", "Plans", "Drift", "Heard", ""))  # issue 14
    db.session.flush()
    return audit_round


@pytest.fixture
def partial(actor, org, users):
    """A round of 3 cases: one audit moderated, one only submitted, one not started; a finding with no action and
    an open safeguarding concern."""
    audit_round = make_round(cases=6, size=3, tool_version=2)
    assignments = [a for s in audit_round.sampled for a in s.assignments]
    _submit(assignments[0], moderated=True)
    submitted = _submit(assignments[1], moderated=False)
    add_finding(audit_round, title="Chronologies are missing", so_what="Histories are lost")
    with acting_as(ActorContext(user_id=assignments[2].auditor_id, email="x", role="auditor")):
        concern = raise_concern(audit_round.sampled[2], description="Child at risk now")
    db.session.flush()
    return audit_round, submitted, concern


def _pdf_pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


# -- the check -----------------------------------------------------------------------------------------------------


def test_the_check_lists_each_kind_of_gap_in_words(partial):
    audit_round, submitted, concern = partial
    check = publishing.readiness(audit_round)
    assert not check.complete
    third = audit_round.sampled[2].case.case_ref
    assert [g.text for g in check.unsubmitted] == [f"Case {third}: Test Social Care audit not started"]
    assert len(check.unmoderated) == 1 and check.unmoderated[0].link == ("audit", submitted.id)
    assert [g.text for g in check.no_actions] == ["Finding “Chronologies are missing” has no action"]
    assert (
        check.open_concerns[0].link == ("concern", concern.id) and "is not acknowledged" in check.open_concerns[0].text
    )
    assert check.missing() == [
        "1 of the 3 sampled cases does not have every agency’s audit submitted",
        "1 submitted audit has not been moderated",
        "1 finding has no action agreed",
        "1 safeguarding concern raised during the audit has not been acknowledged",
        "The Board statement has not been written",  # issue 14: a full report needs the QA group's statement
    ]


def test_a_complete_round_has_nothing_missing(complete):
    check = publishing.readiness(complete)
    assert check.complete and check.missing() == []


def test_a_round_with_nothing_audited_lists_every_case_and_no_findings(actor, org, users):
    audit_round = make_round(cases=4, size=2, tool_version=2)
    check = publishing.readiness(audit_round)
    assert len(check.unsubmitted) == 2 and check.no_actions[0].text == "No findings have been written for this round"
    assert "2 of the 2 sampled cases do not have every agency’s audit submitted" in check.missing()
    assert "No findings have been written" in check.missing()


def test_the_check_page_links_each_gap_and_asks_for_a_reason(client_for, partial):
    audit_round, submitted, concern = partial
    coordinator = client_for("qa_coordinator")
    response = coordinator.get(f"/rounds/{audit_round.id}/publish")
    assert response.status_code == 200
    page = soup(response)
    text = " ".join(page.get_text().split())
    for heading in (
        "Cases without every agency’s audit submitted (1)",
        "Audits not moderated (1)",
        "Findings without actions (1)",
        "Safeguarding concerns not acknowledged (1)",
    ):
        assert heading in text
    links = {a["href"] for a in page.select("main a")}
    assert f"/moderation/audits/{submitted.id}" in links and f"/moderation/concerns/{concern.id}" in links
    assert f"/rounds/{audit_round.id}" in links
    assert page.select_one("textarea[name=interim_reason]") is not None
    assert page.select_one("textarea[name=change_reason]") is None
    button = page.select_one("main form button")
    assert "govuk-button--warning" in button["class"] and "interim report" in button.get_text()
    assert len(page.select("h1")) == 1 and "Interim report" in text
    for code in ("not_started", "submitted_", "published_report"):
        assert code not in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_publish_checked"))
    assert event is not None and event.details["complete"] is False


def test_an_incomplete_round_is_not_published_without_a_reason(client_for, partial):
    audit_round, *_ = partial
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/publish"
    response = post_form(coordinator, url, {"interim_reason": "   "})
    assert response.status_code == 400
    page = soup(response)
    assert (
        "Enter why you are publishing before the round is complete"
        in page.select_one(".govuk-error-summary").get_text()
    )
    assert db.session.scalar(select(PublishedReport)) is None


@pytest.mark.parametrize("reason", HOSTILE)
def test_hostile_reasons_are_published_as_text_and_never_500(client_for, partial, reason):
    audit_round, *_ = partial
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/rounds/{audit_round.id}/publish", {"interim_reason": reason})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    report = db.session.scalar(select(PublishedReport))
    assert report.interim and report.interim_reason == reason.strip()
    listing = coordinator.get("/reports")
    assert listing.status_code == 200 and "<script>alert" not in listing.get_data(as_text=True)


def test_a_reason_too_long_or_a_missing_csrf_token_is_refused(client_for, partial):
    audit_round, *_ = partial
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/publish"
    long = post_form(coordinator, url, {"interim_reason": "x" * 2001})
    assert long.status_code == 400 and "2,000 characters or less" in soup(long).get_text()
    assert coordinator.post(url, data={"interim_reason": "Board"}).status_code == 400
    assert db.session.scalar(select(PublishedReport)) is None


def test_a_complete_round_publishes_from_the_confirmation_page_without_a_reason(client_for, complete):
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{complete.id}/publish"
    page = soup(coordinator.get(url))
    assert "The round is complete" in page.get_text() and page.select_one("textarea") is None
    response = post_form(coordinator, url)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert "Published the report (version 1" in soup(coordinator.get(response.headers["Location"])).get_text()
    report = db.session.scalar(select(PublishedReport))
    assert not report.interim and report.missing == [] and report.version == 1
    text = " ".join(_pdf_pages(report.pdf))
    assert "Interim" not in text and "INTERIM" not in text


def test_the_preview_links_to_the_check_and_says_interim(client_for, partial):
    audit_round, *_ = partial
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get(f"/rounds/{audit_round.id}/report"))
    assert page.select_one(f"a[href='/rounds/{audit_round.id}/publish']").get_text() == "Check and publish the report"
    text = " ".join(page.get_text().split())
    assert "this report would be published as an interim report" in text
    assert "Interim report: the audit round was not complete" in text
    assert "1 submitted audit has not been moderated" in text
    assert len(page.select(".app-report__interim-tag")) >= 10  # every section says so
    assert len(page.select("h1")) == 1


# -- the interim report ---------------------------------------------------------------------------------------------


def test_an_interim_pdf_says_so_on_its_cover_and_every_page(app, partial):
    audit_round, *_ = partial
    interim = Interim(missing=publishing.readiness(audit_round).missing(), reason="The board meets on Friday")
    with app.app_context():
        pdf, pages = render_report_pdf(audit_round, as_of=AS_OF, partnership=PARTNERSHIP, interim=interim)
    texts = _pdf_pages(pdf)
    assert len(texts) == pages > 2
    for number, text in enumerate(texts, start=1):
        assert "INTERIM REPORT" in text and "Interim report: the round was not complete" in text, number
    cover = texts[0]
    assert "Interim report: the audit round was not complete when this report was produced" in cover
    assert "1 submitted audit has not been moderated" in cover and "The board meets on Friday" in cover
    assert "interim report to the board" in cover


def test_a_published_interim_report_is_stored_with_what_was_missing_and_why(client_for, partial):
    audit_round, *_ = partial
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/rounds/{audit_round.id}/publish", {"interim_reason": "Board on Friday"})
    assert "as an interim report" in soup(coordinator.get(response.headers["Location"])).get_text()
    report = db.session.scalar(select(PublishedReport))
    assert report.interim and report.interim_reason == "Board on Friday" and len(report.missing) == 5
    assert "interim" in report.title
    pages = _pdf_pages(report.pdf)
    assert all("INTERIM REPORT" in text for text in pages) and "Board on Friday" in pages[0]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_published"))
    assert event.details["interim"] is True and event.details["version"] == 1 and len(event.details["missing"]) == 5
    listing = " ".join(soup(client_for("board_member").get("/reports")).get_text().split())
    assert "Interim report" in listing and "Board on Friday" in listing
    assert "1 submitted audit has not been moderated" in listing


def test_the_round_changing_after_the_check_fails_the_job_and_publishes_nothing(app, complete, users):
    from auditapp.reports.jobs import run_publish

    coordinator = ActorContext(user_id=users["qa_coordinator"].id, email="c", role="qa_coordinator")
    with app.test_request_context(), acting_as(coordinator):
        add_finding(complete, title="Late finding", so_what="S")  # now a finding has no action
        with pytest.raises(DomainError, match="check it again"):
            run_publish({"round_id": complete.id, "as_of": AS_OF.isoformat()}, lambda *a: None)
    assert db.session.scalar(select(PublishedReport)) is None


# -- versions and withdrawal ---------------------------------------------------------------------------------------


def _pdf(label: str) -> bytes:
    return f"%PDF-1.7 {label}".encode()


def test_publishing_again_supersedes_and_needs_a_reason(actor, complete):
    first = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    with pytest.raises(DomainError, match="why this version replaces"):
        publishing.publish(complete, pdf=_pdf("v2"), pages=1, as_of=utcnow())
    second = publishing.publish(complete, pdf=_pdf("v2"), pages=1, as_of=utcnow(), change_reason="Late audits")
    assert (first.version, second.version) == (1, 2) and second.supersedes_id == first.id
    assert publishing.current_report(complete) == second
    assert publishing.status_of(first) == ReportStatus.SUPERSEDED
    assert publishing.status_of(second) == ReportStatus.CURRENT
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_superseded"))
    assert event.object_id == str(first.id) or event.object_id == first.id
    assert event.details["superseded_by"] == second.id
    assert publishing.published_reports() == [second]
    assert first.pdf == _pdf("v1")  # the first version is unchanged


def test_a_withdrawal_is_its_own_row_and_the_report_never_changes(actor, complete):
    report = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    sha = report.sha256
    with pytest.raises(DomainError, match="why you are withdrawing"):
        publishing.withdraw(report, reason=" ")
    withdrawal = publishing.withdraw(report, reason="Wrong figures in section 3")
    db.session.commit()
    assert publishing.current_report(complete) is None and publishing.status_of(report) == ReportStatus.WITHDRAWN
    assert db.session.get(PublishedReport, report.id).sha256 == sha
    with pytest.raises(DomainError, match="already been withdrawn"):
        publishing.withdraw(report, reason="again")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_withdrawn"))
    assert event.details["version"] == 1 and event.details["sha256"] == sha
    withdrawal.reason = "Edited afterwards"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ReportWithdrawal, withdrawal.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ReportWithdrawal, withdrawal.id).reason == "Wrong figures in section 3"


def test_only_the_current_version_can_be_withdrawn(actor, complete):
    first = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    publishing.publish(complete, pdf=_pdf("v2"), pages=1, as_of=utcnow(), change_reason="Corrected")
    with pytest.raises(DomainError, match="Only the current version"):
        publishing.withdraw(first, reason="Old")


def test_after_a_withdrawal_a_new_version_needs_no_change_reason(actor, complete):
    first = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    publishing.withdraw(first, reason="Wrong")
    second = publishing.publish(complete, pdf=_pdf("v2"), pages=1, as_of=utcnow())
    assert second.version == 2 and second.supersedes_id is None and publishing.current_report(complete) == second


def test_the_coordinator_withdraws_through_a_confirmation_page(client_for, actor, complete):
    report = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    coordinator = client_for("qa_coordinator")
    listing = soup(coordinator.get("/reports"))
    assert listing.select_one(f"a[href='/reports/{report.id}/withdraw']") is not None
    url = f"/reports/{report.id}/withdraw"
    page = soup(coordinator.get(url))
    assert "board members will no longer be able to download its PDF" in page.get_text()
    assert "govuk-button--warning" in page.select_one("main form button")["class"]
    empty = post_form(coordinator, url, {"reason": ""})
    assert empty.status_code == 400 and "Enter why you are withdrawing the report" in soup(empty).get_text()
    done = post_form(coordinator, url, {"reason": "Wrong figures <b>here</b>"})
    assert done.status_code == 302
    after = coordinator.get(done.headers["Location"])
    text = " ".join(soup(after).get_text().split())
    assert (
        "Withdrew version 1 of the Test round report" in text
        and "govuk-notification-banner--success" in after.get_data(as_text=True)
    )
    assert "Wrong figures <b>here</b>" in text and "<b>here</b>" not in after.get_data(as_text=True)
    assert coordinator.get(url).status_code == 302  # no longer current: nothing to withdraw
    assert db.session.scalar(select(ReportWithdrawal)).reason == "Wrong figures <b>here</b>"


@pytest.mark.parametrize("reason", HOSTILE)
def test_hostile_withdrawal_reasons_never_500(client_for, actor, complete, reason):
    report = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/reports/{report.id}/withdraw", {"reason": reason})
    assert response.status_code == 302
    assert client_for("board_member").get("/reports").status_code == 200


def test_the_board_sees_the_current_version_and_the_history(client_for, actor, complete):
    first = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    second = publishing.publish(complete, pdf=_pdf("v2"), pages=2, as_of=utcnow(), change_reason="Late audits in")
    publishing.withdraw(second, reason="A child could be identified")
    third = publishing.publish(complete, pdf=_pdf("v3"), pages=3, as_of=utcnow())
    board = client_for("board_member")
    page = soup(board.get("/reports"))
    text = " ".join(page.get_text().split())
    assert "Current" in text and "Superseded" in text and "Withdrawn" in text
    assert "A child could be identified" in text and "Late audits in" in text
    rows = page.select("tbody tr")
    assert [r.select("td")[0].get_text().split()[:2] for r in rows] == [
        ["Version", "3"],
        ["Version", "2"],
        ["Version", "1"],
    ]
    # The superseded version stays downloadable, labelled; the withdrawn one is withheld from the board.
    old = board.get(f"/reports/{first.id}.pdf")
    assert old.status_code == 200 and "superseded" in old.headers["Content-Disposition"]
    withheld = board.get(f"/reports/{second.id}.pdf")
    assert withheld.status_code == 302
    assert "no longer available" in soup(board.get(withheld.headers["Location"])).get_text()
    assert page.select_one(f"a[href='/reports/{second.id}.pdf']") is None
    assert page.select_one(f"a[href='/reports/{third.id}.pdf']") is not None
    assert page.select_one("a[href$='/withdraw']") is None  # the board cannot withdraw
    coordinator = client_for("qa_coordinator")
    kept = coordinator.get(f"/reports/{second.id}.pdf")
    assert kept.status_code == 200 and "withdrawn" in kept.headers["Content-Disposition"]
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_downloaded")).all()
    assert {d.details["status"] for d in downloads} == {"superseded", "withdrawn"}


def test_board_members_cannot_withdraw_or_publish(client_for, actor, complete):
    report = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    board = client_for("board_member")
    assert board.get(f"/reports/{report.id}/withdraw").status_code == 403
    assert board.get(f"/rounds/{complete.id}/publish").status_code == 403


# -- the board's action plan ---------------------------------------------------------------------------------------


def test_the_board_sees_actions_only_once_their_round_has_a_current_report(client_for, actor, complete):
    board, coordinator = client_for("board_member"), client_for("qa_coordinator")
    assert "Share the practice" not in soup(board.get("/actions")).get_text()
    assert "Share the practice" in soup(coordinator.get("/actions")).get_text()
    assert "There are no actions yet" in soup(board.get("/home")).get_text()
    assert action_plan(filters=ActionFilter(published_only=True), today=date(2025, 1, 1)) == []
    report = publishing.publish(complete, pdf=_pdf("v1"), pages=1, as_of=utcnow())
    assert "Share the practice" in soup(board.get("/actions")).get_text()
    publishing.withdraw(db.session.get(PublishedReport, report.id), reason="Wrong")
    assert "Share the practice" not in soup(board.get("/actions")).get_text()
    assert "Share the practice" in soup(coordinator.get("/actions")).get_text()
    publishing.publish(complete, pdf=_pdf("v2"), pages=1, as_of=utcnow())
    assert "Share the practice" in soup(board.get("/actions")).get_text()


# -- human words on the report -------------------------------------------------------------------------------------


def test_the_method_page_has_no_commands_or_codes_and_the_annex_has_them(app, actor, org, users):
    audit_round = make_round(cases=8, size=2, statuses=["cin", "cp"], tool_version=2)
    with app.app_context():
        pdf, _ = render_report_pdf(audit_round, as_of=AS_OF, partnership=PARTNERSHIP)
        html = render_report_html(audit_round, as_of=AS_OF, partnership=PARTNERSHIP)
    pages = _pdf_pages(pdf)
    annex_at = next(i for i, text in enumerate(pages) if "Technical annex: checking the sample" in text and i > 0)
    before, annex = " ".join(pages[:annex_at]), " ".join(pages[annex_at:])
    for code in ("auditapp sample", "sha256sum", "hashrank", "cert.json", "cin,", "Statuses"):
        assert code not in before, code
    assert "Case status: Child in need, Child protection plan" in before
    assert "auditapp sample certificate" in annex and "sha256sum certificate.json" in annex and "test-seed" in annex
    method = html[html.index('id="method"') : html.index('id="results"')]
    assert "auditapp" not in method and "hashrank" not in method and "technical annex" in method


def test_a_second_version_says_what_it_replaces_on_its_cover(app, actor, complete):
    with app.app_context():
        html = render_report_html(
            complete, as_of=AS_OF, partnership=PARTNERSHIP, version=Version(number=2, replaces=1, reason="Late audits")
        )
    assert "Version 2." in html and "It replaces version 1: Late audits" in html
