"""Sign-in, two-factor authentication, sign-out and the user's own account."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from auditapp.auth.forms import ChangePasswordForm, SignInForm, SignOutForm, TwoFactorForm
from auditapp.domain import auth as auth_domain
from auditapp.domain.errors import DomainError
from auditapp.domain.passwords import verify_password
from auditapp.domain.users import change_password
from auditapp.extensions import db
from auditapp.forms import add_domain_error
from auditapp.models import User
from auditapp.models.types import utcnow
from auditapp.security.access import public, signed_in
from auditapp.security.sessions import sign_in as start_signed_in_session
from auditapp.security.sessions import sign_out

bp = Blueprint("auth", __name__)

PENDING_USER = "pending_user_id"
PENDING_AT = "pending_at"
PENDING_SECRET = "pending_totp_secret"  # noqa: S105 - a session key name
PENDING_NEXT = "pending_next"
PENDING_MINUTES = 5


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect off-site after sign-in.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


def _pending_user() -> User | None:
    user_id, started = session.get(PENDING_USER), session.get(PENDING_AT)
    if not user_id or not started:
        return None
    if (utcnow() - datetime.fromisoformat(started)).total_seconds() > PENDING_MINUTES * 60:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _finish(user: User, *, second_factor: bool):  # noqa: ANN202
    target = _safe_next(session.get(PENDING_NEXT))
    start_signed_in_session(user, second_factor=second_factor)
    return redirect(target)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form), 400 if form.is_submitted() else 200
    cfg = current_app.config
    result = auth_domain.authenticate(email=form.email.data, password=form.password.data,
                                      threshold=cfg["LOCKOUT_THRESHOLD"], window=cfg["LOCKOUT_WINDOW"])
    if not result.ok:
        form.password.errors = [result.error]
        # 200, not 400: the failed attempt is an audit event and counts towards the lock-out, so it must commit.
        return render_template("auth/sign_in.html", form=form, sign_in_error=result.error)
    user = result.user
    next_url = request.args.get("next")
    if user.totp_secret or cfg["TOTP_REQUIRED"]:
        session.clear()
        session[PENDING_USER], session[PENDING_AT] = user.id, utcnow().isoformat()
        session[PENDING_NEXT] = next_url
        return redirect(url_for("auth.two_factor" if user.totp_secret else "auth.two_factor_setup"))
    session[PENDING_NEXT] = next_url
    return _finish(user, second_factor=False)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@public
def two_factor():  # noqa: ANN201
    user = _pending_user()
    if user is None or not user.totp_secret:
        flash("Sign in again to continue")
        return redirect(url_for("auth.sign_in"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if auth_domain.check_second_factor(user, form.code.data):
            return _finish(user, second_factor=True)
        form.code.errors = ["The security code is not correct or has expired"]
        return render_template("auth/two_factor.html", form=form)  # 200: the failure is recorded
    return render_template("auth/two_factor.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@public
def two_factor_setup():  # noqa: ANN201
    """Enrol an authenticator app: during sign-in when two-factor is required, or from the account page."""
    user = current_user._get_current_object() if current_user.is_authenticated else _pending_user()
    if user is None:
        flash("Sign in again to continue")
        return redirect(url_for("auth.sign_in"))
    secret = session.get(PENDING_SECRET) or auth_domain.new_totp_secret()
    session[PENDING_SECRET] = secret
    form = TwoFactorForm()
    uri = auth_domain.totp_uri(user, secret, current_app.config["TOTP_ISSUER"])
    if form.validate_on_submit():
        if auth_domain.enrol_totp(user, secret=secret, code=form.code.data):
            session.pop(PENDING_SECRET, None)
            if current_user.is_authenticated:
                flash("Two-factor authentication is set up")
                return redirect(url_for("auth.account"))
            return _finish(user, second_factor=True)
        form.code.errors = ["The security code is not correct or has expired"]
        return render_template("auth/two_factor_setup.html", form=form, secret=secret, uri=uri)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/two_factor_setup.html", form=form, secret=secret, uri=uri), status


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out_view():  # noqa: ANN201
    form = SignOutForm()
    if form.validate_on_submit():
        sign_out()
        flash("You have signed out")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account")
@signed_in
def account():  # noqa: ANN201
    return render_template("auth/account.html", user=current_user)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():  # noqa: ANN201
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors = ["Your current password is not correct"]
        else:
            try:
                change_password(user, new_password=form.new_password.data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                session.clear()
                flash("Your password has been changed. Sign in again with your new password.")
                return redirect(url_for("auth.sign_in"))
    return render_template("auth/password.html", form=form), 400 if form.is_submitted() else 200
