"""Issue 16: who is told, and when. Each event makes one message (a prompt and a link) for the right people, in
the transaction of the change; the schedule's reminders and escalations follow England's working days."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain.assignment_changes import reassign
from auditapp.domain.concerns import acknowledge, raise_concern
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.findings import add_action, add_finding
from auditapp.domain.moderation import moderate
from auditapp.domain.publishing import publish, withdraw
from auditapp.domain.reminders import escalate_concerns, send_due_reminders
from auditapp.extensions import db
from auditapp.models import Notification, Role, SafeguardingConcern
from auditapp.models.types import clock_set_to
from auditapp.vocabulary import ActionStatus, AuditorType, NotifyEvent
from tests.conftest import post_form
from tests.factories import complete_answers, make_round, make_user
from tests.live_server import ROOT, SECRET_KEY


def _told(event: NotifyEvent) -> list[tuple[int, str]]:
    """(recipient id, link) of every message of ``event``, in the order made."""
    query = select(Notification.user_id, Notification.link).where(Notification.event == event.value)
    return [(user_id, link) for user_id, link in db.session.execute(query.order_by(Notification.id))]


def _as(user):
    return acting_as(ActorContext(user_id=user.id, email=user.email, role=user.role.value))


def _at(text: str):
    """The clock frozen at ``text`` (UTC)."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return clock_set_to(lambda: moment)


def _submit(assignment):
    with _as(assignment.auditor):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade="good")
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    return audit


@pytest.fixture
def joint_round(org, users):
    """A two-agency round: the factory auditor leads for social care, the peer audits for health."""
    return make_round(
        mode="multi-agency", agencies=[org.social.name, org.health.name], lead_agency=org.social.name, cases=6, size=2
    )


def _place(audit_round, user):
    return next(a for s in audit_round.sampled for a in s.assignments if a.auditor_id == user.id)


@pytest.fixture
def leads(org, users):
    """Named safeguarding leads: a health lead (a board member) and social care's lead (the coordinator)."""
    health_lead = make_user("health_lead", Role.BOARD_MEMBER)
    org.health.safeguarding_lead_id = health_lead.id
    org.social.safeguarding_lead_id = users["qa_coordinator"].id
    db.session.flush()
    return health_lead


def test_each_assignment_tells_its_auditor_once_with_the_audits_page(actor, users):
    audit_round = make_round()
    places = [a for s in audit_round.sampled for a in s.assignments]
    assert places
    assert sorted(_told(NotifyEvent.AUDIT_ASSIGNED)) == sorted((a.auditor_id, f"/audits/{a.id}") for a in places)
    assert users["qa_coordinator"].id not in {who for who, _ in _told(NotifyEvent.AUDIT_ASSIGNED)}


def test_reassigning_tells_the_new_auditor_and_nobody_else_again(actor, org, users):
    audit_round = make_round()
    place = audit_round.sampled[0].assignments[0]
    other = make_user("second", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.health)
    before = _told(NotifyEvent.AUDIT_ASSIGNED)
    holder = reassign(place, auditor_id=other.id, justification="Covering leave")
    assert _told(NotifyEvent.AUDIT_ASSIGNED) == [*before, (other.id, f"/audits/{holder.id}")]


def test_a_returned_audit_tells_its_auditor(actor, users, joint_round):
    audit = _submit(_place(joint_round, users["auditor"]))
    moderate(audit, decision="agreed")
    assert _told(NotifyEvent.AUDIT_RETURNED) == []  # agreeing tells nobody
    moderate(audit, decision="returned", comment="Say what the child told the worker")
    assert _told(NotifyEvent.AUDIT_RETURNED) == [(users["auditor"].id, f"/audits/{audit.assignment_id}")]


def test_the_lead_auditor_is_told_once_when_the_last_agency_audit_is_submitted(actor, users, joint_round):
    lead, health = _place(joint_round, users["auditor"]), _place(joint_round, users["peer"])
    assert lead.lead and lead.sampled_case_id == health.sampled_case_id
    _submit(lead)
    assert _told(NotifyEvent.JOINT_DISCUSSION_READY) == []  # health's audit is still to come
    audit = _submit(health)
    ready = [(users["auditor"].id, f"/audits/{lead.id}/joint")]
    assert _told(NotifyEvent.JOINT_DISCUSSION_READY) == ready
    moderate(audit, decision="returned", comment="Add the GP's view")
    _submit(health)  # submitted again: still one message for the case
    assert _told(NotifyEvent.JOINT_DISCUSSION_READY) == ready


