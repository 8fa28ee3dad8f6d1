"""The signed-in user's own account: details, password, two-factor authentication and their open sessions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from auditapp.auth.blueprint import bp, policy
from auditapp.auth.forms import AccountTwoFactorForm, ChangePasswordForm, EndSessionForm
from auditapp.domain import auth as auth_domain
from auditapp.domain.errors import DomainError
from auditapp.domain.user_sessions import active_sessions, end_all_sessions, end_session
from auditapp.domain.users import change_password
from auditapp.forms import add_domain_error
from auditapp.models import UserSession
from auditapp.security.access import register_loader, signed_in
from auditapp.security.sessions import current_session, sign_out
from auditapp.security.throttle import password_attempts

register_loader("user_session_id", UserSession)


def _me():
    return current_user._get_current_object()


@bp.route("/account")
@signed_in
def account():
    return render_template("auth/account.html", user=current_user)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@password_attempts
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        error = auth_domain.check_current_password(
            user, form.current_password.data, policy=policy(), purpose="change_password"
        )
        if error:
            form.current_password.errors = [error]
        else:
            try:
                change_password(user, new_password=form.new_password.data)
            except DomainError as problem:
                add_domain_error(form, problem)
            else:
                session.clear()
                flash("Your password has been changed. Sign in again with your new password.")
                return redirect(url_for("auth.sign_in"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form, must_change=current_user.must_change_password), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@signed_in
@password_attempts
def account_two_factor():
    """Set up an authenticator, or replace the current one: the password again, and the current code to replace."""
    user, row = _me(), current_session()
    replacing = bool(user.totp_secret)
    if row is None:
        abort(404)
    if not row.totp_secret_offered:
        row.totp_secret_offered = auth_domain.new_totp_secret()
    secret = row.totp_secret_offered
    form = AccountTwoFactorForm()
    if not replacing:
        del form.current_code
    if form.validate_on_submit() and _replace_or_enrol(form, user, secret=secret, replacing=replacing):
        end_all_sessions(user, reason="two_factor_changed", keep=row)
        flash(
            "Two-factor authentication is set up. Your other sessions have been signed out."
            if replacing
            else "Two-factor authentication is set up"
        )
        return redirect(url_for("auth.account"))
    uri = auth_domain.totp_uri(user, secret, current_app.config["TOTP_ISSUER"])
    return render_template(
        "auth/two_factor_setup.html", form=form, secret=secret, uri=uri, replacing=replacing, from_account=True
    ), 400 if form.is_submitted() else 200


def _replace_or_enrol(form: AccountTwoFactorForm, user, *, secret: str, replacing: bool) -> bool:
    error = auth_domain.check_current_password(user, form.current_password.data, policy=policy(), purpose="two_factor")
    if error:
        form.current_password.errors = [error]
        return False
    if replacing and not auth_domain.check_current_code(user, form.current_code.data or "", policy=policy()):
        form.current_code.errors = ["The security code from your current app is not correct or has expired"]
        return False
    result = auth_domain.enrol_totp(user, secret=secret, code=form.code.data, policy=policy(), replacing=replacing)
    if not result.ok:
        form.code.errors = [
            auth_domain.LOCKED_ERROR
            if result.locked
            else "The security code from the new app is not correct or has expired"
        ]
    return result.ok


@bp.route("/account/sessions")
@signed_in
def sessions():
    rows = active_sessions(_me(), absolute=current_app.config["SESSION_ABSOLUTE_TIMEOUT"])
    return render_template("auth/sessions.html", rows=rows, this=current_session(), form=EndSessionForm())


@bp.route("/account/sessions/<int:user_session_id>/end", methods=["POST"])
@signed_in
def session_end(user_session: UserSession):
    if user_session.user_id != current_user.id:
        abort(404)  # another user's session: do not reveal it exists
    if EndSessionForm().validate_on_submit():
        if user_session is current_session():
            sign_out()
            flash("You have signed out")
            return redirect(url_for("auth.sign_in"))
        end_session(user_session, reason="ended_by_user")
        flash("That session has been signed out")
    return redirect(url_for("auth.sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@signed_in
def sessions_end_others():
    if EndSessionForm().validate_on_submit():
        ended = end_all_sessions(_me(), reason="ended_by_user", keep=current_session())
        flash(f"{ended} other session{'s' if ended != 1 else ''} signed out" if ended else "You had no other sessions")
    return redirect(url_for("auth.sessions"))
