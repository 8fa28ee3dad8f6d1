"""Sending messages (issue 16): GOV.UK Notify or SMTP by configuration, once each, with no child's data; retries,
permanent failures, recovery after a worker died; the admins' delivery log and each user's choice of emails.

The messages are made with ``notify(...)`` directly (the events that make them are tested with those events). The
test configuration sends inside ``unit_of_work.commit()`` (``JOBS_SYNCHRONOUS``); a retry is a second delivery
(``unit_of_work._deliver``), as the worker would make after the delay.
"""

from __future__ import annotations

import re
import socket
import subprocess
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from auditapp import unit_of_work
from auditapp.domain.notification_prefs import save_choices
from auditapp.domain.notifications import TURNED_OFF, notify
from auditapp.extensions import db
from auditapp.models import AuditEvent, Notification, NotificationPreference, SafeguardingConcern, User
from auditapp.models.types import clock_set_to, utcnow
from auditapp.notify import delivery
from auditapp.notify.recovery import recover_interrupted
from auditapp.vocabulary import DeliveryStatus, NotifyEvent
from tests.conftest import post_form, soup
from tests.mail_servers import notify_api, smtp_server  # noqa: F401 - fixtures

CHILD = "Jamie Fictional"  # the child's name, in the concern the messages are about


@pytest.fixture
def child(org, users):
    """A sampled case with a concern that names the child: what a message must never contain."""
    from tests.factories import make_round

    audit_round = make_round(cases=2, size=1, assign=False)
    sampled = audit_round.sampled[0]
    concern = SafeguardingConcern(
        sampled_case_id=sampled.id,
        raised_by_id=users["auditor"].id,
        description=f"{CHILD} told the worker about bruises",
        raised_at=utcnow(),
    )
    db.session.add(concern)
    db.session.flush()
    return {"case_ref": sampled.case.case_ref, "name": CHILD, "concern": concern}


@contextmanager
def configured(app, **keys):
    """Set app.config keys for the block and put the old values back afterwards."""
    old = {key: app.config.get(key) for key in keys}
    app.config.update(keys)
    try:
        yield
    finally:
        app.config.update(old)


@pytest.fixture
def through_smtp(app, smtp_server):  # noqa: F811 - the fixture
    with configured(app, NOTIFY_API_KEY=None, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port):
        yield smtp_server


@pytest.fixture
def through_notify(app, notify_api, smtp_server, child):  # noqa: F811 - the fixtures
    """Notify configured, and SMTP too: Notify is chosen. The stand-in refuses any request with the child's data."""
    notify_api.forbidden = [child["case_ref"], child["name"]]
    with configured(
        app,
        NOTIFY_API_KEY=notify_api.api_key,
        NOTIFY_BASE_URL=notify_api.base_url,
        NOTIFY_TEMPLATE_ID=notify_api.template_id,
        NOTIFY_TEMPLATES={},
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
    ):
        yield notify_api
    assert smtp_server.messages == []  # nothing went by SMTP while Notify was configured


def tell(app, user, *, event=NotifyEvent.AUDIT_ASSIGNED, key="12", link="/audits/12"):
    """Make a message and commit, as a change would: it is sent after the commit. The message's row."""
    with app.app_context():
        message = notify(event, to=user, key=key, link=link)
        message_id = message.id if message else None
        unit_of_work.commit()
    return db.session.get(Notification, message_id) if message_id else None


def fresh(message):
    """The message as it is now (each app context ends with a new session: objects of the old one are detached)."""
    return db.session.get(Notification, message.id, populate_existing=True)


def deliver_again(app, message):
    """The worker's next attempt (after the retry delay): the seconds before another one, or None."""
    with app.app_context():
        return unit_of_work._deliver(message.id)


def as_worker(app, step):
    """Run ``step`` as a step of the worker's sweep does: a transaction of its own, committed. Its result."""
    with unit_of_work.in_transaction(app):
        result = step()
    return result


