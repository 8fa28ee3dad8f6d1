"""Signed-in sessions on the web: the cookie carries the sign-in's own token and two timestamps.

Each sign-in has its own server-side row (``domain.user_sessions``), looked up on every request, so ending it
(sign-out, password change, admin reset, deactivation) refuses its cookie at once, and a cookie taken before the
user's next sign-in is worth nothing after it. Idle (30 minutes) and absolute (12 hours) timeouts are checked
before each request. A user whose password was set by someone else is sent to change it before anything else.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from auditapp.domain import user_sessions
from auditapp.domain.user_sessions import (
    PASSWORD,
    Method,
    activate,
    load_active,
    load_pending,
    session_expired,
    start_pending,
    touch,
)
from auditapp.models import User, UserSession
from auditapp.models.types import utcnow

login_manager = LoginManager()
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
PENDING_TOKEN = "pending_sign_in"  # noqa: S105 - a session key name
STATIC_ENDPOINTS = {"static", "govuk_assets", "govuk_dist"}
# Pages a user who must change their password may still use.
PASSWORD_CHANGE_ENDPOINTS = {"auth.password", "auth.sign_out_view", "main.healthz", "main.accessibility"}


def _stamp(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _user_agent() -> str | None:
    return request.headers.get("User-Agent")


def begin_pending(user: User, *, next_url: str | None, method: Method = PASSWORD) -> None:
    """After the password (or identity provider) step: a pending sign-in bound to this browser's session, nothing
    else in the cookie."""
    token = start_pending(
        user, ip_address=request.remote_addr, user_agent=_user_agent(), next_url=next_url, method=method
    )
    session.clear()
    session[PENDING_TOKEN] = token


def pending_sign_in() -> UserSession | None:
    """This browser's pending sign-in, if it is still open (5 minutes at most)."""
    return load_pending(session.get(PENDING_TOKEN))


def sign_in(user: User, *, second_factor: bool, pending: UserSession | None = None, method: Method = PASSWORD) -> None:
    """Start a session for ``user`` (after password and, where required, second factor) under a new token."""
    token = activate(
        user,
        pending=pending,
        second_factor=second_factor,
        ip_address=request.remote_addr,
        user_agent=_user_agent(),
        method=method,
    )
    session.clear()  # no session fixation: nothing from before sign-in survives
    user.current_session_token = token
    login_user(user)  # stores user.get_id(), this sign-in's token
    now = utcnow().isoformat()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session.permanent = True


def current_session() -> UserSession | None:
    return g.get("user_session")


def sign_out(*, reason: str = "signed_out") -> None:
    """End this sign-in on the server and clear the cookie (the user's other sign-ins stay open)."""
    if current_user.is_authenticated:
        user_sessions.sign_out(current_user._get_current_object(), current_session(), reason=reason)
    logout_user()
    session.clear()


def _check_timeouts():
    if request.endpoint in STATIC_ENDPOINTS or not current_user.is_authenticated:
        return None
    now = utcnow()
    reason = session_expired(
        signed_in_at=_stamp(session.get(SIGNED_IN_AT)),
        last_seen_at=_stamp(session.get(LAST_SEEN_AT)),
        now=now,
        idle=current_app.config["SESSION_IDLE_TIMEOUT"],
        absolute=current_app.config["SESSION_ABSOLUTE_TIMEOUT"],
    )
    if reason is None:
        session[LAST_SEEN_AT] = now.isoformat()
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            flash("You must change the password you were given before you continue")
            return redirect(url_for("auth.password"))
        return None
    # The redirect below is a success response, so the one commit mechanism stores this event.
    user_sessions.time_out(current_user._get_current_object(), current_session(), reason=reason)
    logout_user()
    session.clear()
    flash(
        "You were signed out because you had not used the service for 30 minutes"
        if reason == "idle"
        else "You were signed out because you had been signed in for 12 hours"
    )
    return redirect(url_for("auth.sign_in"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session row does this job
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load(token: str) -> User | None:
        row = load_active(token, absolute=current_app.config["SESSION_ABSOLUTE_TIMEOUT"])
        if row is None:
            return None
        touch(row, now=utcnow())
        g.user_session = row
        row.user.current_session_token = token
        return row.user

    app.before_request(_check_timeouts)
