"""Confirm who you are (issue 16): a fresh sign-in before publishing a report or changing someone's role.

``security.fresh`` sends a user whose sign-in is older than ``FRESH_SIGN_IN_SECONDS`` here with ``next`` (the page
to go back to). A user who signed in with a password gives it again, and their security code if they have an
authenticator; a user who signed in through their organisation goes to its provider, asked to sign them in again
(``prompt=login``, ``max_age=0``), and the callback (``auth.sso_routes``) must return the same person.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from auditapp.auth import sso
from auditapp.auth.blueprint import bp, policy
from auditapp.auth.routes import safe_next
from auditapp.auth.sso_routes import REAUTH, redirect_to_provider
from auditapp.domain import auth as auth_domain
from auditapp.domain.user_sessions import reauthenticated
from auditapp.security.access import signed_in
from auditapp.security.sessions import current_session


class ConfirmIdentityForm(FlaskForm):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter your password"), Length(max=256)],
    )
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code shown in your authenticator app",
        validators=[Length(max=12)],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())


@bp.route("/sign-in/confirm", methods=["GET", "POST"])
@signed_in
def confirm_identity():
    user = current_user._get_current_object()
    row = current_session()
    next_url = safe_next(request.args.get("next")) or url_for("main.home")
    provider = sso.provider(row.provider) if row is not None and row.method == "sso" and row.provider else None
    if provider is not None:
        session[REAUTH] = {"provider": provider.name, "next": next_url}
        return redirect_to_provider(provider, fresh=True)
    form = ConfirmIdentityForm()
    if not user.totp_secret:
        del form.code
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form), 400 if form.is_submitted() else 200
    error = auth_domain.check_current_password(user, form.password.data, policy=policy(), purpose="confirm")
    if error:
        form.password.errors = [error]
        return render_template("auth/confirm.html", form=form)  # 200: the failure and its count commit
    if user.totp_secret:
        result = auth_domain.check_second_factor(user, form.code.data or "", policy=policy())
        if not result.ok:
            form.code.errors = ["The security code is not correct or has expired"]
            return render_template("auth/confirm.html", form=form), 429 if result.refused else 200
    if row is not None:
        reauthenticated(row, how="password")
    flash("You have confirmed who you are. You can now continue.")
    return redirect(next_url)
