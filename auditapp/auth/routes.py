"""Sign-in (password, then the security code or, for a user with no authenticator yet, its set-up) and sign-out.

The user's own account pages are in ``auth/account.py`` on the same blueprint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from auditapp.auth.blueprint import bp, policy
from auditapp.auth.forms import SignInForm, SignOutForm, TwoFactorForm
from auditapp.domain import auth as auth_domain
from auditapp.domain import sso as sso_domain
from auditapp.domain.user_sessions import end_session
from auditapp.models import UserSession
from auditapp.security.access import public, signed_in
from auditapp.security.sessions import begin_pending, pending_sign_in, sign_out
from auditapp.security.sessions import sign_in as start_signed_in_session
from auditapp.security.throttle import password_attempts

MAX_NEXT = 500


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: never redirect off-site after sign-in.

    Refused: anything with a scheme or host, protocol-relative paths, backslashes, and control or space
    characters (browsers drop a tab or newline, so ``/<TAB>/evil.example`` would become ``//evil.example``).
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _finish(pending: UserSession | None, user, *, second_factor: bool):
    target = safe_next(pending.next_url if pending else request.args.get("next")) or url_for("main.home")
    start_signed_in_session(user, second_factor=second_factor, pending=pending)
    return redirect(target)


def _locked_out(pending: UserSession | None, result: auth_domain.CodeResult):
    """The answer once an account is locked mid-way: the pending sign-in ends; start again in 5 minutes.

    200 when this very attempt locked the account (its count and the ended sign-in must commit); 429 when it was
    locked already (the refusal is written in a transaction of its own).
    """
    if pending is not None:
        end_session(pending, reason="locked")
    session.clear()
    form = SignInForm(formdata=None)
    form.password.errors = [auth_domain.LOCKED_ERROR]
    return render_template("auth/sign_in.html", form=form), 429 if result.refused else 200


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@password_attempts
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form), 400 if form.is_submitted() else 200
    result = auth_domain.authenticate(email=form.email.data, password=form.password.data, policy=policy())
    if not result.ok:
        form.password.errors = [result.error]
        # A wrong password answers 200, not 400: the failure and the lock-out count must commit. A locked
        # address answers 429 (its refusal is written in a transaction of its own).
        status = 429 if result.locked else 200
        return render_template("auth/sign_in.html", form=form), status
    user = result.user
    if refusal := sso_domain.password_sign_in_refused(user):  # issue 16: the agency signs in only through SSO
        return render_template("auth/sign_in.html", form=form, password_off=refusal), 403
    next_url = safe_next(request.args.get("next"))
    if user.totp_secret or current_app.config["TOTP_REQUIRED"]:
        begin_pending(user, next_url=next_url)
        return redirect(url_for("auth.two_factor" if user.totp_secret else "auth.two_factor_setup"))
    return _finish(None, user, second_factor=False)


def _no_pending():
    flash("Sign in again to continue")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@public
@password_attempts
def two_factor():
    pending = pending_sign_in()
    if pending is None or not pending.user.totp_secret:
        return _no_pending()
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return render_template("auth/two_factor.html", form=form), 400 if form.is_submitted() else 200
    result = auth_domain.check_second_factor(pending.user, form.code.data, policy=policy())
    if result.ok:
        return _finish(pending, pending.user, second_factor=True)
    if result.locked:
        return _locked_out(pending, result)
    form.code.errors = ["The security code is not correct or has expired"]
    return render_template("auth/two_factor.html", form=form)  # 200: the failure and its count commit


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@public
@password_attempts
def two_factor_setup():
    """Enrol an authenticator during sign-in: only for a user who has none yet (replacing one is in Your account)."""
    pending = pending_sign_in()
    if pending is None:
        if current_user.is_authenticated:
            return redirect(url_for("auth.account_two_factor"))
        return _no_pending()
    user = pending.user
    if user.totp_secret:  # the password alone never replaces an authenticator
        return redirect(url_for("auth.two_factor"))
    if not pending.totp_secret_offered:
        pending.totp_secret_offered = auth_domain.new_totp_secret()
    secret = pending.totp_secret_offered
    form = TwoFactorForm()
    uri = auth_domain.totp_uri(user, secret, current_app.config["TOTP_ISSUER"])
    if form.validate_on_submit():
        result = auth_domain.enrol_totp(user, secret=secret, code=form.code.data, policy=policy())
        if result.ok:
            return _finish(pending, user, second_factor=True)
        if result.locked:
            return _locked_out(pending, result)
        form.code.errors = ["The security code is not correct or has expired"]
        return render_template("auth/two_factor_setup.html", form=form, secret=secret, uri=uri)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/two_factor_setup.html", form=form, secret=secret, uri=uri), status


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out_view():
    form = SignOutForm()
    if form.validate_on_submit():
        sign_out()
        flash("You have signed out")
    return redirect(url_for("auth.sign_in"))