def test_smtp_sends_one_message_to_the_right_address_with_no_childs_data(app, users, child, through_smtp):
    auditor = users["auditor"]
    message = tell(app, auditor, event=NotifyEvent.CONCERN_ACKNOWLEDGED, link=f"/audits/{child['concern'].id}")

    [received] = through_smtp.messages
    assert through_smtp.envelopes == [(app.config["MAIL_FROM"], [auditor.email])]
    assert received["To"] == auditor.email and received["Subject"] == "A concern you raised was acknowledged"
    body = received.get_content()
    assert body.startswith(f"Hello {auditor.name},")
    assert f"{app.config['SERVICE_URL']}/audits/{child['concern'].id}" in body
    raw = through_smtp.raw[0].decode()
    assert child["case_ref"] not in raw and child["name"] not in raw and "bruises" not in raw
    assert message.status == DeliveryStatus.SENT and message.channel == "smtp" and message.attempts == 1
    assert (
        message.provider_reference
        == received["Message-ID"]
        == delivery.message_id(message.idempotency_key, app.config["MAIL_FROM"])
    )
    assert message.sent_at is not None and message.error is None and message.owner is None


def test_notify_is_chosen_when_configured_and_gets_a_checked_request(app, users, child, through_notify):
    board = users["board_member"]
    message = tell(app, board, event=NotifyEvent.REPORT_PUBLISHED, key="report:3", link="/reports")

    assert through_notify.problems == []
    [sent] = through_notify.requests
    assert sent["email_address"] == board.email and sent["template_id"] == through_notify.template_id
    assert sent["reference"] == message.idempotency_key
    assert sent["personalisation"] == {
        "name": board.name,
        "subject": "A board report was published",
        "prompt": "A new audit report has been published for the board. Sign in to read it.",
        "link": f"{app.config['SERVICE_URL']}/reports",
    }
    assert message.status == DeliveryStatus.SENT and message.channel == "notify"
    assert re.fullmatch(r"[0-9a-f-]{36}", message.provider_reference)


def test_each_kind_of_message_can_have_its_own_notify_template(app, users, through_notify):
    special = "00000000-0000-4000-8000-000000000016"
    through_notify.templates.add(special)
    with configured(app, NOTIFY_TEMPLATES={"audit_assigned": special}):
        tell(app, users["auditor"])
        tell(app, users["auditor"], event=NotifyEvent.AUDIT_RETURNED)
    assert [r["template_id"] for r in through_notify.requests] == [special, through_notify.template_id]


def test_the_stand_in_refuses_a_request_that_leaks_a_childs_data(app, users, child, through_notify):
    # Proof that the check above can fail: a link naming the case reaches Notify, which refuses it (permanently).
    message = tell(app, users["auditor"], link=f"/cases?ref={child['case_ref']}")
    assert through_notify.requests == [] and "A child's data reached Notify" in through_notify.problems[0]
    assert message.status == DeliveryStatus.FAILED


def test_a_notify_server_error_is_retried_and_then_sent_once(app, users, through_notify):
    through_notify.fail_next(500, "Exception", "Internal server error")
    message = tell(app, users["auditor"])
    assert message.status == DeliveryStatus.QUEUED and message.attempts == 1
    assert message.error == "GOV.UK Notify answered 500: Exception Internal server error"
    assert through_notify.requests == []

    assert deliver_again(app, message) is None
    message = fresh(message)
    assert message.status == DeliveryStatus.SENT and message.attempts == 2 and message.error is None
    assert len(through_notify.requests) == 1
    assert deliver_again(app, message) is None and len(through_notify.requests) == 1  # never sent twice


def test_too_many_requests_is_retried_but_a_bad_request_fails_at_once(app, users, through_notify):
    through_notify.fail_next(
        429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
    )
    waiting = tell(app, users["auditor"], key="a")
    assert waiting.status == DeliveryStatus.QUEUED and "429" in waiting.error

    through_notify.fail_next(400, "BadRequestError", "Can't send to this recipient using a team-only API key")
    failed = tell(app, users["peer"], key="b")
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert (
        failed.error
        == "GOV.UK Notify answered 400: BadRequestError Can't send to this recipient using a team-only API key"
    )


def test_a_wrong_api_key_fails_for_good(app, users, through_notify):
    wrong = through_notify.api_key[:-36] + "00000000-0000-4000-8000-000000000000"
    with configured(app, NOTIFY_API_KEY=wrong):
        message = tell(app, users["auditor"])
    assert message.status == DeliveryStatus.FAILED and "403" in message.error and "Invalid token" in message.error
    assert through_notify.requests == []


def test_the_delays_grow_and_the_fifth_failure_is_final(app, users, through_notify):
    for _ in range(5):
        through_notify.fail_next(503, "Exception", "Service unavailable")
    message = _queued_not_sent(app, users["auditor"])
    delays = [deliver_again(app, message) for _ in range(5)]
    assert delays == [60.0, 300.0, 1800.0, 7200.0, None]
    message = fresh(message)
    assert message.status == DeliveryStatus.FAILED and message.attempts == 5
    assert through_notify.requests == []