def test_a_concern_tells_the_coordinators_and_the_agencys_lead_at_once(login_as, users, leads, joint_round):
    health = _place(joint_round, users["peer"])
    client = login_as(users["peer"])
    answer = post_form(client, f"/audits/{health.id}/concern", {"description": "Bruising seen at the visit"})
    assert answer.status_code == 302
    concern = db.session.scalar(select(SafeguardingConcern))
    told = _told(NotifyEvent.CONCERN_RAISED)
    coordinator_link = f"/moderation/concerns/{concern.id}"
    # The health lead (not a coordinator, who cannot open the concern) is sent to their home page; social care's
    # lead is not told of a health file's concern (until an escalation); nor is the auditor who raised it.
    assert told == [(users["qa_coordinator"].id, coordinator_link), (leads.id, "/home")]
    for message in db.session.scalars(select(Notification)):
        assert "Bruising" not in message.link and health.sampled_case.case.case_ref not in message.link


def test_an_inactive_lead_is_skipped_and_an_agency_without_one_tells_the_coordinators(actor, users, leads, joint_round):
    leads.active = False
    db.session.flush()
    with _as(users["peer"]):
        raise_concern(_place(joint_round, users["peer"]).sampled_case, description="Worrying")
    assert [who for who, _ in _told(NotifyEvent.CONCERN_RAISED)] == [users["qa_coordinator"].id]


def test_acknowledging_tells_the_person_who_raised_it(login_as, users, joint_round):
    health = _place(joint_round, users["peer"])
    with _as(users["peer"]):
        concern = raise_concern(health.sampled_case, description="Worrying")
    client = login_as(users["qa_coordinator"])
    answer = post_form(client, f"/moderation/concerns/{concern.id}", {"action_taken": "Referred to the front door"})
    assert answer.status_code == 302
    assert _told(NotifyEvent.CONCERN_ACKNOWLEDGED) == [(users["peer"].id, f"/audits/{health.id}")]


def test_publishing_tells_every_active_board_member_once_and_a_withdrawal_tells_nobody(actor, users):
    gone = make_user("former_board", Role.BOARD_MEMBER)
    gone.active = False
    audit_round = make_round(cases=4, size=2)
    report = publish(audit_round, pdf=b"%PDF-1.7 v1", pages=1, as_of=datetime(2026, 5, 1, tzinfo=UTC))
    assert _told(NotifyEvent.REPORT_PUBLISHED) == [(users["board_member"].id, "/reports")]
    withdraw(report, reason="The wrong figures were used")
    assert len(_told(NotifyEvent.REPORT_PUBLISHED)) == 1
    publish(audit_round, pdf=b"%PDF-1.7 v2", pages=1, as_of=datetime(2026, 5, 2, tzinfo=UTC))
    assert len(_told(NotifyEvent.REPORT_PUBLISHED)) == 2  # the new version is news again


# The schedule. May 2026: Monday 25 is the spring bank holiday; British Summer Time (UTC+1).


def _sweep(text: str) -> int:
    with _at(text):
        return send_due_reminders(datetime.fromisoformat(text).replace(tzinfo=UTC))


