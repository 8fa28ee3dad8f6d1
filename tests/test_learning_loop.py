"""The learning loop (issue 15): priorities and review learning, what rounds and findings are linked to, success
measures and re-audit dates on actions, and the re-audit round made from an action."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from auditapp.domain import learning
from auditapp.domain.errors import DomainError
from auditapp.domain.findings import add_action, add_finding, edit_action
from auditapp.extensions import db
from auditapp.models import Action, AuditEvent, AuditRound, LearningItem
from tests.conftest import post_form, soup
from tests.factories import make_cases, make_round


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _priority(title: str = "Neglect: recognising cumulative harm") -> LearningItem:
    return learning.save_item(None, kind="priority", title=title)


def _review(title: str = "Child L") -> LearningItem:
    return learning.save_item(None, kind="review_learning", title=title, source="CSPR: Child L (2025)")


def _action(org, audit_round=None, **extra) -> Action:
    audit_round = audit_round or make_round()
    finding = add_finding(audit_round, title="Plans not SMART", so_what="Families did not know what to change")
    return add_action(
        finding,
        description="Train staff in SMART planning",
        agency_id=org.social.id,
        owner_name="Head of service",
        due_date=date(2027, 3, 31),
        **extra,
    )


# -- Items: admin pages ------------------------------------------------------------------------------------------


def test_the_admin_adds_changes_and_retires_items_and_each_is_in_the_trail(client_for, users):
    admin = client_for("admin")
    missing = post_form(admin, "/admin/learning/new", {"kind": "review_learning", "title": "Child L", "source": ""})
    assert missing.status_code == 400
    summary = soup(missing).select_one(".govuk-error-summary").get_text()
    assert "Enter the review the learning comes from" in summary
    assert soup(missing).find("input", {"name": "title"})["value"] == "Child L"  # nothing typed is lost
    added = post_form(
        admin,
        "/admin/learning/new",
        {"kind": "review_learning", "title": "Child L", "source": "CSPR: Child L (2025)", "description": "Dad"},
    )
    assert added.status_code == 302
    item = db.session.scalar(select(LearningItem).where(LearningItem.title == "Child L"))
    assert (item.kind, item.source, item.active) == ("review_learning", "CSPR: Child L (2025)", True)
    changed = post_form(
        admin,
        f"/admin/learning/{item.id}",
        {
            "kind": "review_learning",
            "title": "Child L: the adults around the baby",
            "source": item.source,
            "active": "y",
        },
    )
    assert changed.status_code == 302
    item = db.session.get(LearningItem, item.id, populate_existing=True)
    assert item.title == "Child L: the adults around the baby"
    assert post_form(admin, f"/admin/learning/{item.id}/retire").status_code == 302
    assert db.session.get(LearningItem, item.id, populate_existing=True).active is False
    page = soup(admin.get("/admin/learning")).select_one("#learning-items").get_text()
    assert "Child L: the adults around the baby" in page and "Retired" in page
    assert [len(_events(a)) for a in ("learning_item_added", "learning_item_changed", "learning_item_retired")] == [
        1,
        1,
        1,
    ]
    assert _events("learning_item_changed")[0].details["changed"]["title"][1] == "Child L: the adults around the baby"
    trail = soup(admin.get("/admin/audit-trail"))
    assert "Changed a partnership priority or review learning" in trail.get_text()
    named = trail.find("a", string=re.compile("Child L: the adults around the baby"))
    assert named and named["href"] == f"/admin/learning/{item.id}"  # the trail names the item and opens it


def test_the_coordinator_reads_the_list_but_only_the_admin_changes_it(client_for, users, actor):
    item = _priority()
    qa = client_for("qa_coordinator")
    page = qa.get("/admin/learning")
    assert page.status_code == 200 and "Neglect: recognising cumulative harm" in page.get_data(as_text=True)
    assert soup(page).find("a", href="/admin/learning/new") is None
    assert qa.get("/admin/learning/new").status_code == 403
    assert qa.get(f"/admin/learning/{item.id}").status_code == 403
    assert client_for("auditor").get("/admin/learning").status_code == 403
    nav = [a.get_text(strip=True) for a in soup(page).select(".govuk-service-navigation__link")]
    assert "Priorities and learning" in nav


# -- Links: rounds and findings ------------------------------------------------------------------------------------


def test_a_round_created_on_the_web_stores_what_it_tests_and_its_page_shows_it(client_for, org, users, actor):
    make_cases(6)
    neglect, child_l, retired = _priority(), _review(), _priority("Old priority")
    learning.retire_item(retired)
    qa = client_for("qa_coordinator")
    form = soup(qa.get("/rounds/new"))
    offered = {i["value"] for i in form.find_all("input", {"name": "learning_items"})}
    assert offered == {str(neglect.id), str(child_l.id)}  # a retired item is not offered
    response = post_form(
        qa,
        "/rounds/new",
        {
            "name": "Neglect autumn",
            "mode": "independent",
            "exclude_audited_within_months": "12",
            "sample_size": "4",
            "stratify_by": "none",
            "learning_items": [str(neglect.id), str(child_l.id)],
        },
    )
    assert response.status_code == 302
    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == "Neglect autumn"))
    assert [i.title for i in learning.items_for_round(audit_round)] == [
        "Neglect: recognising cumulative harm",
        "Child L",
    ]
    page = soup(qa.get(f"/rounds/{audit_round.id}")).select_one(".app-round-learning").get_text()
    assert "Neglect: recognising cumulative harm" in page and "CSPR: Child L (2025)" in page
    assert _events("round_learning_linked")[-1].details["items"][1] == sorted(
        ["Neglect: recognising cumulative harm", "Child L"]
    )
    bad = post_form(
        qa,
        "/rounds/new",
        {
            "name": "Another",
            "mode": "independent",
            "exclude_audited_within_months": "12",
            "sample_size": "4",
            "stratify_by": "none",
            "learning_items": [str(retired.id)],
        },
    )
    assert bad.status_code == 400  # not one of the choices


def test_the_round_edit_changes_what_it_tests(client_for, org, users, actor):
    from auditapp.domain.rounds import RoundSettings

    make_cases(6)
    neglect, voice = _priority(), _priority("Voice of the child")
    audit_round = learning.create_round_linked(
        RoundSettings(name="Undrawn", sample_size=3, learning_item_ids=[neglect.id]), created_by_id=None
    )
    qa = client_for("qa_coordinator")
    page = soup(qa.get(f"/rounds/{audit_round.id}/edit"))
    checked = {i["value"] for i in page.find_all("input", {"name": "learning_items"}) if i.has_attr("checked")}
    assert checked == {str(neglect.id)}
    response = post_form(
        qa,
        f"/rounds/{audit_round.id}/edit",
        {
            "name": "Undrawn",
            "mode": "independent",
            "exclude_audited_within_months": "12",
            "sample_size": "3",
            "stratify_by": "none",
            "learning_items": [str(voice.id)],
        },
    )
    assert response.status_code == 302
    assert [i.title for i in learning.items_for_round(audit_round)] == ["Voice of the child"]


def test_a_finding_records_what_it_relates_to_and_the_findings_page_shows_it(client_for, org, users, actor):
    audit_round = make_round()
    neglect = _priority()
    learning.link_round(audit_round, [neglect.id])
    qa = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/findings"
    assert (
        post_form(
            qa,
            url,
            {"title": "Chronologies missing", "so_what": "History was lost", "learning_items": [str(neglect.id)]},
        ).status_code
        == 302
    )
    page = soup(qa.get(url))
    assert "Neglect: recognising cumulative harm" in page.select_one(".app-finding-learning").get_text()
    assert "Neglect: recognising cumulative harm" in page.select_one(".app-round-learning").get_text()
    assert (
        page.find("button", id="briefing-link").find_parent("form")["action"]
        == f"/rounds/{audit_round.id}/briefing.pdf"
    )
    finding_event = _events("finding_learning_linked")[-1]
    assert finding_event.details["items"] == [[], ["Neglect: recognising cumulative harm"]]


def test_deleting_a_finding_removes_its_links(actor, org, users):
    from auditapp.domain.findings import delete_finding

    audit_round = make_round()
    neglect = _priority()
    finding = add_finding(audit_round, title="T", so_what="S", learning_item_ids=[neglect.id])
    assert learning.items_for_finding(finding) == [neglect]
    delete_finding(finding)
    deleted = _events("finding_deleted")[-1]
    assert deleted.details["learning_items"] == ["Neglect: recognising cumulative harm"]


# -- Actions: success measure and re-audit date ----------------------------------------------------------------------


def test_a_new_action_needs_its_success_measure_and_a_reaudit_after_it_is_due(client_for, org, users, actor):
    audit_round = make_round()
    finding = add_finding(audit_round, title="Plans not SMART", so_what="Families did not know what to change")
    qa = client_for("qa_coordinator")
    data = {
        "description": "Train staff in SMART planning",
        "agency_id": str(org.social.id),
        "owner_id": str(users["peer"].id),  # issue 16: the owner is a user
        "due_date": ["31", "3", "2027"],
        "success_measure": "",
        "reaudit_date": ["", "", ""],
    }
    missing = post_form(qa, f"/findings/{finding.id}/actions", data)
    assert missing.status_code == 400
    summary = soup(missing).select_one(".govuk-error-summary")
    assert "Enter how you will know the action worked" in summary.get_text()
    assert summary.find("a", href="#success_measure")
    too_soon = post_form(
        qa,
        f"/findings/{finding.id}/actions",
        {**data, "success_measure": "8 in 10 plans SMART", "reaudit_date": ["1", "3", "2027"]},
    )
    assert too_soon.status_code == 400
    assert "The re-audit date must be after the date the action is due" in soup(too_soon).get_text()
    assert soup(too_soon).find("textarea", {"name": "description"}).get_text() == "Train staff in SMART planning"
    ok = post_form(
        qa,
        f"/findings/{finding.id}/actions",
        {**data, "success_measure": "8 in 10 plans SMART", "reaudit_date": ["30", "9", "2027"]},
    )
    assert ok.status_code == 302
    action = db.session.scalar(select(Action))
    assert (action.success_measure, action.reaudit_date) == ("8 in 10 plans SMART", date(2027, 9, 30))
    page = soup(qa.get(f"/actions/{action.id}"))
    assert page.select_one("#success-measure").get_text(strip=True) == "8 in 10 plans SMART"
    assert page.select_one("#reaudit-date").get_text(strip=True) == "30 September 2027"
    assert page.find("a", id="create-reaudit")


def test_an_older_action_shows_not_recorded_and_a_recorded_measure_cannot_be_blanked(client_for, org, users, actor):
    action = _action(org)  # as an older caller records it: no measure
    qa = client_for("qa_coordinator")
    assert soup(qa.get(f"/actions/{action.id}")).select_one("#success-measure").get_text(strip=True) == "Not recorded"
    action = db.session.get(Action, action.id)
    edit_action(
        action, description=action.description, agency_id=action.agency_id, owner_name="O", due_date=action.due_date
    )  # still none: accepted
    edit_action(
        action,
        description=action.description,
        agency_id=action.agency_id,
        owner_name="O",
        due_date=action.due_date,
        success_measure="Plans SMART",
        reaudit_date=date(2027, 6, 30),
    )
    assert _events("action_edited")[-1].details["changed"]["success_measure"] == [None, "Plans SMART"]
    with pytest.raises(DomainError, match="how you will know"):
        edit_action(
            action,
            description=action.description,
            agency_id=action.agency_id,
            owner_name="O",
            due_date=action.due_date,
            success_measure=" ",
        )


def test_the_board_report_shows_the_success_measure_the_reaudit_date_and_what_the_round_tests(app, actor, org, users):
    from datetime import UTC, datetime

    from auditapp.reports.render import render_report_html

    audit_round = make_round()
    learning.link_round(audit_round, [_review().id])
    _action(org, audit_round, success_measure="8 in 10 plans SMART", reaudit_date=date(2027, 9, 30))
    from bs4 import BeautifulSoup

    with app.app_context():
        html = render_report_html(audit_round, as_of=datetime(2026, 12, 1, tzinfo=UTC), partnership="Testshire")
    page = BeautifulSoup(html, "html.parser")
    actions = page.select_one("#actions").get_text(" ")
    assert "Success measure: 8 in 10 plans SMART" in actions and "Re-audit by: 30 September 2027" in actions
    assert "Child L (CSPR: Child L (2025))" in page.select_one("#findings").get_text(" ")


# -- The re-audit round ------------------------------------------------------------------------------------------


def test_the_reaudit_settings_copy_the_original_round(actor, org, users):
    audit_round = make_round(name="Neglect spring", theme="neglect", statuses=["cp"], stratify_by="locality", size=2)
    neglect, child_l = _priority(), _review()
    learning.link_round(audit_round, [neglect.id])
    action = _action(org, audit_round, success_measure="Plans SMART", reaudit_date=date(2027, 9, 30))
    learning.link_finding(action.finding, [child_l.id])
    settings = learning.reaudit_settings_for(action)
    assert settings.name == "Re-audit: Train staff in SMART planning (September 2027)"
    assert (settings.theme, settings.tool_key, settings.tool_version) == ("neglect", audit_round.tool_key, None)
    assert (settings.statuses, settings.sample_size, settings.stratify_by) == (["cp"], 2, "locality")
    assert settings.due_date == date(2027, 9, 30)
    assert sorted(settings.learning_item_ids) == sorted([neglect.id, child_l.id])
    long = _action(org, audit_round)
    long.description = "Make sure that " + "every worker records the child's words " * 6
    name = learning.reaudit_settings_for(long, today=date(2027, 1, 5)).name
    assert len(name) <= 120 and name.endswith("… (January 2027)") and long.reaudit_date is None


def test_the_coordinator_creates_the_reaudit_round_and_it_links_both_ways(client_for, org, users, actor):
    audit_round = make_round(name="Neglect spring", theme="neglect")
    neglect = _priority()
    learning.link_round(audit_round, [neglect.id])
    action = _action(org, audit_round, success_measure="Plans SMART", reaudit_date=date(2027, 9, 30))
    qa = client_for("qa_coordinator")
    form = soup(qa.get(f"/actions/{action.id}/reaudit"))
    assert form.find("input", {"name": "name"})["value"] == "Re-audit: Train staff in SMART planning (September 2027)"
    assert form.find("input", {"name": "theme"})["value"] == "neglect"
    assert "Train staff in SMART planning" in form.select_one("#reaudit-of").get_text()
    checked = {i["value"] for i in form.find_all("input", {"name": "learning_items"}) if i.has_attr("checked")}
    assert checked == {str(neglect.id)}
    response = post_form(
        qa,
        f"/actions/{action.id}/reaudit",
        {
            "name": "Re-audit: Train staff in SMART planning (September 2027)",
            "theme": "neglect",
            "tool_key": audit_round.tool_key,
            "mode": "independent",
            "exclude_audited_within_months": "12",
            "sample_size": "4",
            "stratify_by": "none",
            "due_date": ["30", "9", "2027"],
            "learning_items": [str(neglect.id)],
        },
    )
    assert response.status_code == 302
    reaudit = db.session.scalar(select(AuditRound).where(AuditRound.name.startswith("Re-audit")))
    action = db.session.get(Action, action.id, populate_existing=True)
    assert action.reaudit_round_id == reaudit.id and reaudit.due_date == date(2027, 9, 30)
    assert [i.id for i in learning.items_for_round(reaudit)] == [neglect.id]
    round_page = soup(qa.get(f"/rounds/{reaudit.id}"))
    assert round_page.select_one("#reaudit-of").find("a")["href"] == f"/actions/{action.id}"
    action_page = soup(qa.get(f"/actions/{action.id}"))
    assert action_page.select_one("#reaudit-round").find("a")["href"] == f"/rounds/{reaudit.id}"
    assert action_page.find("a", id="create-reaudit") is None
    event = _events("reaudit_round_created")[-1]
    assert event.details["round_id"] == reaudit.id and event.details["items"] == [
        "Neglect: recognising cumulative harm"
    ]
    assert _events("round_created")[-1].details["name"] == reaudit.name
    assert qa.get(f"/actions/{action.id}/reaudit").status_code == 302  # only one re-audit round per action
    action = db.session.get(Action, action.id, populate_existing=True)
    with pytest.raises(DomainError, match="already has a re-audit round"):
        learning.create_reaudit_round(action, learning.reaudit_settings_for(action), created_by_id=None)
