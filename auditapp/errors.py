"""Error pages: plain GOV.UK pages, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from auditapp import unit_of_work
from auditapp.domain.passwords import HashingBusy
from auditapp.security.access import PUBLIC
from auditapp.security.refusals import refused

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "This action is not allowed here",
    413: "The file is too large",
    429: "Sorry, there have been too many attempts",
    500: "Sorry, there is a problem with the service",
}


def _page(code: int, message: str | None = None):
    return render_template("errors/error.html", code=code, title=TITLES.get(code, TITLES[500]), message=message), code


TOO_MANY = "Wait a few minutes and try again."


def _protected() -> bool:
    """True for a matched route that is not public (a refusal there is an attempt on something protected)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and getattr(view, "access_rule", PUBLIC) != PUBLIC


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        refused("csrf_refused", 400, reason=error.description[:200])
        return _page(400, "Your form expired or was sent from another site. Go back, reload the page and try again.")

    @app.errorhandler(HashingBusy)
    def _busy(_error: HashingBusy):
        refused("throttled", 429, limit="password hashing capacity")
        return _page(429, TOO_MANY)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        if code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH", 0) // (1024 * 1024)
            return _page(413, f"The file must be smaller than {limit} MB.")
        if code == 429:
            refused("throttled", 429, limit=str(error.description)[:100])
            return _page(429, TOO_MANY)
        if code in (401, 403, 404) and _protected():
            refused("access_refused", code)
        return _page(code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        unit_of_work.rollback()
        log.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return _page(500)
