"""Changing plans (issue 13): a round's settings are edited until it is drawn; a round is cancelled at any stage,
closing its open audits; findings and actions are edited or deleted until the round's report is published."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from auditapp.domain.errors import DomainError
from auditapp.domain.findings import add_action, add_finding, add_update, delete_finding, edit_action, edit_finding
from auditapp.domain.publishing import publish
from auditapp.domain.rounds import RoundSettings, cancel_round, create_round, update_round
from auditapp.extensions import db
from auditapp.models import Action, ActionUpdate, AgencyAudit, AuditEvent, AuditRound, Finding, RoundExclusion
from auditapp.models.types import utcnow
from auditapp.vocabulary import ActionStatus, AuditState
from tests.conftest import post_form, soup
from tests.factories import make_cases, make_round

HOSTILE = "<script>alert('x')</script> Ünïcödé ✓ 𝔘 \u202e"


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _text(response) -> str:
    return " ".join(soup(response).get_text().split())


def _undrawn(name: str = "Spring neglect", **settings) -> AuditRound:
    make_cases(6)
    return create_round(RoundSettings(name=name, sample_size=3, **settings), created_by_id=None)


def _round_form(audit_round: AuditRound, **overrides) -> dict:
    data = {
        "name": audit_round.name,
        "theme": audit_round.theme or "",
        "tool_key": audit_round.tool_key,
        "mode": audit_round.mode,
        "exclude_audited_within_months": str(audit_round.exclude_audited_within_months),
        "sample_size": str(audit_round.sample_size),
        "stratify_by": audit_round.stratify_by,
        "exclusions": "",
    }
    data.update(overrides)
    return data


# -- Editing a round ------------------------------------------------------------------------------------------------


def test_the_edit_page_is_the_creation_form_prefilled(client_for, org, users):
    audit_round = _undrawn(theme="Neglect", named_exclusions=[("NS00001", "under review")], due_date=date(2027, 3, 1))
    response = client_for("qa_coordinator").get(f"/rounds/{audit_round.id}/edit")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("h1").get_text(strip=True) == "Change the round’s settings"
    assert page.find("input", {"name": "name"})["value"] == "Spring neglect"
    assert page.find("input", {"name": "theme"})["value"] == "Neglect"
    assert page.find("input", {"name": "sample_size"})["value"] == "3"
    assert "NS00001, under review" in page.find("textarea", {"name": "exclusions"}).get_text()
    assert page.find("input", {"name": "mode", "value": "independent"}).has_attr("checked")
    assert [i["value"] for i in page.find_all("input", {"name": "due_date"})] == ["01", "03", "2027"]
    assert page.find("button", string=lambda s: s and "Save changes" in s)


def test_a_coordinator_edits_a_round_before_the_draw_and_the_trail_records_the_changed_fields(client_for, org, users):
    audit_round = _undrawn(named_exclusions=[("NS00001", "under review"), ("NS00002", "moved away")])
    client = client_for("qa_coordinator")
    response = post_form(
        client,
        f"/rounds/{audit_round.id}/edit",
        _round_form(
            audit_round,
            name="Spring neglect (revised)",
            sample_size="5",
            statuses=["cp"],
            exclusions="NS00002, left the area\nNS00003, serious case review",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{audit_round.id}")
    audit_round = db.session.get(AuditRound, audit_round.id)
    assert audit_round.name == "Spring neglect (revised)" and audit_round.sample_size == 5
    assert audit_round.population_filter["statuses"] == ["cp"]
    exclusions = db.session.scalars(select(RoundExclusion).where(RoundExclusion.round_id == audit_round.id))
    assert sorted((e.case_ref, e.reason) for e in exclusions) == [
        ("NS00002", "left the area"),
        ("NS00003", "serious case review"),
    ]
    (event,) = _events("round_edited")
    changed = event.details["changed"]
    assert changed["name"] == ["Spring neglect", "Spring neglect (revised)"]
    assert changed["sample_size"] == [3, 5]
    assert set(changed) == {"name", "sample_size", "filter", "exclusions"}
    assert "saved" in _text(client.get(f"/rounds/{audit_round.id}"))


def test_saving_an_unchanged_round_records_nothing(client_for, org, users):
    audit_round = _undrawn()
    client = client_for("qa_coordinator")
    assert post_form(client, f"/rounds/{audit_round.id}/edit", _round_form(audit_round)).status_code == 302
    assert _events("round_edited") == []


def test_editing_is_refused_once_the_sample_is_drawn(client_for, org, users):
    audit_round = make_round(assign=False)
    client = client_for("qa_coordinator")
    page = client.get(f"/rounds/{audit_round.id}/edit", follow_redirects=True)
    assert page.status_code == 200
    assert "the round's settings can no longer change" in _text(page)
    response = post_form(
        client, f"/rounds/{audit_round.id}/edit", _round_form(audit_round, name="Changed"), token_from="/home"
    )
    assert response.status_code == 302
    audit_round = db.session.get(AuditRound, audit_round.id)
    assert audit_round.name == "Test round"
    with pytest.raises(DomainError, match="can no longer change"):
        update_round(audit_round, RoundSettings(name="Changed"))
    assert _events("round_edited") == []


def test_an_edit_cannot_take_another_rounds_name_but_keeps_its_own(client_for, org, users):
    audit_round = _undrawn()
    create_round(RoundSettings(name="Autumn"), created_by_id=None)
    client = client_for("qa_coordinator")
    taken = post_form(client, f"/rounds/{audit_round.id}/edit", _round_form(audit_round, name="AUTUMN"))
    assert taken.status_code == 400 and "A round with this name already exists" in _text(taken)
    assert soup(taken).find(class_="govuk-error-summary")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "Enter a name for the round"),
        ({"name": "\x00"}, "Enter a name for the round"),  # PostgreSQL cannot store NUL: never a 500
        ({"name": "x" * 121}, "120"),
        ({"sample_size": "-5"}, "Sample size must be between 1 and 500"),
        ({"sample_size": "99999999999999999999999"}, "Sample size must be a whole number"),
        ({"sample_size": "twelve"}, "Sample size must be a whole number"),
        ({"exclude_audited_within_months": "1000"}, ""),
        ({"open_from": ["31", "2", "2026"]}, "must be a real date"),
        ({"due_date": ["99", "99", "99999"]}, "must be a real date"),
        ({"due_date": ["1"]}, "must be a real date"),
        ({"mode": "multi-agency", "agencies": []}, "at least two agencies"),
        ({"stratify_by": "<b>shoe size</b>"}, ""),
        ({"exclusions": "NS00001"}, "Give the reason for excluding case NS00001"),
    ],
)
def test_hostile_or_wrong_edits_are_refused_with_a_message_never_a_500(client_for, org, users, overrides, message):
    audit_round = _undrawn()
    client = client_for("qa_coordinator")
    response = post_form(client, f"/rounds/{audit_round.id}/edit", _round_form(audit_round, **overrides))
    assert response.status_code == 400
    assert soup(response).find(class_="govuk-error-summary")
    assert message in _text(response)
    audit_round = db.session.get(AuditRound, audit_round.id)
    assert audit_round.name == "Spring neglect"


def test_markup_and_unicode_in_an_edited_round_are_kept_and_shown_as_text(client_for, org, users):
    audit_round = _undrawn()
    client = client_for("qa_coordinator")
    response = post_form(client, f"/rounds/{audit_round.id}/edit", _round_form(audit_round, theme=HOSTILE[:120]))
    assert response.status_code == 302
    page = client.get(f"/rounds/{audit_round.id}/edit")
    assert "<script>alert" not in page.get_data(as_text=True)
    assert soup(page).find("input", {"name": "theme"})["value"] == HOSTILE[:120].strip()


# -- Cancelling a round ---------------------------------------------------------------------------------------------


def test_the_cancel_page_says_what_will_happen_before_the_draw(client_for, org, users):
    audit_round = _undrawn()
    page = client_for("qa_coordinator").get(f"/rounds/{audit_round.id}/cancel")
    assert page.status_code == 200
    text = _text(page)
    assert "Cancel this round?" in text
    assert "the sample has not been drawn" in text
    assert "stays in the list of rounds, marked as cancelled" in text
    assert "nobody can draw its sample, assign or change auditors, replace cases, write findings or publish" in text
    button = soup(page).find("button", class_="govuk-button--warning")
    assert button and "Cancel the round" in button.get_text()


def test_a_round_not_yet_drawn_is_cancelled_with_a_reason_and_stays_in_the_list(client_for, org, users):
    audit_round = _undrawn()
    client = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/cancel"
    missing = post_form(client, url, {"reason": "  "})
    assert missing.status_code == 400 and "Enter why the round is being cancelled" in _text(missing)
    assert audit_round.cancelled_at is None
    response = post_form(client, url, {"reason": "The board changed the theme"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/rounds/")
    audit_round = db.session.get(AuditRound, audit_round.id)
    assert audit_round.cancelled_at is not None and audit_round.cancel_reason == "The board changed the theme"
    assert audit_round.cancelled_by_id == users["qa_coordinator"].id
    assert audit_round.status == "Cancelled"
    (event,) = _events("round_cancelled")
    assert event.details["reason"] == "The board changed the theme" and event.object_id == str(audit_round.id)
    listing = client.get("/rounds/")
    assert "Spring neglect" in _text(listing) and "Cancelled" in _text(listing)


def test_cancelling_a_drawn_and_assigned_round_closes_the_audits_not_started(client_for, org, users):
    audit_round = make_round()
    assignments = [a for s in audit_round.sampled for a in s.assignments]
    assert assignments
    client = client_for("qa_coordinator")
    page = client.get(f"/rounds/{audit_round.id}/cancel")
    n = len(assignments)
    assert f"{n} assigned audits not yet started will be closed" in _text(page)
    assert post_form(client, f"/rounds/{audit_round.id}/cancel", {"reason": "Auditors off sick"}).status_code == 302
    audits = [db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == a.id)) for a in assignments]
    assert all(a is not None and a.state == AuditState.WITHDRAWN for a in audits)
    assert _events("round_cancelled")[0].details["assignments_closed"] == sorted(a.id for a in assignments)


def _set_states(audit_round: AuditRound, *states: AuditState) -> list[AgencyAudit]:
    from auditapp.domain.audits import open_audit

    assignments = [a for s in audit_round.sampled if not s.replaced for a in s.assignments]
    audits = []
    for assignment, state in zip(assignments, states, strict=False):
        audit = open_audit(assignment)
        audit.state, audit.answers = state, {"child_seen": "yes"}
        audits.append(audit)
    db.session.flush()
    return audits


def test_cancelling_withdraws_started_and_submitted_audits_keeps_moderated_ones_and_their_answers(
    client_for, org, users
):
    audit_round = make_round()
    started, submitted, moderated = _set_states(
        audit_round, AuditState.IN_PROGRESS, AuditState.SUBMITTED, AuditState.MODERATED
    )
    client = client_for("qa_coordinator")
    text = _text(client.get(f"/rounds/{audit_round.id}/cancel"))
    assert "2 audits that have been started or submitted will be closed as withdrawn" in text
    assert "1 moderated audit will be kept as it is" in text
    assert "In progress" in text and "Submitted" in text  # the audits to withdraw, in words
    assert (
        post_form(client, f"/rounds/{audit_round.id}/cancel", {"reason": "Merged into the summer round"}).status_code
        == 302
    )
    started, submitted, moderated = (db.session.get(AgencyAudit, a.id) for a in (started, submitted, moderated))
    assert started.state == submitted.state == AuditState.WITHDRAWN
    assert moderated.state == AuditState.MODERATED
    assert started.answers == {"child_seen": "yes"}  # the answers are kept
    withdrawn = _events("audit_withdrawn")
    assert sorted(e.object_id for e in withdrawn) == sorted([str(started.id), str(submitted.id)])
    assert withdrawn[0].details["reason"] == "round cancelled" and withdrawn[0].object_type == "agency_audit"
    assert _events("round_cancelled")[0].details["audits_kept_moderated"] == [moderated.id]


def test_after_cancellation_every_action_on_the_round_is_refused_with_a_message(client_for, org, users):
    from auditapp.domain.assignments import assign_automatically
    from auditapp.domain.sampling import draw_sample, replace_case

    undrawn = _undrawn("Never drawn")
    drawn = make_round(assign=False)
    finding = add_finding(drawn, title="Plans drift", so_what="Children wait")
    action = add_action(
        finding, description="Audit plans", agency_id=org.social.id, owner_name="Jo", due_date=date(2030, 1, 1)
    )
    for audit_round in (undrawn, drawn):
        cancel_round(audit_round, reason="Stopped", cancelled_by_id=None)
    refused = "was cancelled on"
    with pytest.raises(DomainError, match=refused):
        draw_sample(undrawn, seed="s")
    with pytest.raises(DomainError, match=refused):
        assign_automatically(drawn)
    with pytest.raises(DomainError, match=refused):
        replace_case(drawn, case_ref=drawn.sampled[0].case.case_ref, reason="gone")
    with pytest.raises(DomainError, match=refused):
        publish(drawn, pdf=b"%PDF-1.7 test", pages=1, as_of=utcnow())
    with pytest.raises(DomainError, match=refused):
        add_finding(drawn, title="T", so_what="S")
    with pytest.raises(DomainError, match=refused):
        add_action(finding, description="D", agency_id=org.social.id, owner_name="O", due_date=date(2030, 1, 1))
    with pytest.raises(DomainError, match=refused):
        add_update(action, note="n", status=ActionStatus.DONE)
    with pytest.raises(DomainError, match=refused):
        edit_finding(finding, title="T2", so_what="S")
    with pytest.raises(DomainError, match=refused):
        delete_finding(finding)
    with pytest.raises(DomainError, match=refused):
        cancel_round(drawn, reason="again", cancelled_by_id=None)

    client = client_for("qa_coordinator")
    home = "/home"
    witnessed = {"witness_name": "W", "witness_role": "Scrutineer", "witness_value": "v"}
    response = post_form(client, f"/rounds/{undrawn.id}/draw", witnessed, token_from=home)
    assert response.status_code == 400 and refused in _text(response)  # a refused draw shows the error summary
    for path, data in (
        (f"/rounds/{drawn.id}/assign", {}),
        (f"/rounds/{undrawn.id}/edit", _round_form(undrawn, name="Changed")),
        (f"/rounds/{drawn.id}/cancel", {"reason": "again"}),
        (f"/findings/{finding.id}/edit", {"title": "New", "so_what": "S"}),
        (f"/findings/{finding.id}/delete", {}),
        (f"/actions/{action.id}/edit", {"description": "D", "agency_id": str(org.social.id)}),
        (f"/actions/{action.id}/delete", {}),
    ):
        response = post_form(client, path, data, token_from=home, follow_redirects=True)
        assert response.status_code == 200, path
        assert refused in _text(response), path
    added = post_form(client, f"/rounds/{drawn.id}/findings", {"title": "T", "so_what": "S"}, token_from=home)
    assert added.status_code == 400 and refused in _text(added)
    update = post_form(
        client, f"/actions/{action.id}/updates", {"status": "done", "note": "n", "rag": "green"}, token_from=home
    )
    assert update.status_code == 400 and refused in _text(update)
    assert db.session.scalar(select(Finding).where(Finding.id == finding.id)) is not None
    findings_page = _text(client.get(f"/rounds/{drawn.id}/findings"))
    assert "This round was cancelled on" in findings_page and "Stopped" in findings_page
    assert "Add a finding" not in findings_page


def test_a_cancelled_rounds_audits_can_no_longer_be_saved_by_their_auditor(org, users):
    from auditapp.domain.audits import save_section, tool_for

    audit_round = make_round()
    (audit,) = _set_states(audit_round, AuditState.IN_PROGRESS)
    cancel_round(audit_round, reason="Stopped", cancelled_by_id=None)
    section = tool_for(audit_round).sections[0].id
    with pytest.raises(DomainError):
        save_section(audit, section_id=section, values={}, loaded_version=audit.version)


# -- Findings and actions -------------------------------------------------------------------------------------------


@pytest.fixture
def finding(org, users) -> Finding:
    audit_round = make_round(assign=False)
    found = add_finding(audit_round, title="Chronologies are missing", so_what="Histories were lost")
    action = add_action(
        found, description="Chronology training", agency_id=org.social.id, owner_name="Sam", due_date=date(2030, 1, 1)
    )
    add_update(action, note="Training booked", status=ActionStatus.IN_PROGRESS)
    return found


def _finding_form(**overrides) -> dict:
    return {"title": "Chronologies are often missing", "so_what": "Histories were lost", **overrides}


def test_a_finding_is_edited_before_publication_and_the_trail_records_the_changed_fields(client_for, finding):
    client = client_for("qa_coordinator")
    page = client.get(f"/findings/{finding.id}/edit")
    assert page.status_code == 200
    assert soup(page).find("input", {"name": "title"})["value"] == "Chronologies are missing"
    assert soup(page).find("textarea", {"name": "so_what"}).get_text(strip=True) == "Histories were lost"
    response = post_form(client, f"/findings/{finding.id}/edit", _finding_form(recommendation="Train staff"))
    assert response.status_code == 302
    finding = db.session.get(Finding, finding.id)
    assert finding.title == "Chronologies are often missing" and finding.recommendation == "Train staff"
    (event,) = _events("finding_edited")
    assert event.details["changed"] == {
        "title": ["Chronologies are missing", "Chronologies are often missing"],
        "recommendation": [None, "Train staff"],
    }
    listing = _text(client.get(f"/rounds/{finding.round_id}/findings"))
    assert "Finding changed" in listing and "Chronologies are often missing" in listing


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Enter the finding's title"),
        ({"title": "\x00", "evidence": "\x00"}, "Enter the finding's title"),
        ({"so_what": "   "}, "Enter the 'so what'"),
        ({"title": "x" * 201}, "200"),
        ({"case_refs": ["NOT-IN-SAMPLE"]}, "not a valid choice"),
        ({"question_ids": ["<script>"]}, "not a valid choice"),
    ],
)
def test_hostile_or_wrong_finding_edits_are_refused_never_a_500(client_for, finding, overrides, message):
    response = post_form(client_for("qa_coordinator"), f"/findings/{finding.id}/edit", _finding_form(**overrides))
    assert response.status_code == 400 and soup(response).find(class_="govuk-error-summary")
    assert message in _text(response).lower() if message.islower() else message in _text(response)
    finding = db.session.get(Finding, finding.id)
    assert finding.title == "Chronologies are missing"


def test_markup_in_an_edited_finding_is_shown_as_text(client_for, finding):
    client = client_for("qa_coordinator")
    assert post_form(client, f"/findings/{finding.id}/edit", _finding_form(title=HOSTILE)).status_code == 302
    body = client.get(f"/rounds/{finding.round_id}/findings").get_data(as_text=True)
    assert "<script>alert" not in body and "Ünïcödé" in body


def test_deleting_a_finding_says_its_actions_go_too_and_deletes_them(client_for, finding):
    action_id, finding_id, round_id = finding.actions[0].id, finding.id, finding.round_id
    client = client_for("qa_coordinator")
    page = client.get(f"/findings/{finding.id}/delete")
    assert page.status_code == 200
    text = _text(page)
    assert "Delete the finding “Chronologies are missing”?" in text
    assert "Its 1 action, and the progress recorded on it, will be deleted too" in text
    assert "Chronology training" in text
    assert soup(page).find("button", class_="govuk-button--warning")
    assert db.session.get(Finding, finding.id) is not None  # the GET changed nothing
    response = post_form(client, f"/findings/{finding.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Finding, finding_id) is None and db.session.get(Action, action_id) is None
    assert db.session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action_id)).all() == []
    (deleted,) = _events("finding_deleted")
    assert deleted.details["title"] == "Chronologies are missing" and deleted.details["actions_deleted"] == [action_id]
    (action_deleted,) = _events("action_deleted")
    assert action_deleted.object_id == str(action_id) and action_deleted.details["with_finding"] is True
    assert "deleted" in _text(client.get(f"/rounds/{round_id}/findings"))


def test_an_action_is_edited_keeping_its_progress_history(client_for, org, users, finding):
    action = finding.actions[0]
    client = client_for("qa_coordinator")
    page = client.get(f"/actions/{action.id}/edit")
    # Issue 16: an action named only says so, and keeps its name unless a user is chosen as its owner.
    assert page.status_code == 200 and "Named owner: Sam (no account)" in soup(page).get_text()
    response = post_form(
        client,
        f"/actions/{action.id}/edit",
        {
            "description": "Chronology training for every team",
            "agency_id": str(org.health.id),
            "owner_id": str(users["peer"].id),
            "due_date": ["31", "3", "2031"],
        },
    )
    assert response.status_code == 302
    action = db.session.get(Action, action.id)
    assert (
        action.owner_name == users["peer"].name
        and action.agency_id == org.health.id
        and action.due_date == date(2031, 3, 31)
    )
    assert action.status == ActionStatus.IN_PROGRESS and [u.note for u in action.updates] == ["Training booked"]
    (event,) = _events("action_edited")
    assert event.details["changed"]["due_date"] == ["2030-01-01", "2031-03-31"]
    assert set(event.details["changed"]) == {"description", "agency_id", "owner_name", "owner_id", "due_date"}
    assert "Training booked" in _text(client.get(f"/actions/{action.id}"))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"description": ""}, "Enter what will be done"),
        ({"description": "\x00"}, "Enter what will be done"),
        ({"owner_id": "99999999999999999999"}, "Not a valid choice"),  # issue 16: the owner is a user
        ({"agency_id": "99999999999999999999"}, "Not a valid choice"),
        ({"due_date": ["30", "2", "2030"]}, "must be a real date"),
        ({"due_date": ["", "", ""]}, "Enter the date the action is due"),
        ({"due_date": ["1", "1", "<b>"]}, "must be a real date"),
    ],
)
def test_hostile_or_wrong_action_edits_are_refused_never_a_500(client_for, org, finding, overrides, message):
    action = finding.actions[0]
    data = {
        "description": "D",
        "agency_id": str(org.social.id),
        "due_date": ["1", "1", "2031"],
        **overrides,
    }
    response = post_form(client_for("qa_coordinator"), f"/actions/{action.id}/edit", data)
    assert response.status_code == 400 and soup(response).find(class_="govuk-error-summary")
    assert message in _text(response)
    action = db.session.get(Action, action.id)
    assert action.description == "Chronology training"


def test_deleting_an_action_has_a_confirmation_page_and_is_recorded(client_for, finding):
    action = finding.actions[0]
    client = client_for("qa_coordinator")
    page = client.get(f"/actions/{action.id}/delete")
    assert page.status_code == 200
    assert "Its 1 progress update will be deleted too" in _text(page)
    assert post_form(client, f"/actions/{action.id}/delete").status_code == 302
    action_id = action.id
    db.session.expire_all()
    assert db.session.get(Action, action_id) is None and db.session.get(Finding, finding.id) is not None
    (event,) = _events("action_deleted")
    assert event.details["description"] == "Chronology training" and event.details["updates_deleted"] == 1


def test_once_the_report_is_published_findings_and_actions_cannot_change(client_for, finding):
    action = finding.actions[0]
    publish(finding.audit_round, pdf=b"%PDF-1.7 test", pages=1, as_of=utcnow())
    refused = "a published report cannot change"
    with pytest.raises(DomainError, match=refused):
        edit_finding(finding, title="New", so_what="S")
    with pytest.raises(DomainError, match=refused):
        delete_finding(finding)
    with pytest.raises(DomainError, match=refused):
        edit_action(action, description="D", agency_id=action.agency_id, owner_name="O", due_date=date(2031, 1, 1))
    client = client_for("qa_coordinator")
    for path in (
        f"/findings/{finding.id}/edit",
        f"/findings/{finding.id}/delete",
        f"/actions/{action.id}/edit",
        f"/actions/{action.id}/delete",
    ):
        page = client.get(path, follow_redirects=True)
        assert page.status_code == 200 and refused in _text(page), path
        posted = post_form(client, path, _finding_form(), token_from="/home", follow_redirects=True)
        assert posted.status_code == 200 and refused in _text(posted), path
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).title == "Chronologies are missing"
    assert db.session.get(Action, action.id) is not None
    findings_page = soup(client.get(f"/rounds/{finding.round_id}/findings"))
    assert not findings_page.find("a", href=f"/findings/{finding.id}/edit")
    assert refused in " ".join(findings_page.get_text().split())
    # Progress is still recorded on the action plan after publication.
    add_update(action, note="Done", status=ActionStatus.DONE)
    assert _events("finding_edited") == [] and _events("finding_deleted") == []


def test_a_withdrawn_report_lets_the_findings_be_corrected_again(client_for, finding):
    from auditapp.domain.publishing import withdraw

    report = publish(finding.audit_round, pdf=b"%PDF-1.7 test", pages=1, as_of=utcnow())
    withdraw(report, reason="A typo in a finding")
    db.session.expire_all()
    assert edit_finding(finding, title="Chronologies are absent", so_what="Histories were lost")
    page = client_for("qa_coordinator").get(f"/rounds/{finding.round_id}/findings")
    assert soup(page).find("a", href=f"/findings/{finding.id}/edit")


def test_the_findings_page_offers_change_and_delete_links_with_hidden_context(client_for, finding):
    action_id = finding.actions[0].id
    page = soup(client_for("qa_coordinator").get(f"/rounds/{finding.round_id}/findings"))
    change = page.find("a", href=f"/findings/{finding.id}/edit")
    delete = page.find("a", href=f"/findings/{finding.id}/delete")
    assert change and "Change" in change.get_text() and change.find(class_="govuk-visually-hidden")
    assert delete and "Delete" in delete.get_text()
    action_page = soup(client_for("qa_coordinator").get(f"/actions/{action_id}"))
    assert action_page.find("a", href=f"/actions/{action_id}/edit")


def test_board_members_and_auditors_cannot_change_findings(client_for, finding):
    for role in ("board_member", "auditor"):
        client = client_for(role)
        for path in (f"/findings/{finding.id}/edit", f"/findings/{finding.id}/delete"):
            assert client.get(path).status_code == 403
            assert post_form(client, path, _finding_form(), token_from="/home").status_code == 403
    assert db.session.get(Finding, finding.id).title == "Chronologies are missing"


def test_a_cancelled_round_shows_why_on_its_page_and_in_the_list(client_for, org, users):
    audit_round = make_round(assign=False)
    client = client_for("qa_coordinator")
    page = soup(client.get(f"/rounds/{audit_round.id}"))
    assert page.find("a", href=f"/rounds/{audit_round.id}/cancel")
    assert not page.find("a", href=f"/rounds/{audit_round.id}/edit")  # drawn: its settings can no longer change
    assert (
        post_form(client, f"/rounds/{audit_round.id}/cancel", {"reason": "Duplicate of the spring round"}).status_code
        == 302
    )
    text = _text(client.get(f"/rounds/{audit_round.id}"))
    assert "This round was cancelled on" in text and "Duplicate of the spring round" in text
    page = soup(client.get(f"/rounds/{audit_round.id}"))
    assert not page.find("a", href=f"/rounds/{audit_round.id}/cancel")
    listing = _text(client.get("/rounds/"))
    assert "Cancelled on" in listing and "Duplicate of the spring round" in listing
    again = client.get(f"/rounds/{audit_round.id}/cancel", follow_redirects=True)
    assert again.status_code == 200 and "was cancelled on" in _text(again)


def test_publishing_and_replacing_on_a_cancelled_round_are_refused_on_the_web(client_for, org, users):
    audit_round = make_round()
    sampled_id = audit_round.sampled[0].id
    cancel_round(audit_round, reason="Stopped", cancelled_by_id=None)
    client = client_for("qa_coordinator")
    published = post_form(client, f"/rounds/{audit_round.id}/publish", {}, token_from="/home", follow_redirects=True)
    assert published.status_code == 200 and "its report cannot be published" in _text(published)
    replaced = post_form(
        client,
        f"/rounds/{audit_round.id}/sample/{sampled_id}/replace",
        {"reason": "file lost"},
        token_from="/home",
        follow_redirects=True,
    )
    assert replaced.status_code in (200, 400) and "was cancelled on" in _text(replaced)
    from auditapp.models import PublishedReport

    assert db.session.scalars(select(PublishedReport)).all() == []


def test_the_pages_of_a_cancelled_round_with_withdrawn_audits_still_work(client_for, org, users):
    audit_round = make_round()
    _set_states(audit_round, AuditState.IN_PROGRESS, AuditState.SUBMITTED, AuditState.MODERATED)
    assignment_id = audit_round.sampled[-1].assignments[0].id  # not started: closed by the cancellation
    cancel_round(audit_round, reason="Stopped", cancelled_by_id=None)
    coordinator = client_for("qa_coordinator")
    for path in (f"/rounds/{audit_round.id}", "/rounds/", f"/rounds/{audit_round.id}/findings", "/home"):
        assert coordinator.get(path).status_code == 200, path
    assert coordinator.get(f"/rounds/{audit_round.id}/report").status_code in (200, 302)
    auditor = client_for("auditor")
    assert auditor.get("/home").status_code == 200
    assert auditor.get(f"/audits/{assignment_id}").status_code in (200, 302, 404)


@pytest.mark.parametrize("reason, status", [("x" * 2001, 400), ("", 400), (HOSTILE, 302), ("\x00", 400)])
def test_hostile_cancel_reasons_never_give_a_500_and_markup_is_shown_as_text(client_for, org, users, reason, status):
    audit_round = _undrawn()
    client = client_for("qa_coordinator")
    response = post_form(client, f"/rounds/{audit_round.id}/cancel", {"reason": reason})
    assert response.status_code == status
    cancelled = db.session.get(AuditRound, audit_round.id).cancelled_at is not None
    assert cancelled is (status == 302)
    if status == 400:
        assert soup(response).find(class_="govuk-error-summary")
    else:
        body = client.get("/rounds/").get_data(as_text=True)
        assert "<script>alert" not in body and "Ünïcödé" in body


def test_nul_characters_are_dropped_not_stored(client_for, org, finding):
    action_id = finding.actions[0].id
    client = client_for("qa_coordinator")
    assert (
        post_form(client, f"/findings/{finding.id}/edit", _finding_form(so_what="Lost\x00 histories")).status_code
        == 302
    )
    assert db.session.get(Finding, finding.id).so_what == "Lost histories"
    update = post_form(client, f"/actions/{action_id}/updates", {"status": "done", "note": "Done\x00", "rag": "green"})
    assert update.status_code == 302
    assert [u.note for u in db.session.get(Action, action_id).updates] == ["Training booked", "Done"]


def test_a_cancelled_rounds_open_work_leaves_the_auditors_list(org, users):
    from auditapp.domain.assignments import assignments_for_auditor

    audit_round = make_round()
    mine = {a.id for s in audit_round.sampled for a in s.assignments if a.auditor_id == users["auditor"].id}
    assert mine and mine <= {a.id for a in assignments_for_auditor(users["auditor"].id)}
    cancel_round(audit_round, reason="Stopped", cancelled_by_id=None)
    assert not mine & {a.id for a in assignments_for_auditor(users["auditor"].id)}