def test_an_audit_is_due_soon_once_then_overdue_once_a_day_until_submitted(actor, users, joint_round):
    # Due Tuesday 26 May, the day after the bank holiday: 3 working days before is Wednesday 20 May.
    for sampled in joint_round.sampled:
        for place in sampled.assignments:
            place.due_date = date(2026, 5, 26)
    lead, health = _place(joint_round, users["auditor"]), _place(joint_round, users["peer"])
    others = [a for s in joint_round.sampled for a in s.assignments if a not in (lead, health)]
    for place in others:
        _submit(place)  # the other case's audits are in: never reminded
    assert _sweep("2026-05-19T12:00:00") == 0  # 4 working days away
    assert _sweep("2026-05-19T23:30:00") == 2  # 00:30 on Wednesday 20 May in England
    soon = sorted([(lead.auditor_id, f"/audits/{lead.id}"), (health.auditor_id, f"/audits/{health.id}")])
    assert sorted(_told(NotifyEvent.AUDIT_DUE_SOON)) == soon
    for day in ("2026-05-20T09:00", "2026-05-22T09:00", "2026-05-23T09:00", "2026-05-25T09:00", "2026-05-26T18:00"):
        assert _sweep(day) == 0  # the Friday before the bank holiday, the weekend, the holiday, the due date
    assert _sweep("2026-05-27T08:00:00") == 2
    assert _sweep("2026-05-27T16:00:00") == 0  # once a day
    _submit(health)
    assert _sweep("2026-05-28T08:00:00") == 1  # only the lead's, still not submitted
    assert _sweep("2026-05-29T08:00:00") == 1
    overdue = _told(NotifyEvent.AUDIT_OVERDUE)
    assert sorted(who for who, _ in overdue[:2]) == sorted([lead.auditor_id, health.auditor_id])
    assert overdue[2:] == [(lead.auditor_id, f"/audits/{lead.id}")] * 2
    assert sorted(_told(NotifyEvent.AUDIT_DUE_SOON)) == soon


def test_an_action_is_due_soon_once_then_overdue_every_five_working_days_until_done(actor, org, users):
    finding = add_finding(make_round(cases=4, size=2), title="Plans drift", so_what="Children wait")
    owner = users["action_owner"]

    def action(owner_id):
        made = add_action(
            finding, description="Train", agency_id=org.social.id, owner_name="A Name", owner_id=owner_id,
            due_date=date(2030, 1, 1), success_measure="Fewer drift",
        )  # fmt: skip
        made.due_date = date(2026, 5, 29)  # Friday 29 May: 5 working days before is Thursday 21 May
        return made

    mine, done, nameless = action(owner.id), action(owner.id), action(None)
    done.status = ActionStatus.DONE
    db.session.flush()
    assert _sweep("2026-05-20T09:00:00") == 0
    assert _sweep("2026-05-21T09:00:00") == 1
    assert _sweep("2026-05-22T09:00:00") == 0
    assert _told(NotifyEvent.ACTION_DUE_SOON) == [(owner.id, f"/actions/{mine.id}")]
    assert _sweep("2026-05-29T17:00:00") == 0  # due today: not yet overdue
    assert _sweep("2026-06-01T09:00:00") == 1  # Monday: the first working day overdue
    for day in ("2026-06-02", "2026-06-03", "2026-06-05", "2026-06-06", "2026-06-07"):
        assert _sweep(f"{day}T09:00:00") == 0
    assert _sweep("2026-06-08T09:00:00") == 1  # 5 working days later
    mine.status = ActionStatus.DONE
    db.session.flush()
    assert _sweep("2026-06-15T09:00:00") == 0
    assert _told(NotifyEvent.ACTION_OVERDUE) == [(owner.id, f"/actions/{mine.id}")] * 2
    assert nameless.owner_id is None


def _raised(text: str, place):
    with _at(text), _as(place.auditor):
        return raise_concern(place.sampled_case, description="Worrying")


def _escalate(text: str) -> int:
    with _at(text):
        return escalate_concerns(datetime.fromisoformat(text).replace(tzinfo=UTC))


def test_a_concern_not_acknowledged_in_a_working_day_is_escalated_once(actor, users, leads, joint_round):
    health = _place(joint_round, users["peer"])
    concern = _raised("2026-05-15T15:00:00", health)  # Friday 16:00 in England
    assert _escalate("2026-05-15T20:00:00") == 0
    assert _escalate("2026-05-16T15:30:00") == 0  # Saturday
    assert _escalate("2026-05-18T14:59:00") == 0  # Monday 15:59
    # Monday after 16:00: the coordinators, the health lead and social care's lead (here the coordinator: once).
    assert _escalate("2026-05-18T15:01:00") == 2
    link = f"/moderation/concerns/{concern.id}"
    assert _told(NotifyEvent.CONCERN_ESCALATED) == [(users["qa_coordinator"].id, link), (leads.id, "/home")]
    assert _escalate("2026-05-19T09:00:00") == 0  # once per concern


