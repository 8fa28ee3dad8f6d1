"""Error pages: plain GOV.UK pages, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from auditapp.extensions import db

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "This action is not allowed here",
    413: "The file is too large",
    500: "Sorry, there is a problem with the service",
}


def _page(code: int, message: str | None = None):  # noqa: ANN202
    return render_template("errors/error.html", code=code, title=TITLES.get(code, TITLES[500]),
                           message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):  # noqa: ANN202
        return _page(400, "Your form expired or was sent from another site. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # noqa: ANN202
        code = error.code or 500
        if code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH", 0) // (1024 * 1024)
            return _page(413, f"The file must be smaller than {limit} MB.")
        return _page(code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # noqa: ANN202
        db.session.rollback()
        log.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return _page(500)
