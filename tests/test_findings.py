"""Findings, actions and their progress, the action plan, and who may read published reports."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from auditapp.domain.errors import DomainError
from auditapp.domain.findings import ActionFilter, action_plan, add_action, add_finding, add_update
from auditapp.domain.publishing import publish
from auditapp.extensions import db
from auditapp.models import Action, AuditEvent, Finding, PublishedReport
from auditapp.models.audit_event import AuditTrailIsAppendOnly
from auditapp.models.types import utcnow
from tests.conftest import csrf_token, post_form, soup
from tests.factories import make_round


def test_a_finding_needs_its_so_what_and_cases_from_the_sample(actor, org, users):
    audit_round = make_round()
    with pytest.raises(DomainError, match="so what"):
        add_finding(audit_round, title="Chronologies missing", so_what=" ")
    with pytest.raises(DomainError, match="not in the round's sample"):
        add_finding(audit_round, title="T", so_what="S", case_refs=["NOPE"])
    ref = audit_round.sampled[0].case.case_ref
    finding = add_finding(
        audit_round,
        title="Chronologies missing",
        so_what="Children's histories were lost",
        case_refs=[ref],
        question_ids=["chronology_present"],
    )
    assert finding.case_refs == [ref]


def test_coordinator_adds_a_finding_and_an_action_on_the_web(client_for, org, users):
    audit_round = make_round()
    client = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/findings"
    missing = post_form(client, url, {"title": "Plans not SMART", "so_what": ""})
    assert missing.status_code == 400 and "Enter the 'so what'" in soup(missing).get_text()
    assert (
        post_form(
            client,
            url,
            {
                "title": "Plans not SMART",
                "so_what": "Families did not know what to change",
                "question_ids": ["plan_smart"],
            },
        ).status_code
        == 302
    )
    finding = db.session.scalar(select(Finding))
    action_url = f"/findings/{finding.id}/actions"
    bad = post_form(
        client,
        action_url,
        {
            "description": "Train",
            "agency_id": str(org.social.id),
            "owner_id": str(users["peer"].id),  # issue 16: the owner is a user
            "due_date": ["", "", ""],
        },
    )
    assert bad.status_code == 400 and "Enter the date the action is due" in soup(bad).get_text()
    ok = post_form(
        client,
        action_url,
        {
            "description": "Train staff in SMART planning",
            "agency_id": str(org.social.id),
            "owner_id": str(users["peer"].id),  # issue 16: the owner is a user
            "due_date": ["31", "3", "2027"],
            "success_measure": "8 in 10 plans are SMART at the re-audit",  # required since issue 15
        },
    )
    assert ok.status_code == 302
    action = db.session.scalar(select(Action))
    assert action.due_date == date(2027, 3, 31) and action.status == "open"
    assert action.owner_id == users["peer"].id and action.owner_name == users["peer"].name


def test_overdue_is_by_date_and_done_is_never_overdue(actor, org, users):
    audit_round = make_round()
    finding = add_finding(audit_round, title="T", so_what="S")
    late = add_action(finding, description="Late", agency_id=org.social.id, owner_name="A", due_date=date(2026, 1, 1))
    due_today = add_action(
        finding, description="Today", agency_id=org.health.id, owner_name="B", due_date=date(2026, 6, 1)
    )
    today = date(2026, 6, 1)
    assert late.is_overdue(today) and not due_today.is_overdue(today)
    assert [a.description for a in action_plan(filters=ActionFilter(overdue_only=True), today=today)] == ["Late"]
    add_update(late, note="Training delivered", status="done")
    assert not late.is_overdue(today) and late.completed_at is not None
    assert action_plan(filters=ActionFilter(overdue_only=True), today=today) == []
    assert [a.description for a in action_plan(filters=ActionFilter(agency_id=org.health.id), today=today)] == ["Today"]
    assert [a.description for a in action_plan(filters=ActionFilter(status="done"), today=today)] == ["Late"]
    with pytest.raises(DomainError):
        add_update(late, note="", status="open")


def test_board_members_read_the_action_plan_but_cannot_record_progress(client_for, org, users):
    audit_round = make_round()
    finding = add_finding(audit_round, title="T", so_what="S")
    action = add_action(
        finding, description="Audit chronologies", agency_id=org.social.id, owner_name="A", due_date=date(2020, 1, 1)
    )
    board = client_for("board_member")
    assert "Audit chronologies" not in soup(board.get("/actions")).get_text()  # issue 13: not until published
    assert board.get(f"/actions/{action.id}").status_code == 404  # nor by its address
    assert client_for("qa_coordinator").get(f"/actions/{action.id}").status_code == 200
    publish(audit_round, pdf=b"%PDF-1.7 published", pages=1, as_of=utcnow())
    page = soup(board.get("/actions")).get_text()
    assert "Audit chronologies" in page and "Overdue" in page
    url = f"/actions/{action.id}"
    data = {"csrf_token": csrf_token(board, url), "status": "done", "note": "x", "rag": "green"}
    response = board.post(f"{url}/updates", data=data)
    assert response.status_code == 403
    assert "Record progress" not in soup(board.get(url)).get_text()
    assert db.session.get(Action, action.id).status == "open"


def test_only_published_reports_reach_board_members_and_downloads_are_audited(client_for, org, users):
    audit_round = make_round()
    board = client_for("board_member")
    assert "No reports have been published yet" in soup(board.get("/reports")).get_text()
    assert board.get(f"/rounds/{audit_round.id}/findings").status_code == 403  # drafts are the coordinator's
    report = publish(audit_round, pdf=b"%PDF-1.7 published", pages=3, as_of=utcnow())
    listing = soup(board.get("/reports")).get_text()
    assert audit_round.name in listing and report.sha256[:16] in listing
    download = board.get(f"/reports/{report.id}.pdf")
    assert download.status_code == 200 and download.data == b"%PDF-1.7 published"
    assert download.headers["X-Content-SHA256"] == report.sha256
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_downloaded"))
    assert event.actor_id == users["board_member"].id and event.details["sha256"] == report.sha256


def test_a_published_report_cannot_be_changed(actor, org, users):
    audit_round = make_round()
    report = publish(audit_round, pdf=b"%PDF-1.7 v1", pages=1, as_of=utcnow())
    db.session.commit()
    report.pdf = b"%PDF-1.7 tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(PublishedReport, report.id).pdf == b"%PDF-1.7 v1"


def test_publishing_stores_the_pdf_and_its_hash_for_board_members(client_for, org, users):
    import hashlib

    audit_round = make_round()
    coordinator = client_for("qa_coordinator")
    preview = coordinator.get(f"/rounds/{audit_round.id}/report")
    assert preview.status_code == 200 and audit_round.name in soup(preview).get_text()
    url = f"/rounds/{audit_round.id}/publish"  # issue 13: the check page; the round is incomplete, so a reason
    response = coordinator.post(url, data={"csrf_token": csrf_token(coordinator, url), "interim_reason": "Board date"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert "Published the report" in soup(coordinator.get(response.headers["Location"])).get_text()
    report = db.session.scalar(select(PublishedReport))
    assert report.pdf.startswith(b"%PDF") and report.sha256 == hashlib.sha256(report.pdf).hexdigest()
    download = client_for("board_member").get(f"/reports/{report.id}.pdf")
    assert download.data == report.pdf


def test_the_coordinator_records_progress_on_an_action(client_for, org, users):
    audit_round = make_round()
    action = add_action(
        add_finding(audit_round, title="T", so_what="S"),
        description="Train staff",
        agency_id=org.social.id,
        owner_name="A",
        due_date=date(2030, 1, 1),
    )
    client = client_for("qa_coordinator")
    url = f"/actions/{action.id}"
    empty = client.post(
        f"{url}/updates", data={"csrf_token": csrf_token(client, url), "status": "in_progress", "note": ""}
    )
    assert empty.status_code == 400 and "Enter the progress made" in soup(empty).get_text()
    done = client.post(
        f"{url}/updates",
        data={
            "csrf_token": csrf_token(client, url),
            "status": "in_progress",
            "note": "Two sessions held",
            "rag": "amber",
        },
    )
    assert done.status_code == 302
    assert db.session.get(Action, action.id).status == "in_progress"
    assert "Two sessions held" in soup(client.get(url)).get_text()
