"""Limits on the password-hashing path (sign-in, security code, password checks): per address and overall.

Flask-Limiter counts POSTs to these routes per client address and for everyone together; past either limit the
answer is a GOV.UK "too many requests" page (429), and the refusal is recorded in the audit trail. Counts live in
``RATELIMIT_STORAGE_URI``: memory by default (per process), Redis to share them between gunicorn workers. On top
of that, ``domain.passwords.hashing`` bounds how many argon2 hashes one process computes at once.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)

_per_address = limiter.shared_limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], scope="password-attempts-per-address", methods=["POST"]
)
_overall = limiter.shared_limit(
    lambda: current_app.config["SIGN_IN_LIMIT_OVERALL"],
    scope="password-attempts-overall",
    key_func=lambda: "everyone",
    methods=["POST"],
)


def password_attempts(view: Callable) -> Callable:
    """Apply the per-address and overall limits to a view that checks a password or a security code."""
    return _overall(_per_address(view))


def init_app(app: Flask) -> None:
    from auditapp.domain.passwords import hashing

    limiter.init_app(app)
    hashing.configure(concurrency=app.config["HASHING_CONCURRENCY"], wait_seconds=app.config["HASHING_WAIT_SECONDS"])
