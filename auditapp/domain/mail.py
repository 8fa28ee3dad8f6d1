"""Mail sent only after the transaction that caused it commits (a rolled-back concern sends nothing)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import event
from sqlalchemy.orm import Session

from auditapp.extensions import db

log = logging.getLogger(__name__)
OUTBOX = "auditapp_outbox"


def queue_mail(*, to: list[str], subject: str, body: str, server: str | None, port: int, sender: str) -> None:
    """Queue a message to send when the current transaction commits; nothing happens when mail is not configured."""
    if not server or not to:
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(to), subject
    message.set_content(body)
    db.session.info.setdefault(OUTBOX, []).append((server, port, message))


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    for server, port, message in session.info.pop(OUTBOX, []):
        try:
            with smtplib.SMTP(server, port, timeout=10) as smtp:
                smtp.send_message(message)
        except OSError:
            log.exception("Could not send mail", extra={"subject": message["Subject"]})


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(OUTBOX, None)
