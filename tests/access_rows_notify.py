"""Issue 16 (notify): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation: a set of roles allowed, or a dict with an answer for every role)."""

from __future__ import annotations

SIGNED_IN = {"admin", "qa_coordinator", "auditor", "board_member", "action_owner"}

ROWS: dict[str, set[str] | dict[str, str]] = {
    "auth.notification_preferences": SIGNED_IN,  # everyone chooses their own emails
    "admin.notifications": {"admin"},  # the delivery log
    "admin.notification_retry": {"admin"},  # "Send again" on a failed message
}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id), made for the access test: a failed message."""
    from auditapp.extensions import db
    from auditapp.models import Notification
    from auditapp.vocabulary import DeliveryStatus

    message = Notification(
        idempotency_key=f"audit_assigned:access-test:to:{users['auditor'].id}",
        event="audit_assigned",
        user_id=users["auditor"].id,
        email=users["auditor"].email,
        link="/home",
        status=DeliveryStatus.FAILED,
        attempts=5,
        channel="smtp",
        error="The mail server answered 550: Mailbox unavailable",
    )
    db.session.add(message)
    db.session.flush()
    return {"notification_id": message.id}
