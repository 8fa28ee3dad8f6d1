"""The ``auditapp`` command: a Flask CLI group over the app factory (whose commands are in ``commands``)."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from auditapp.app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="auditapp: multi-agency case-file audits.")
