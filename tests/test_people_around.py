"""The people around the child (issue 15): the conversations with the allocated worker, the team manager and the
family; who may record them; the panel record of the joint discussion; the side-by-side answers' differences."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import people_around as people
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import joint_for, joint_tool
from auditapp.extensions import db
from auditapp.models import AuditEvent, CaseConversation, JointDiscussion
from tests.conftest import post_form, soup
from tests.factories import complete_answers, make_round

TODAY = date(2026, 12, 2)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def sampled(org, users):
    """A sampled case of a two-agency round whose lead auditor is the factory auditor (the peer audits health)."""
    audit_round = make_round(
        mode="multi-agency", agencies=[org.social.name, org.health.name], lead_agency=org.social.name, cases=6, size=2
    )
    case = audit_round.sampled[0]
    assert any(a.lead and a.auditor_id == users["auditor"].id for a in case.assignments)
    return case


def _lead(sampled):
    return next(a for a in sampled.assignments if a.lead)


def _submitted(assignment, grade: str, **overrides: str):
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade=grade, **overrides)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    return audit


WORKER = {
    "name": "Priya Shah",
    "role": "Social worker",
    "held_on": ["3", "11", "2026"],
    "method": "video",
    "said": "The plan changed twice after the school raised attendance.",
}


def test_the_lead_auditor_records_changes_and_removes_a_conversation_each_audited(client_for, sampled):
    lead = client_for("auditor")
    base = f"/audits/cases/{sampled.id}/people"
    page = soup(lead.get(base))
    assert page.h1.get_text() == "People around the child"
    assert [h.get_text() for h in page.select(".govuk-summary-card__title")] == [
        "The allocated worker",
        "The team manager",
        "The family's views",
    ]
    assert events("people_around_viewed")[-1].details["case_ref"] == sampled.case.case_ref
    response = post_form(lead, f"{base}/worker", WORKER)
    assert response.status_code == 302
    talk = db.session.scalar(select(CaseConversation).where(CaseConversation.sampled_case_id == sampled.id))
    assert (talk.kind, talk.name, talk.held_on, talk.method) == ("worker", "Priya Shah", date(2026, 11, 3), "video")
    saved = events("case_conversation_saved")
    assert saved[-1].details | {"channel": None} == {
        "channel": None,
        "case_ref": sampled.case.case_ref,
        "kind": "worker",
        "new": True,
        "changed": ["name", "role", "held_on", "method", "said"],
    }
    shown = soup(lead.get(base)).select_one("#worker").get_text(" ")
    assert "Priya Shah, Social worker" in shown and "3 November 2026" in shown and "By video call" in shown
    post_form(lead, f"{base}/worker", {**WORKER, "said": "Changed words."})
    assert events("case_conversation_saved")[-1].details["changed"] == ["said"]
    confirm = soup(lead.get(f"{base}/remove?kind=worker"))
    assert confirm.h1.get_text() == "Remove the allocated worker?"
    assert (
        post_form(lead, f"{base}/remove", {"kind": "worker"}, token_from=f"{base}/remove?kind=worker").status_code
        == 302
    )
    assert db.session.scalar(select(CaseConversation).where(CaseConversation.sampled_case_id == sampled.id)) is None
    assert events("case_conversation_removed")[-1].details["kind"] == "worker"


def test_a_conversation_with_a_missing_or_bad_field_names_it_and_keeps_what_was_typed(client_for, sampled):
    lead = client_for("auditor")
    url = f"/audits/cases/{sampled.id}/people/manager"
    response = post_form(lead, url, {**WORKER, "name": "Tom Reid", "said": ""})
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(".govuk-error-summary").get_text(" ").count("Enter what the team manager said") == 1
    assert page.select_one("input[name=name]")["value"] == "Tom Reid"
    bad_date = soup(post_form(lead, url, {**WORKER, "held_on": ["31", "2", "2026"]}))
    assert "must be a real date" in bad_date.select_one(".govuk-error-summary").get_text()
    future = soup(post_form(lead, url, {**WORKER, "held_on": ["3", "11", "2099"]}))
    assert "must be today or in the past" in future.select_one(".govuk-error-summary").get_text()
    assert db.session.scalar(select(CaseConversation)) is None
    assert events("case_conversation_saved") == []


def test_the_family_views_not_sought_need_a_reason_and_keep_nothing_else(actor, sampled):
    with pytest.raises(DomainError) as missing:
        people.save_conversation(sampled, kind="family", words=people.ConversationWords(sought="no"), today=TODAY)
    assert missing.value.field == "not_sought_reason"
    with pytest.raises(DomainError) as unanswered:
        people.save_conversation(sampled, kind="family", words=people.ConversationWords(), today=TODAY)
    assert unanswered.value.field == "sought"
    words = people.ConversationWords(sought="no", not_sought_reason="Mother declined.", name="Mother", said="x")
    row, _ = people.save_conversation(sampled, kind="family", words=words, today=TODAY)
    assert (row.sought, row.not_sought_reason, row.name, row.said) == (False, "Mother declined.", None, None)
    sought = people.ConversationWords(
        sought="yes", name="Mother and young person", held_on=TODAY, method="in_person", said="They felt heard."
    )
    row, changed = people.save_conversation(sampled, kind="family", words=sought, today=TODAY)
    assert row.sought is True and row.not_sought_reason is None and "said" in changed


def test_the_trail_row_is_written_in_the_same_flush_as_the_conversation(actor, sampled):
    words = people.ConversationWords(name="Priya Shah", held_on=TODAY, method="phone", said="Fine.")
    with db.session.begin_nested() as nested:
        row, _ = people.save_conversation(sampled, kind="worker", words=words, today=TODAY)
        event = events("case_conversation_saved")[-1]
        assert event.object_id == str(sampled.case_id) and row.id is not None
        nested.rollback()
    assert db.session.scalar(select(CaseConversation)) is None and events("case_conversation_saved") == []


def test_only_the_lead_auditor_and_qa_coordinators_reach_the_people_around_the_child(client_for, sampled):
    base = f"/audits/cases/{sampled.id}/people"
    assert client_for("qa_coordinator").get(base).status_code == 200
    assert client_for("auditor").get(base).status_code == 200
    assert client_for("peer").get(base).status_code == 404  # audits the case, but is not its lead
    assert client_for("board_member").get(base).status_code == 403
    assert client_for("admin").get(base).status_code == 403
    peer = client_for("peer")
    refused = post_form(peer, f"{base}/worker", WORKER, token_from="/home")
    assert refused.status_code == 404 and db.session.scalar(select(CaseConversation)) is None
    qa = client_for("qa_coordinator")
    assert post_form(qa, f"{base}/worker", WORKER).status_code == 302
    back = soup(qa.get(base)).select_one(".govuk-back-link")["href"]
    assert back == f"/rounds/{sampled.round_id}"


def _panel(**overrides: str) -> dict[str, str]:
    return {
        "panel_date-day": "20",
        "panel_date-month": "11",
        "panel_date-year": "2026",
        "attendees": "Asha Bell, Practice lead, Test Social Care\nDr Ken Obi, Named nurse, Test Health",
        "disagreements": "Health graded the plan lower; agreed after reading the core group notes.",
        **overrides,
    }


def _joint_post(client, sampled, data: dict, action: str = "complete"):
    url = f"/audits/{_lead(sampled).id}/joint"
    answers = complete_answers(joint_tool(), jd_overall_grade="requires_improvement")
    return post_form(client, url, {**answers, **data, "version": "0", "action": action})


def test_completing_the_joint_discussion_needs_the_panel_date_and_someone_from_each_agency(client_for, sampled):
    for assignment in sampled.assignments:
        _submitted(assignment, "good")
    lead = client_for("auditor")
    no_health = _joint_post(lead, sampled, _panel(attendees="Asha Bell, Practice lead, Test Social Care"))
    summary = soup(no_health).select_one(".govuk-error-summary").get_text(" ")
    assert "Enter at least one person who attended from Test Health" in summary
    no_date = _joint_post(
        lead, sampled, _panel(**{"panel_date-day": "", "panel_date-month": "", "panel_date-year": ""})
    )
    assert "Enter the date the panel met" in soup(no_date).select_one(".govuk-error-summary").get_text()
    bad_row = _joint_post(lead, sampled, _panel(attendees="Asha Bell\nDr Ken Obi, Named nurse, Test Health"))
    page = soup(bad_row)
    assert "Line 1 of who attended" in page.select_one(".govuk-error-summary").get_text()
    assert "Dr Ken Obi, Named nurse, Test Health" in page.select_one("textarea[name=attendees]").get_text()
    assert joint_for(sampled) is None  # nothing was written
    assert _joint_post(lead, sampled, _panel()).status_code == 302
    joint = db.session.scalar(select(JointDiscussion).where(JointDiscussion.sampled_case_id == sampled.id))
    assert joint.completed_at is not None and joint.panel_date == date(2026, 11, 20)
    assert joint.attendees[1] == {"name": "Dr Ken Obi", "role": "Named nurse", "agency": "Test Health"}
    assert joint.disagreements.startswith("Health graded the plan lower")
    assert events("panel_record_saved")[-1].details["attendees"] == 2
    # A completed record keeps its panel: removing the date later is refused.
    again = _joint_post(lead, sampled, _panel(**{"panel_date-day": ""}), action="save")
    assert "must be a real date" in soup(again).select_one(".govuk-error-summary").get_text()
    page = soup(lead.get(f"/audits/{_lead(sampled).id}/joint"))
    assert page.select_one("input[name=panel_date-day]")["value"] == "20"
    assert page.select_one("input[name=jd_overall_grade][checked]")["value"] == "requires_improvement"


def test_a_draft_panel_record_can_be_saved_without_the_date(actor, sampled):
    for assignment in sampled.assignments:
        _submitted(assignment, "good")
    panel = people.PanelWords(attendees="Asha Bell, Practice lead, Test Social Care")
    assert people.record_panel(sampled, answers={}, panel=panel, complete=False, today=TODAY) == []
    assert people.attendees_of(joint_for(sampled)) == [
        people.Attendee("Asha Bell", "Practice lead", "Test Social Care")
    ]


def test_a_role_may_hold_commas_and_blank_lines_are_ignored():
    attendees, errors = people.parse_attendees("\n Sam Jones, Head of service, safeguarding, Police \n\n")
    assert errors == [] and attendees == [people.Attendee("Sam Jones", "Head of service, safeguarding", "Police")]


def test_the_side_by_side_table_marks_where_the_agencies_differ_and_what_was_not_asked(
    client_for, sampled, monkeypatch
):
    lead, health = _lead(sampled), next(a for a in sampled.assignments if not a.lead)
    _submitted(lead, "good")
    _submitted(health, "inadequate")
    tool = audit_domain.tool_for(sampled.round)
    skipped = tool.questions[0]

    def narrowed(audit):  # as helper A's tool_for_audit will: the health audit was not asked the first question
        if audit.assignment_id != health.id:
            return tool
        return replace(
            tool,
            sections=tuple(
                replace(s, questions=tuple(q for q in s.questions if q.id != skipped.id)) for s in tool.sections
            ),
        )

    monkeypatch.setattr(audit_domain, "tool_for_audit", narrowed, raising=False)
    page = soup(client_for("auditor").get(f"/audits/{lead.id}/joint"))
    assert page.select_one("#differ-summary").get_text(" ", strip=True).startswith("Agencies differ on 1 question")
    marked = page.select("tbody tr.app-side-by-side__differ")
    assert len(marked) == 1
    header = marked[0].th
    assert tool.question("overall_grade").text in header.get_text() and header.select_one(".govuk-tag").get_text() == (
        "Agencies differ"
    )
    assert [td.get_text(strip=True) for td in marked[0].find_all("td")] == ["Good", "Inadequate"]
    first = next(tr for tr in page.select("tbody tr") if tr.th.get_text().startswith(skipped.text))
    assert first.find_all("td")[1].get_text(strip=True) == "Not asked"
    assert "app-side-by-side__differ" not in first.get("class", [])


def test_the_retention_policy_can_remove_the_people_around_the_childs_words(actor, sampled):
    words = people.ConversationWords(name="Priya Shah", held_on=TODAY, method="phone", said="Private words.")
    row, _ = people.save_conversation(sampled, kind="worker", words=words, today=TODAY)
    people.redact_people_around([sampled.id], removed="[removed]")
    assert (row.name, row.said, row.held_on) == ("[removed]", "[removed]", TODAY)
