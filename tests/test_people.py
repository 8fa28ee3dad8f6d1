"""Changing people in a round (issue 13): giving an audit to another auditor (keeping its answers, or starting
again), removing an auditor, replacing a case whose audits have started, and automatic assignment shown first
as a proposal, within a per-auditor load limit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from auditapp.domain import assignment_changes as changes
from auditapp.domain import audits as audit_domain
from auditapp.domain.assignments import (
    assign_manually,
    assignments_for_auditor,
    is_withdrawn,
    loads,
)
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import joint_ready, moderate
from auditapp.extensions import db
from auditapp.models import (
    AgencyAudit,
    Assignment,
    AuditEvent,
    AuditorType,
    AuditRound,
    Role,
    SampledCase,
    User,
)
from auditapp.vocabulary import AuditState
from tests.conftest import post_form, soup
from tests.factories import complete_answers, make_round, make_user

STATES = ["in_progress", "submitted", "moderated"]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _as(user_id: int):
    return acting_as(ActorContext(user_id=user_id, email="someone@example.org", role="auditor"))


def start(assignment: Assignment) -> AgencyAudit:
    """The auditor saves the first section of the audit (a real save, so the trail dates it)."""
    with _as(assignment.auditor_id):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        answers = complete_answers(tool, audit_domain.proposals_for(audit))
        audit_domain.save_section(audit, section_id=tool.sections[0].id, values=answers, loaded_version=audit.version)
    return audit


def submit(assignment: Assignment) -> AgencyAudit:
    audit = start(assignment)
    with _as(assignment.auditor_id):
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit))
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    return audit


def bring_to(assignment: Assignment, state: str) -> AgencyAudit:
    if state == "in_progress":
        return start(assignment)
    audit = submit(assignment)
    if state == "moderated":
        moderate(audit, decision="agreed")
    return audit


@pytest.fixture
def second(org):
    return make_user("second_auditor", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social)


@pytest.fixture
def setup(actor, org, users, second):
    audit_round = make_round(cases=8, size=4, assign=False)
    sampled = audit_round.sampled[0]
    mine = assign_manually(audit_round, sampled, auditor_id=users["auditor"].id, agency=None)
    return SimpleNamespace(round=audit_round, sampled=sampled, mine=mine, case_ref=sampled.case.case_ref)


def _url(setup, what: str) -> str:
    return f"/rounds/{setup.round.id}/assignments/{setup.mine.id}/{what}"


# Removing an auditor ----------------------------------------------------------------------------------------------


def test_removing_an_auditor_who_has_not_started_asks_first_then_takes_them_off(client_for, setup):
    client = client_for("qa_coordinator")
    page = client.get(_url(setup, "remove"))
    assert page.status_code == 200
    text = soup(page).get_text(" ", strip=True)
    assert "has not started this audit" in text and "auditor@example.org" in text
    assert soup(page).select_one("button.govuk-button--warning").get_text(strip=True) == "Remove the auditor"
    assert db.session.get(Assignment, setup.mine.id) is not None  # the GET changed nothing

    response = post_form(client, _url(setup, "remove"), {"reason": "Off sick"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id) is None
    assert events("assignment_removed")[-1].details["reason"] == "Off sick"
    banner = soup(client.get(response.headers["Location"])).select_one(".govuk-notification-banner--success")
    assert banner and "removed from case" in banner.get_text()


@pytest.mark.parametrize("state", STATES)
def test_removing_an_auditor_whose_audit_has_started_withdraws_it_never_a_500(client_for, setup, state):
    audit = bring_to(setup.mine, state)
    answers = dict(audit.answers)
    client = client_for("qa_coordinator")
    page = client.get(_url(setup, "remove"))
    assert page.status_code == 200
    text = soup(page).get_text(" ", strip=True)
    assert "The audit by Auditor (auditor@example.org) (started" in text
    assert "sections done" in text and "will be withdrawn" in text and "answers stay in the audit trail" in text
    assert soup(page).select_one("button.govuk-button--warning").get_text(strip=True) == "Withdraw the audit"
    assert soup(page).find("a", string="give this audit to another auditor")

    response = post_form(client, _url(setup, "remove"), {"reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    kept = db.session.get(AgencyAudit, audit.id)
    assert kept.state == AuditState.WITHDRAWN and kept.answers == answers  # nothing lost
    withdrawn = events("audit_withdrawn")[-1]
    assert withdrawn.details["auditor"]["email"] == "auditor@example.org"
    assert withdrawn.details["state_before"] == state
    # The auditor no longer reaches it, nor sees it on their home page; the round page still shows it.
    assert client_for("auditor").get(f"/audits/{setup.mine.id}").status_code == 404
    assert setup.mine.id not in [a.id for a in assignments_for_auditor(setup.mine.auditor_id)]
    round_page = soup(client.get(f"/rounds/{setup.round.id}")).get_text(" ", strip=True)
    assert "Withdrawn" in round_page
    # A withdrawn audit holds no place and counts towards no load; its page is gone (404), never a 500.
    assert loads(db.session.get(AuditRound, setup.round.id)).get(setup.mine.auditor_id, 0) == 0
    assert client.get(_url(setup, "remove")).status_code == 404
    assert post_form(client, _url(setup, "remove"), token_from=f"/rounds/{setup.round.id}").status_code == 404


def test_a_withdrawn_audit_is_not_counted_in_the_report(actor, setup):
    from datetime import UTC, datetime

    from auditapp.reports.report_data import build_report

    audit = bring_to(setup.mine, "moderated")
    assert build_report(setup.round, as_of=datetime.now(UTC)).counts["audits"] == 1
    changes.remove(setup.mine, reason="wrong case")
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.WITHDRAWN
    assert build_report(setup.round, as_of=datetime.now(UTC)).counts["audits"] == 0


# Giving an audit to another auditor -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_reassigning_keeps_the_answers_and_the_trail_names_both_auditors(client_for, login_as, setup, second, state):
    audit = bring_to(setup.mine, state)
    answers = dict(audit.answers)
    client = client_for("qa_coordinator")
    page = client.get(_url(setup, "change"))
    assert page.status_code == 200
    options = [o.get_text() for o in soup(page).select("select[name=auditor_id] option")]
    assert any("Second Auditor" in o for o in options) and not any(o.startswith("Auditor (") for o in options)

    response = post_form(client, _url(setup, "change"), {"auditor_id": str(second.id), "answers": "keep"})
    assert response.status_code == 302
    db.session.expire_all()
    assignment = db.session.get(Assignment, setup.mine.id)
    assert assignment.auditor_id == second.id
    assert db.session.get(AgencyAudit, audit.id).answers == answers
    event = events("assignment_reassigned")[-1]
    assert event.details["from_auditor"]["email"] == "auditor@example.org"
    assert event.details["to_auditor"]["email"] == "second_auditor@example.org"
    assert event.details["from_auditor"]["name"] == "Auditor"
    assert event.details["answers_kept"] is True

    # The new auditor sees the kept answers; the old one no longer reaches the audit.
    newcomer = login_as(second)
    task_list = newcomer.get(f"/audits/{setup.mine.id}")
    assert task_list.status_code == 200
    assert setup.case_ref in task_list.get_data(as_text=True)
    assert [a.id for a in assignments_for_auditor(second.id)] == [setup.mine.id]
    assert client_for("auditor").get(f"/audits/{setup.mine.id}").status_code == 404


def test_starting_again_asks_first_then_withdraws_the_old_audit_and_starts_a_new_one(
    client_for, login_as, setup, second
):
    audit = start(setup.mine)
    answers = dict(audit.answers)
    client = client_for("qa_coordinator")
    response = post_form(client, _url(setup, "change"), {"auditor_id": str(second.id), "answers": "start_again"})
    assert response.status_code == 302 and "/change/start-again?auditor_id=" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).auditor_id == setup.mine.auditor_id  # nothing yet

    confirm = client.get(response.headers["Location"])
    assert confirm.status_code == 200
    text = soup(confirm).get_text(" ", strip=True)
    assert "The audit by Auditor (auditor@example.org) (started" in text or "the audit by Auditor" in text
    assert "will be withdrawn" in text and "Second Auditor (second_auditor@example.org) will start a new audit" in text
    button = soup(confirm).select_one("button.govuk-button--warning")
    assert button.get_text(strip=True) == "Withdraw the audit and start again"

    done = post_form(client, response.headers["Location"], {})
    assert done.status_code == 302
    db.session.expire_all()
    old = db.session.get(AgencyAudit, audit.id)
    assert old.state == AuditState.WITHDRAWN and old.answers == answers
    sampled = db.session.get(SampledCase, setup.sampled.id)
    new = next(a for a in sampled.assignments if a.auditor_id == second.id)
    assert new.audit is None and new.id != setup.mine.id
    event = events("assignment_reassigned")[-1]
    assert (event.details["from_auditor"]["email"], event.details["to_auditor"]["email"]) == (
        "auditor@example.org",
        "second_auditor@example.org",
    )
    assert event.details["started_again"] is True
    assert login_as(second).get(f"/audits/{new.id}").status_code == 200
    assert client_for("auditor").get(f"/audits/{setup.mine.id}").status_code == 404
    # The old auditor's withdrawn audit does not block the case: the new auditor holds its place.
    assert loads(db.session.get(AuditRound, setup.round.id)) == {second.id: 1}


def test_the_conflict_rules_apply_to_the_new_auditor(client_for, setup, org):
    # The cases' allocated worker is "Wendy Worker": she may not audit them without a justification.
    wendy = make_user("wendy_worker", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social)
    client = client_for("qa_coordinator")
    refused = post_form(client, _url(setup, "change"), {"auditor_id": str(wendy.id), "answers": "keep"})
    assert refused.status_code == 400
    summary = soup(refused).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Allocated worker" in summary and "justification" in summary
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).auditor_id != wendy.id

    allowed = post_form(
        client,
        _url(setup, "change"),
        {"auditor_id": str(wendy.id), "answers": "keep", "justification": "No one else is free this month"},
    )
    assert allowed.status_code == 302
    db.session.expire_all()
    assignment = db.session.get(Assignment, setup.mine.id)
    assert assignment.auditor_id == wendy.id and assignment.breaches == ["ALLOCATED_WORKER"]
    assert events("assignment_reassigned")[-1].details["justification"] == "No one else is free this month"


def test_reassigning_to_the_same_auditor_or_one_already_on_the_case_is_refused(actor, setup, second, users):
    with pytest.raises(DomainError, match="already has this audit"):
        changes.reassign(setup.mine, auditor_id=users["auditor"].id)
    with pytest.raises(DomainError, match="Select the auditor"):
        changes.reassign(setup.mine, auditor_id=None)
    assign_manually(setup.round, setup.sampled, auditor_id=second.id, agency="Test Health", justification="Second view")
    with pytest.raises(DomainError, match="already holds another place"):
        changes.reassign(setup.mine, auditor_id=second.id, justification="x")


@pytest.mark.parametrize(
    "data",
    [
        {"auditor_id": ""},
        {"auditor_id": "abc"},
        {"auditor_id": "9" * 40},
        {"auditor_id": "-1"},
        {"auditor_id": "<script>alert(1)</script>"},
        {"answers": "delete everything"},
        {"justification": "x" * 5000},
    ],
)
def test_hostile_change_forms_answer_400_never_500(client_for, setup, second, data):
    client = client_for("qa_coordinator")
    form = {"auditor_id": str(second.id), "answers": "keep", **data}
    response = post_form(client, _url(setup, "change"), form)
    assert response.status_code == 400
    assert soup(response).select_one(".govuk-error-summary")
    assert "<script>alert" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).auditor_id == setup.mine.auditor_id


def test_markup_and_unicode_in_a_justification_are_kept_as_text(client_for, setup, org):
    wendy = make_user("wendy_worker", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social)
    text = "Ünïcødé ✓ <b>bold</b> — 日本語"
    client = client_for("qa_coordinator")
    response = post_form(
        client, _url(setup, "change"), {"auditor_id": str(wendy.id), "answers": "keep", "justification": text}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).justification == text


def test_the_start_again_page_without_a_valid_auditor_goes_back_to_the_change_page(client_for, setup, users):
    client = client_for("qa_coordinator")
    for query in ("", "?auditor_id=abc", f"?auditor_id={users['auditor'].id}", "?auditor_id=" + "9" * 30):
        response = client.get(_url(setup, "change/start-again") + query)
        assert response.status_code == 302 and response.headers["Location"].endswith(_url(setup, "change"))


def test_people_pages_are_for_the_coordinator_of_that_round_only(client_for, setup, actor):
    other = make_round("Another round", cases=0, size=2)
    wrong_round = f"/rounds/{other.id}/assignments/{setup.mine.id}/change"
    coordinator = client_for("qa_coordinator")
    assert coordinator.get(wrong_round).status_code == 404
    assert coordinator.get(f"/rounds/{setup.round.id}/assignments/999999/remove").status_code == 404
    assert client_for("auditor").get(_url(setup, "change")).status_code == 403
    assert client_for("board_member").get(_url(setup, "remove")).status_code == 403


# Replacing a case -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_replacing_a_case_withdraws_its_started_audits_and_assigns_the_new_case(client_for, setup, state):
    audit = bring_to(setup.mine, state)
    client = client_for("qa_coordinator")
    url = f"/rounds/{setup.round.id}/sample/{setup.sampled.id}/replace"
    page = client.get(url)
    assert page.status_code == 200
    text = soup(page).get_text(" ", strip=True)
    assert "The audit by Auditor (auditor@example.org) (started" in text and "will be withdrawn: case replaced" in text
    assert soup(page).select_one("button.govuk-button--warning")

    response = post_form(client, url, {"reason": "File with the court"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.WITHDRAWN
    assert events("audit_withdrawn")[-1].details["reason"] == "case replaced: File with the court"
    incoming = next(
        s
        for s in db.session.get(type(setup.round), setup.round.id).sampled
        if s.position == setup.sampled.position and s.stratum == setup.sampled.stratum and not s.replaced
    )
    assert [a.agency_name for a in incoming.assignments] == [None]  # the independent place, filled automatically
    shown = soup(client.get(f"/rounds/{setup.round.id}")).get_text(" ", strip=True)
    assert "Auditor's audit: withdrawn, case replaced" in shown


def test_a_replacement_nobody_can_take_is_shown_as_needing_an_auditor(client_for, setup, second, actor):
    from auditapp.domain.users import set_active

    setup.round.max_load = 1
    bring_to(setup.mine, "in_progress")
    assign_manually(setup.round, setup.round.sampled[1], auditor_id=second.id, agency=None)
    db.session.flush()
    client = client_for("qa_coordinator")
    url = f"/rounds/{setup.round.id}/sample/{setup.sampled.id}/replace"
    # The first auditor's withdrawn audit frees their load, so make them unavailable too: nobody is left.
    set_active(db.session.get(User, setup.mine.auditor_id), active=False)
    response = post_form(client, url, {"reason": "Wrong child"})
    assert response.status_code == 302
    banner = soup(client.get(response.headers["Location"])).select_one(".govuk-notification-banner--success")
    assert "1 place(s) still need an auditor" in banner.get_text()


# Withdrawn audits elsewhere ---------------------------------------------------------------------------------------


def test_a_withdrawn_audit_is_not_waited_for_by_the_joint_discussion(actor, setup, second):
    other = assign_manually(
        setup.round, setup.sampled, auditor_id=second.id, agency="Test Health", justification="Second view"
    )
    submit(setup.mine)
    start(other)
    assert not joint_ready(setup.sampled)
    changes.remove(other, reason="left the partnership")
    assert is_withdrawn(other) and joint_ready(setup.sampled)


def test_an_audit_not_started_is_handed_over_without_asking_what_to_keep(client_for, setup, second):
    client = client_for("qa_coordinator")
    page = soup(client.get(_url(setup, "change")))
    assert "Their audit so far: not started." in page.get_text(" ", strip=True)
    assert not page.select("input[name=answers]")  # nothing to keep or lose
    response = post_form(client, _url(setup, "change"), {"auditor_id": str(second.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).auditor_id == second.id
    assert events("assignment_reassigned")[-1].details["answers_kept"] is False


def test_a_withdrawn_audit_is_left_out_of_the_answers_export(actor, setup):
    from auditapp.domain.answers_export import export_rows

    start(setup.mine)
    assert export_rows(setup.round)
    changes.remove(setup.mine)
    assert export_rows(setup.round) == []
    assert setup.round.status == "Sampled"  # a withdrawn audit holds no place


@pytest.mark.parametrize("reason", ["x" * 501, "<script>alert(1)</script>" * 30])
def test_a_too_long_removal_reason_is_refused_with_a_message_and_nothing_changes(client_for, setup, reason):
    start(setup.mine)
    client = client_for("qa_coordinator")
    response = post_form(client, _url(setup, "remove"), {"reason": reason})
    assert response.status_code == 400
    assert soup(response).select_one(".govuk-error-summary")
    assert "<script>alert" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, setup.mine.id).audit.state == AuditState.IN_PROGRESS


def test_unicode_and_markup_in_a_removal_reason_go_to_the_trail_as_text(client_for, setup):
    client = client_for("qa_coordinator")
    response = post_form(client, _url(setup, "remove"), {"reason": "Ünïcødé <b>off sick</b> ✓"})
    assert response.status_code == 302
    assert events("assignment_removed")[-1].details["reason"] == "Ünïcødé <b>off sick</b> ✓"