def test_smtp_temporary_refusal_is_retried_with_the_same_message_id(app, users, through_smtp):
    through_smtp.refuse_next(451, "Requested action aborted: local error")
    message = tell(app, users["auditor"])
    assert message.status == DeliveryStatus.QUEUED and "451" in message.error
    deliver_again(app, message)
    [received] = through_smtp.messages
    message = fresh(message)
    assert message.status == DeliveryStatus.SENT and received["Message-ID"] == message.provider_reference


def test_smtp_permanent_refusal_fails(app, users, through_smtp):
    through_smtp.refuse_next(554, "Transaction failed")
    message = tell(app, users["auditor"])
    assert (
        message.status == DeliveryStatus.FAILED and message.error == "The mail server answered 554: Transaction failed"
    )


def test_an_unreachable_mail_server_is_retried(app, users):
    from tests.mail_servers import free_port

    with configured(app, NOTIFY_API_KEY=None, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port()):
        message = tell(app, users["auditor"])
    assert message.status == DeliveryStatus.QUEUED and message.error.startswith("Could not reach the mail server")


def test_no_mail_service_configured_is_not_sent_not_failed(app, users):
    with configured(app, NOTIFY_API_KEY=None, MAIL_SERVER=None):
        message = tell(app, users["auditor"])
    assert message.status == DeliveryStatus.NOT_SENT and message.error == "Not sent: no mail service is configured"


def test_the_same_event_notified_twice_makes_one_message(app, users, through_smtp):
    first = tell(app, users["auditor"])
    assert tell(app, users["auditor"]) is None
    assert len(through_smtp.messages) == 1
    assert [m.id for m in db.session.scalars(select(Notification))] == [first.id]


def test_a_rolled_back_change_sends_nothing(app, users, through_smtp):
    db.session.commit()  # the users: the rollback below undoes only the change that made the message
    auditor_id = users["auditor"].id
    with app.app_context():
        notify(NotifyEvent.AUDIT_ASSIGNED, to=users["auditor"], key="12", link="/audits/12")
        unit_of_work.rollback()
        unit_of_work.commit()
    assert through_smtp.messages == []
    assert db.session.scalars(select(Notification)).all() == []
    # The next change that tells the auditor sends its own message, and only that one.
    tell(app, db.session.get(User, auditor_id), event=NotifyEvent.AUDIT_RETURNED)
    assert [m["Subject"] for m in through_smtp.messages] == ["The moderator returned an audit to you"]


def test_a_user_who_turned_the_event_off_is_not_sent_it_and_the_log_says_so(app, users, actor, through_smtp, login_as):
    auditor = users["auditor"]
    save_choices(auditor, [e.value for e in NotifyEvent if e.optional and e != NotifyEvent.AUDIT_ASSIGNED])
    off = tell(app, auditor)
    on = tell(app, auditor, event=NotifyEvent.AUDIT_RETURNED)
    # A concern about a child's safety reaches them whatever a stored choice says (the page offers no such choice).
    db.session.add(NotificationPreference(user_id=auditor.id, event=NotifyEvent.CONCERN_ESCALATED.value, enabled=False))
    mandatory = tell(app, auditor, event=NotifyEvent.CONCERN_ESCALATED, key="c1", link="/home")
    assert off.status == DeliveryStatus.NOT_SENT and off.error == TURNED_OFF and off.attempts == 0
    assert on.status == mandatory.status == DeliveryStatus.SENT
    assert [m["Subject"] for m in through_smtp.messages] == [
        "The moderator returned an audit to you",
        "A safeguarding concern has not been acknowledged",
    ]
    row = soup(login_as(users["admin"]).get("/admin/notifications?status=not_sent")).select_one("tbody tr")
    cells = [c.get_text(" ", strip=True) for c in row.select("td")]
    assert cells[1] == NotifyEvent.AUDIT_ASSIGNED.label and cells[3] == "Not sent" and cells[6] == TURNED_OFF


