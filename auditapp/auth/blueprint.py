"""The auth blueprint, shared by sign-in (``routes``) and the account pages (``account``), and the lock-out policy."""

from __future__ import annotations

from flask import Blueprint, current_app

from auditapp.domain import auth as auth_domain

bp = Blueprint("auth", __name__)


def policy() -> auth_domain.Policy:
    cfg = current_app.config
    return auth_domain.Policy(threshold=cfg["LOCKOUT_THRESHOLD"], window=cfg["LOCKOUT_WINDOW"])
