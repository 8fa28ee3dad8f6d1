"""Delivering one message: claim it, send it, record how it went (``unit_of_work._deliver`` commits between).

- ``claim`` takes a queued message for this worker with one conditional UPDATE (``status = 'queued'``), so two
  workers given the same message cannot both send it, and a sent message is never claimed again.
- ``send`` uses no database: GOV.UK Notify when ``NOTIFY_API_KEY`` is set, else SMTP when ``MAIL_SERVER`` is set,
  else nothing (the message is recorded as not sent, and the delivery log says why).
- ``record`` keeps the outcome: sent; failed and queued again after a growing delay; or failed for good after
  ``MAX_ATTEMPTS`` or a refusal that retrying cannot mend (a bad API key, template or address).

Nothing here writes a child's data: the message is a prompt and a link (``texts``), and an error is the provider's
status and message, cut to ``ERROR_LENGTH`` characters.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import update

from auditapp.domain.notifications import INACTIVE
from auditapp.extensions import db
from auditapp.jobs import this_process
from auditapp.models import Notification
from auditapp.models.types import utcnow
from auditapp.notify.texts import compose
from auditapp.vocabulary import DeliveryStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETRY_DELAYS = (60.0, 300.0, 1800.0, 7200.0)  # seconds before the second, third, fourth and fifth attempts
ERROR_LENGTH = 300
TIMEOUT = 15  # seconds for one request to Notify or the mail server
NOT_CONFIGURED = "Not sent: no mail service is configured"


@dataclass(frozen=True)
class Claimed:
    """What the sender needs, read inside the claiming transaction: no database access while sending."""

    notification_id: int
    event: str
    email: str
    name: str
    link: str  # a path; the sender makes it absolute with SERVICE_URL
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class Outcome:
    sent: bool
    channel: str | None
    reference: str | None = None
    error: str | None = None  # in words, without a child's data
    permanent: bool = False  # a failure that retrying cannot mend (an invalid address, a bad API key)


def claim(notification_id: int) -> Claimed | None:
    """Mark the message sending by this worker, one attempt more (the caller commits); None when it is not queued
    (sent already, failed for good, or being sent by another worker)."""
    taken = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == DeliveryStatus.QUEUED)
        .values(
            status=DeliveryStatus.SENDING,
            attempts=Notification.attempts + 1,
            owner=this_process(),
            claimed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    message = db.session.get(Notification, notification_id, populate_existing=True)
    assert message is not None
    if not message.user.active:  # deactivated since the message was made
        message.status, message.error, message.owner = DeliveryStatus.NOT_SENT, INACTIVE, None
        db.session.flush()
        return None
    return Claimed(
        notification_id=message.id,
        event=message.event,
        email=message.email,
        name=message.user.name,
        link=message.link,
        idempotency_key=message.idempotency_key,
        attempt=message.attempts,
    )


def send(claimed: Claimed, config: Mapping[str, Any]) -> Outcome:
    """Send through GOV.UK Notify (``NOTIFY_API_KEY``) or SMTP (``MAIL_SERVER``); neither configured: not sent."""
    if config.get("NOTIFY_API_KEY"):
        return _send_notify(claimed, config)
    if config.get("MAIL_SERVER"):
        return _send_smtp(claimed, config)
    return Outcome(sent=False, channel=None, error=NOT_CONFIGURED)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def _send_notify(claimed: Claimed, config: Mapping[str, Any]) -> Outcome:
    from notifications_python_client.errors import APIError
    from notifications_python_client.notifications import NotificationsAPIClient

    message = compose(claimed.event, name=claimed.name, link=claimed.link, service_url=config["SERVICE_URL"])
    template_id = (config.get("NOTIFY_TEMPLATES") or {}).get(claimed.event) or config.get("NOTIFY_TEMPLATE_ID")
    if not template_id:
        return Outcome(
            sent=False,
            channel="notify",
            permanent=True,
            error=f"No GOV.UK Notify template is configured for this kind of message (NOTIFY_TEMPLATE_ID, or "
            f"NOTIFY_TEMPLATE_{claimed.event.upper()})",
        )
    try:
        client = NotificationsAPIClient(config["NOTIFY_API_KEY"], base_url=config["NOTIFY_BASE_URL"], timeout=TIMEOUT)
        answer = client.send_email_notification(
            email_address=claimed.email,
            template_id=template_id,
            personalisation=message.personalisation,
            reference=claimed.idempotency_key,
        )
    except APIError as error:
        status = error.status_code
        permanent = 400 <= status < 500 and status != 429
        words = error.message if isinstance(error.message, str) else "; ".join(_notify_errors(error.message))
        return Outcome(
            sent=False, channel="notify", permanent=permanent, error=_cut(f"GOV.UK Notify answered {status}: {words}")
        )
    except (AssertionError, ValueError) as error:  # a malformed API key: the client refuses it before sending
        return Outcome(
            sent=False, channel="notify", permanent=True, error=_cut(f"The NOTIFY_API_KEY is not valid ({error})")
        )
    reference = str((answer or {}).get("id") or "")[:120] or None
    return Outcome(sent=True, channel="notify", reference=reference)


def _notify_errors(errors: Any) -> list[str]:
    """Notify's ``errors`` list ([{"error": "BadRequestError", "message": "..."}]) as words."""
    if not isinstance(errors, list):
        return [str(errors)]
    return [f"{e.get('error', '')} {e.get('message', '')}".strip() if isinstance(e, dict) else str(e) for e in errors]


