"""Signed-in sessions: the cookie carries the user's server-side token and two timestamps.

The token is looked up on every request, so rotating it (sign-out, deactivation, password change) ends every
session at once. Idle (30 minutes) and absolute (12 hours) timeouts are checked before each request.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from auditapp.domain.audit_trail import record_event
from auditapp.domain.auth import end_all_sessions, load_user_by_token, session_expired, start_session
from auditapp.extensions import login_manager
from auditapp.models import User
from auditapp.models.types import utcnow

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"


def _stamp(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def sign_in(user: User, *, second_factor: bool) -> None:
    """Start a session for ``user`` (after password and, where required, second factor)."""
    token = start_session(user, second_factor=second_factor)
    session.clear()  # no session fixation: nothing from before sign-in survives
    login_user(user)  # stores user.get_id(), the server-side token
    assert session["_user_id"] == token
    now = utcnow().isoformat()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session.permanent = True


def sign_out(*, reason: str = "signed_out") -> None:
    """End the current user's sessions on the server and clear the cookie."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        record_event("sign_out", object_type="user", object_id=user.id, details={"reason": reason})
        end_all_sessions(user, reason=reason)
    logout_user()
    session.clear()


def _check_timeouts():  # noqa: ANN202 - a Flask before_request handler
    if request.endpoint in {"static", "govuk_assets", "govuk_dist"} or not current_user.is_authenticated:
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
        return None
    # The redirect below is a success response, so the one commit mechanism stores this event.
    user = current_user._get_current_object()
    record_event("session_timed_out", object_type="user", object_id=user.id, actor_id=user.id,
                 actor_email=user.email, details={"reason": reason})
    logout_user()
    session.clear()
    flash("You were signed out because you had not used the service for 30 minutes"
          if reason == "idle" else "You were signed out because you had been signed in for 12 hours")
    return redirect(url_for("auth.sign_in"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side token does this job
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load(token: str) -> User | None:
        return load_user_by_token(token)

    app.before_request(_check_timeouts)