def test_the_bank_holiday_moves_the_escalation_and_acknowledging_stops_it(actor, users, org, joint_round):
    front_door = make_user("front_door", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social)
    org.social.safeguarding_lead_id = front_door.id
    health = _place(joint_round, users["peer"])
    waiting = _raised("2026-05-22T15:00:00", health)  # the Friday before the spring bank holiday
    answered = _raised("2026-05-22T15:00:00", _place(joint_round, users["auditor"]))
    with _as(users["qa_coordinator"]):
        acknowledge(answered, action_taken="Strategy discussion held")
    assert _escalate("2026-05-25T16:00:00") == 0  # Monday is the bank holiday
    assert _escalate("2026-05-26T15:01:00") == 2  # Tuesday after 16:00: the coordinator and the front door
    assert _told(NotifyEvent.CONCERN_ESCALATED) == [
        (users["qa_coordinator"].id, f"/moderation/concerns/{waiting.id}"),
        (front_door.id, "/home"),
    ]


SETUP = """
from datetime import date
from auditapp.app import create_app
from auditapp.domain.context import acting_as, cli_actor
from auditapp.extensions import db, upgrade_database
from auditapp.domain.passwords import configure_hasher
from tests.factories import make_org, make_round, make_users

app = create_app()
# The users' hashes play no part here (nobody signs in): the cheapest argon2, not the development configuration's.
configure_hasher(time_cost=1, memory_cost=8, parallelism=1)
with app.app_context(), acting_as(cli_actor()):
    upgrade_database(app)
    make_users(make_org())
    make_round(cases=4, size=2, due_date=date(2026, 5, 26))
    db.session.commit()
"""


def test_the_real_worker_run_from_a_frozen_clock_makes_the_reminders(tmp_path):
    database = tmp_path / "events.db"
    env = {
        "AUDITAPP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASK_QUEUE_URL": f"sqlite:///{tmp_path}/tasks.db",
        "SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": ROOT,
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    # Wednesday 27 May, the day after the due date: one run of the real worker, its clock frozen then.
    run = [sys.executable, "-c", "from auditapp.cli import main; main()", "worker", "--until-idle"]
    done = subprocess.run(
        [*run, "--now", "2026-05-27T08:00:00"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(database) as connection:
        places = connection.execute("SELECT id, auditor_id FROM assignments ORDER BY id").fetchall()
        rows = connection.execute(
            "SELECT user_id, link FROM notifications WHERE event = 'audit_overdue' ORDER BY id"
        ).fetchall()
    assert places
    # Overdue: each open audit's auditor, with their audit's page, once.
    assert rows == [(auditor, f"/audits/{place}") for place, auditor in places]


def test_the_admin_names_an_agencys_safeguarding_lead_and_password_sign_in(login_as, org, users):
    from auditapp.models import Agency, AuditEvent
    from tests.conftest import soup

    gone = make_user("gone_lead", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.health)
    gone.active = False
    client = login_as(users["admin"])
    url = f"/admin/agencies/{org.health.id}"
    page = soup(client.get(url))
    lead = page.select_one("select[name=safeguarding_lead_id]")
    assert "Told at once when an auditor raises an immediate safeguarding concern" in page.get_text()
    assert "Turn this off once the agency's staff sign in with their organisation's account" in page.get_text()
    assert page.select_one("input[name=password_sign_in]").has_attr("checked")
    options = {o.get_text() for o in lead.select("option")}
    assert f"{users['board_member'].name} ({users['board_member'].email})" in options
    assert not any(o.startswith("Gone Lead") for o in options)  # an inactive user cannot be named
    data = {"name": org.health.name, "kind": "health", "active": "y"}
    refused = post_form(client, url, {**data, "safeguarding_lead_id": str(gone.id)})
    assert refused.status_code == 400 and db.session.get(Agency, org.health.id).safeguarding_lead_id is None
    saved = post_form(client, url, {**data, "safeguarding_lead_id": str(users["board_member"].id)})
    assert saved.status_code == 302
    health = db.session.get(Agency, org.health.id)
    assert health.safeguarding_lead_id == users["board_member"].id and health.password_sign_in is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agency_updated"))
    assert event.details["changes"] == {
        "safeguarding_lead_id": [None, users["board_member"].id],
        "password_sign_in": [True, False],
    }