def message_id(idempotency_key: str, sender: str) -> str:
    """A fixed Message-ID for a message, however often it is tried: a retry can be recognised as the same one."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1].strip("<> ") or "auditapp.invalid"
    return f"<{digest}@{domain}>"


def _send_smtp(claimed: Claimed, config: Mapping[str, Any]) -> Outcome:
    text = compose(claimed.event, name=claimed.name, link=claimed.link, service_url=config["SERVICE_URL"])
    sender = config.get("MAIL_FROM") or "auditapp@localhost"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, claimed.email, text.subject
    message["Message-ID"] = reference = message_id(claimed.idempotency_key, sender)
    message["Date"] = formatdate(localtime=False)
    message.set_content(text.body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=TIMEOUT) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        words = "; ".join(f"{code} {reply.decode(errors='replace')}" for code, reply in error.recipients.values())
        permanent = all(code >= 500 for code in codes)
        return Outcome(sent=False, channel="smtp", permanent=permanent, error=_cut(f"The mail server refused: {words}"))
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return Outcome(
            sent=False,
            channel="smtp",
            permanent=error.smtp_code >= 500,
            error=_cut(f"The mail server answered {error.smtp_code}: {reply}"),
        )
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(
            sent=False, channel="smtp", error=_cut(f"Could not reach the mail server ({type(error).__name__}: {error})")
        )
    return Outcome(sent=True, channel="smtp", reference=reference)


def record(notification_id: int, outcome: Outcome) -> float | None:
    """Record the outcome (the caller commits): sent; failed and retried (the seconds to wait); or failed for good
    after its attempts, shown in the admins' delivery log."""
    message = db.session.get(Notification, notification_id)
    if message is None:
        return None
    # Put back by the sweep while this worker was sending (it took too long): a message that went out is still
    # recorded as sent, so that it is not sent again; a failure is left to whoever holds it now.
    if message.status != DeliveryStatus.SENDING and not (outcome.sent and message.status == DeliveryStatus.QUEUED):
        return None
    message.owner, message.channel = None, outcome.channel
    if outcome.sent:
        message.status, message.sent_at, message.error = DeliveryStatus.SENT, utcnow(), None
        message.provider_reference = outcome.reference
        db.session.flush()
        return None
    message.error = outcome.error
    if outcome.channel is None:  # nowhere to send it: not a failure
        message.status = DeliveryStatus.NOT_SENT
        db.session.flush()
        return None
    log.warning(
        "A message was not sent",
        extra={"notification_id": message.id, "attempt": message.attempts, "permanent": outcome.permanent},
    )
    if outcome.permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = DeliveryStatus.FAILED
        db.session.flush()
        return None
    message.status = DeliveryStatus.QUEUED
    db.session.flush()
    return retry_delay(message.attempts)


def retry_delay(attempts: int) -> float:
    """The seconds to wait after ``attempts`` failed attempts."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