def test_a_deactivated_recipient_is_not_sent_a_queued_message(app, users, actor, through_smtp):
    from auditapp.domain.users import set_active

    message = _queued_not_sent(app, users["auditor"])
    set_active(db.session.get(User, users["auditor"].id), active=False)
    db.session.commit()
    deliver_again(app, message)
    message = fresh(message)
    assert message.status == DeliveryStatus.NOT_SENT and through_smtp.messages == []


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _claimed_by(app, message, owner, *, minutes_ago=0):
    """Claimed ``minutes_ago`` by the worker ``owner`` (host:pid:start), which has not recorded an outcome."""

    then = utcnow() - timedelta(minutes=minutes_ago)

    def claim():
        with clock_set_to(lambda: then):
            assert delivery.claim(message.id) is not None
        db.session.get(Notification, message.id).owner = owner

    as_worker(app, claim)


def _queued_not_sent(app, user, key="12"):
    with app.app_context():
        message = notify(NotifyEvent.AUDIT_ASSIGNED, to=user, key=key, link="/audits/12")
        db.session.info.pop("auditapp_notifications_to_send", None)  # its enqueue is lost
        unit_of_work.commit()
    return message


def test_a_message_whose_worker_died_is_recovered_and_sent_once(app, users, through_smtp):
    message = _queued_not_sent(app, users["auditor"])
    _claimed_by(app, message, f"{socket.gethostname()[:40]}:{_dead_pid()}:12345")
    assert as_worker(app, lambda: delivery.claim(message.id)) is None  # being sent: nobody else takes it

    assert as_worker(app, recover_interrupted) == [message.id]
    recovered = fresh(message)
    assert recovered.status == DeliveryStatus.QUEUED and recovered.owner is None
    deliver_again(app, message)
    deliver_again(app, message)
    sent = fresh(message)
    assert len(through_smtp.messages) == 1 and sent.status == DeliveryStatus.SENT and sent.attempts == 2
    assert as_worker(app, recover_interrupted) == []


def test_recovery_leaves_live_and_recent_work_alone_and_finds_lost_work(app, users, through_smtp):
    from auditapp.jobs import this_process

    live = _queued_not_sent(app, users["auditor"], key="live")
    _claimed_by(app, live, this_process(), minutes_ago=30)  # this process, still running
    recent = _queued_not_sent(app, users["auditor"], key="recent")
    _claimed_by(app, recent, "another-host:4242:999", minutes_ago=2)
    stuck = _queued_not_sent(app, users["auditor"], key="stuck")
    _claimed_by(app, stuck, "another-host:4242:999", minutes_ago=11)
    lost = _queued_not_sent(app, users["auditor"], key="lost")
    just_queued = _queued_not_sent(app, users["auditor"], key="new")
    fresh(lost).created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()

    assert sorted(as_worker(app, recover_interrupted)) == sorted([stuck.id, lost.id])
    assert [fresh(m).status for m in (live, recent, stuck, just_queued)] == ["sending", "sending", "queued", "queued"]


def test_a_sent_message_is_never_claimed_again(app, users, through_smtp):
    message = tell(app, users["auditor"])
    assert as_worker(app, lambda: delivery.claim(message.id)) is None
    message = fresh(message)
    assert message.status == DeliveryStatus.SENT and message.attempts == 1


