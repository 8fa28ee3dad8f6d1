"""The signed-in user's choice of messages (issue 16): which optional messages they get by email.

On the auth blueprint (``auth.blueprint.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput
from wtforms import SelectMultipleField, SubmitField

from auditapp.auth.blueprint import bp
from auditapp.domain import notification_prefs
from auditapp.forms import choices
from auditapp.security.access import signed_in


class NotificationPreferencesForm(FlaskForm):
    events = SelectMultipleField(
        "Emails you get",
        widget=GovCheckboxesInput(),
        description="Untick a kind of message to stop getting it. You can turn it back on at any time.",
        choices=choices((event.value, event.label) for event in notification_prefs.OPTIONAL),
        validate_choice=False,  # a value that is not one of the events is ignored by the domain
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


@bp.route("/account/notifications", methods=["GET", "POST"])
@signed_in
def notification_preferences():
    user = current_user._get_current_object()
    form = NotificationPreferencesForm()
    if form.validate_on_submit():
        changed = notification_prefs.save_choices(user, form.events.data or [])
        flash(
            "Your choices have been saved" if changed else "Nothing changed: your choices are as they were", "success"
        )
        return redirect(url_for("auth.notification_preferences"))
    if not form.is_submitted():
        wanted = notification_prefs.chosen(user)
        form.events.data = [event.value for event in notification_prefs.OPTIONAL if event in wanted]
    return render_template(
        "auth/notification_preferences.html",
        form=form,
        mandatory=notification_prefs.MANDATORY,
        reason=notification_prefs.MANDATORY_REASON,
    ), 400 if form.is_submitted() else 200
