"""What each kind of message says: a subject and a prompt per ``NotifyEvent``, and the body made from them.

A message is a greeting with the recipient's name, the event's prompt and the absolute link to the page to open;
nothing else. In particular never a child's name, a case reference or anything from a case file: the link leads
to the page, where the person signs in and sees what they may see. GOV.UK Notify templates get the same four
fields (``name``, ``subject``, ``prompt``, ``link``); see docs/notifications.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditapp.vocabulary import NotifyEvent


@dataclass(frozen=True)
class Text:
    subject: str
    prompt: str


TEXTS: dict[NotifyEvent, Text] = {
    NotifyEvent.AUDIT_ASSIGNED: Text(
        "An audit has been assigned to you", "An audit has been assigned to you. Sign in to see it and start."
    ),
    NotifyEvent.AUDIT_DUE_SOON: Text(
        "An audit of yours is due soon", "An audit assigned to you is due in 3 working days. Sign in to finish it."
    ),
    NotifyEvent.AUDIT_OVERDUE: Text(
        "An audit of yours is overdue", "An audit assigned to you is past its due date. Sign in to finish it."
    ),
    NotifyEvent.AUDIT_RETURNED: Text(
        "The moderator returned an audit to you",
        "The moderator has returned an audit to you with comments. Sign in to read them and change your answers.",
    ),
    NotifyEvent.CONCERN_RAISED: Text(
        "An immediate safeguarding concern was raised",
        "An auditor has raised an immediate safeguarding concern. Sign in now to read it and acknowledge it.",
    ),
    NotifyEvent.CONCERN_ESCALATED: Text(
        "A safeguarding concern has not been acknowledged",
        "An immediate safeguarding concern has not been acknowledged within a working day. Sign in now to act on it.",
    ),
    NotifyEvent.CONCERN_ACKNOWLEDGED: Text(
        "A concern you raised was acknowledged",
        "A safeguarding concern you raised has been acknowledged. Sign in to see who acknowledged it.",
    ),
    NotifyEvent.JOINT_DISCUSSION_READY: Text(
        "A joint discussion is ready to arrange",
        "Every agency has finished its audit of a case you lead. Sign in to arrange the joint discussion.",
    ),
    NotifyEvent.ACTION_DUE_SOON: Text(
        "An action you own is due soon", "An action you own is due in 5 working days. Sign in to update its progress."
    ),
    NotifyEvent.ACTION_OVERDUE: Text(
        "An action you own is overdue", "An action you own is past its due date. Sign in to update its progress."
    ),
    NotifyEvent.REPORT_PUBLISHED: Text(
        "A board report was published", "A new audit report has been published for the board. Sign in to read it."
    ),
    NotifyEvent.RETURN_DUE_SOON: Text(
        "Your agency's single-agency audit return is due soon",
        "Your agency's single-agency audit return for the last quarter is due in 5 working days. Sign in to record it.",
    ),
    NotifyEvent.RETURN_OVERDUE: Text(
        "Your agency's single-agency audit return is overdue",
        "Your agency's single-agency audit return for the last quarter is past its due date. Sign in to record it.",
    ),
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    personalisation: dict[str, str]  # GOV.UK Notify's template fields


def compose(event: str, *, name: str, link: str, service_url: str) -> Message:
    """The message for ``event`` to ``name``; ``link`` is a path on this site, made absolute with ``service_url``."""
    text = TEXTS[NotifyEvent(event)]
    url = service_url.rstrip("/") + link
    body = f"Hello {name},\n\n{text.prompt}\n\n{url}\n"
    return Message(
        subject=text.subject,
        body=body,
        personalisation={"name": name, "subject": text.subject, "prompt": text.prompt, "link": url},
    )
