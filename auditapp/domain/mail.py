"""Mail sent only after the transaction that caused it commits (a rolled-back concern sends nothing)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from auditapp.extensions import db

log = logging.getLogger(__name__)
OUTBOX = "auditapp_outbox"


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_FROM``); given to the domain by the caller."""

    server: str | None = None
    port: int = 25
    sender: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(config.get("MAIL_SERVER"), config.get("MAIL_PORT", 25), config.get("MAIL_FROM", ""))


def queue_mail(*, to: list[str], subject: str, body: str, settings: MailSettings | None) -> None:
    """Queue a message to send when the current transaction commits; nothing happens when mail is not configured."""
    if settings is None or not settings.server or not to:
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, ", ".join(to), subject
    message.set_content(body)
    db.session.info.setdefault(OUTBOX, []).append((settings.server, settings.port, message))


def send_outbox(session: Session) -> None:
    """After the commit (a step of ``unit_of_work``): send what the transaction queued."""
    for server, port, message in session.info.pop(OUTBOX, []):
        try:
            with smtplib.SMTP(server, port, timeout=10) as smtp:
                smtp.send_message(message)
        except OSError:
            log.exception("Could not send mail", extra={"subject": message["Subject"]})


def discard_outbox(session: Session) -> None:
    """After a rollback: the mail of a change that did not happen is never sent."""
    session.info.pop(OUTBOX, None)