def _failed(user, n: int, **fields):
    message = Notification(
        idempotency_key=f"audit_overdue:{n}:to:{user.id}",
        event="audit_overdue",
        user_id=user.id,
        email=user.email,
        link="/home",
        **{"status": DeliveryStatus.SENT, "attempts": 1, "channel": "smtp", **fields},
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_the_delivery_log_lists_newest_first_50_a_page_and_filters(app, users, login_as):
    auditor = users["auditor"]
    start = utcnow() - timedelta(days=1)
    for n in range(52):
        _failed(auditor, n, created_at=start + timedelta(minutes=n))
    failed = _failed(auditor, 99, created_at=start - timedelta(days=1), status="failed", attempts=5, error="Boom 550")
    admin = login_as(users["admin"])

    first = soup(admin.get("/admin/notifications"))
    rows = first.select("tbody tr")
    assert len(rows) == 50 and "53 messages" in first.get_text()
    when = rows[0].select("td")[0].get_text(" ", strip=True)
    assert when.startswith((start + timedelta(minutes=51)).strftime("%-d %b %Y %H:%M"))
    assert f"{auditor.name} {auditor.email}" in rows[0].get_text(" ", strip=True)
    assert first.select_one("a[rel=next]")["href"] == "/admin/notifications?page=2"
    assert len(soup(admin.get("/admin/notifications?page=2")).select("tbody tr")) == 3

    failed_first = soup(admin.get("/admin/notifications?status=failed_first")).select("tbody tr")
    cells = [c.get_text(" ", strip=True) for c in failed_first[0].select("td")]
    assert cells[3:7] == ["Failed", "5", "Email server (SMTP)", "Boom 550"]
    only_failed = soup(admin.get("/admin/notifications?status=failed")).select("tbody tr")
    assert len(only_failed) == 1 and only_failed[0].select_one("form")["action"].endswith(f"/{failed.id}/send-again")
    assert soup(admin.get("/admin/notifications?status=nonsense")).select("tbody tr")  # unknown filter: everything


def test_send_again_queues_a_failed_message_sends_it_and_is_audited(app, users, login_as, through_smtp):
    failed = _failed(users["auditor"], 1, status="failed", attempts=5, error="The mail server answered 451: busy")
    admin = login_as(users["admin"])
    response = post_form(
        admin, f"/admin/notifications/{failed.id}/send-again", {"status": "failed"}, token_from="/admin/notifications"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/notifications?status=failed"
    failed = fresh(failed)
    assert failed.status == DeliveryStatus.SENT and failed.attempts == 1 and failed.error is None
    assert [m["To"] for m in through_smtp.messages] == [users["auditor"].email]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notification_resent")).one()
    assert event.object_id == str(failed.id) and event.actor_id == users["admin"].id
    assert "is queued to send again" in soup(admin.get("/admin/notifications")).get_text()

    # A message that is not failed (it was just sent) is not sent again: the admin is told why.
    again = post_form(admin, f"/admin/notifications/{failed.id}/send-again", token_from="/admin/notifications")
    assert again.status_code == 302 and len(through_smtp.messages) == 1
    assert (
        "Only a failed message can be sent again: this one is sent"
        in soup(admin.get("/admin/notifications")).get_text()
    )


def test_send_again_needs_a_csrf_token(app, users, login_as, through_smtp):
    failed = _failed(users["auditor"], 1, status="failed", attempts=5)
    response = login_as(users["admin"]).post(f"/admin/notifications/{failed.id}/send-again")
    assert response.status_code == 400
    failed = fresh(failed)
    assert failed.status == DeliveryStatus.FAILED and through_smtp.messages == []


def test_the_admin_navigation_links_the_delivery_log(users, login_as):
    page = soup(login_as(users["admin"]).get("/admin/notifications"))
    link = page.select_one(".govuk-service-navigation a[href='/admin/notifications']")
    assert link and link.get_text(strip=True) == "Messages"


def test_the_preferences_page_shows_the_choices_and_saves_them(app, users, login_as):
    auditor = users["auditor"]
    client = login_as(auditor)
    account = soup(client.get("/account"))
    assert account.find("a", string="Choose which emails you get")["href"] == "/account/notifications"

    page = soup(client.get("/account/notifications"))
    boxes = {b["value"]: b for b in page.select("input[type=checkbox][name=events]")}
    optional = [e for e in NotifyEvent if e.optional]
    assert list(boxes) == [e.value for e in optional] and all(b.has_attr("checked") for b in boxes.values())
    labels = [page.find("label", attrs={"for": b["id"]}).get_text(strip=True) for b in boxes.values()]
    assert labels == [e.label for e in optional]
    always = page.find("h2", string="Emails you always get").find_next("ul").get_text(" ", strip=True)
    assert NotifyEvent.CONCERN_RAISED.label in always and NotifyEvent.CONCERN_ESCALATED.label in always
    assert "a concern about a child's safety must reach the people who act on it" in page.get_text()

    kept = [e.value for e in optional if e not in (NotifyEvent.AUDIT_DUE_SOON, NotifyEvent.REPORT_PUBLISHED)]
    response = post_form(client, "/account/notifications", {"events": [*kept, "concern_raised", "nonsense"]})
    assert response.status_code == 302
    page = soup(client.get("/account/notifications"))
    assert "Your choices have been saved" in page.get_text()
    ticked = {b["value"] for b in page.select("input[name=events]") if b.has_attr("checked")}
    assert ticked == set(kept)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notification_preferences_changed")).one()
    assert event.details["turned_off"] == ["audit_due_soon", "report_published"] and event.actor_id == auditor.id

    # Saving the same choice again changes nothing, and says so.
    post_form(client, "/account/notifications", {"events": kept})
    assert "Nothing changed" in soup(client.get("/account/notifications")).get_text()
