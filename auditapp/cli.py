"""The ``auditapp`` command: a Flask CLI group over the app factory (whose commands are in ``commands``)."""

from __future__ import annotations

import sys

from flask import Flask
from flask.cli import FlaskGroup

#: Commands that serve no page: their app registers no blueprint (the routes, their forms, WTForms, the single
#: sign-on client ...: about a second of start-up that writing a report does not need). Every other command, and
#: ``run`` and ``routes`` above all, gets the whole app.
WITHOUT_PAGES = frozenset({"report"})


def _command(argv: list[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _create_app() -> Flask:
    from auditapp.app import create_app

    return create_app(pages=_command(sys.argv[1:]) not in WITHOUT_PAGES)


main = FlaskGroup(create_app=_create_app, help="auditapp: multi-agency case-file audits.")
