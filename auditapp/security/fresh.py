"""A fresh sign-in for risky changes (issue 16): publishing a report, changing a user's role, creating an admin.

The sign-in, or the last time the user confirmed who they are, must be at most ``FRESH_SIGN_IN_SECONDS`` old (300);
otherwise ``confirm_first()`` answers with a redirect to ``/sign-in/confirm`` and the page to come back to.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from auditapp.domain.user_sessions import proved_within
from auditapp.models.types import utcnow
from auditapp.security.sessions import current_session


def is_fresh() -> bool:
    return proved_within(current_session(), seconds=current_app.config["FRESH_SIGN_IN_SECONDS"], now=utcnow())


def confirm_first() -> Response | None:
    """None when the sign-in is fresh; else the redirect to confirm who you are (then back to this page)."""
    if is_fresh():
        return None
    flash("Confirm who you are to continue. Then make the change again.")
    return redirect(url_for("auth.confirm_identity", next=request.path))
