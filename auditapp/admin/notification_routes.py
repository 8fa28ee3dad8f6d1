"""Admin: the delivery log of messages (issue 16): what was sent to whom, and how it went; "Send again".

On the admin blueprint (``admin.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from auditapp.admin.forms import ConfirmForm
from auditapp.admin.routes import admin_only, bp
from auditapp.domain.errors import DomainError
from auditapp.forms import page_number
from auditapp.models import Notification
from auditapp.notify import log
from auditapp.security.access import register_loader
from auditapp.vocabulary import DeliveryStatus, NotifyEvent

register_loader("notification_id", Notification)
SHOW = {
    "": "All messages, newest first",
    log.FAILED_FIRST: "All messages, failed first",
    **{status.value: f"{status.label} only" for status in DeliveryStatus},
}


def _label(event: str) -> str:
    try:
        return NotifyEvent(event).label
    except ValueError:
        return event.replace("_", " ").capitalize()


@bp.route("/notifications")
@admin_only
def notifications():
    page = page_number(request.args.get("page"))
    status = request.args.get("status") or ""
    status = status if status in SHOW else ""
    messages, total = log.list_messages(page=page, status=status or None)
    last = max(1, -(-total // log.PER_PAGE))
    if page > last:  # beyond the end: show the last page
        page = last
        messages, total = log.list_messages(page=page, status=status or None)
    return render_template(
        "admin/notifications.html",
        messages=messages,
        total=total,
        page=page,
        per_page=log.PER_PAGE,
        status=status,
        show=SHOW,
        label=_label,
        statuses={s.value: s for s in DeliveryStatus},
        form=ConfirmForm(),
    )


@bp.route("/notifications/<int:notification_id>/send-again", methods=["POST"])
@admin_only
def notification_retry(notification: Notification):
    shown = request.form.get("status") or ""
    back = url_for("admin.notifications", status=shown if shown in SHOW and shown else None)
    if ConfirmForm().validate_on_submit():
        try:
            log.send_again(notification)
        except DomainError as error:
            flash(error.message)
        else:
            flash(f"The message to {notification.email} is queued to send again", "success")
    return redirect(back)
