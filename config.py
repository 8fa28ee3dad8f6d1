"""Configuration, read once from the environment.

One class per environment, chosen by ``AUDITAPP_ENV`` (development, demo, test, production; default development).
Development and demo work with no settings at all: SQLite in ``instance/auditapp.db``. Production refuses to start
without ``SECRET_KEY`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta


class ConfigError(RuntimeError):
    """Raised when the environment does not hold what this configuration needs."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class BaseConfig:
    """Settings common to every environment; values are read from the environment when instantiated."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    DEMO_MODE = False
    SERVICE_NAME = "Multi-agency case file audit"
    SESSION_COOKIE_NAME = "auditapp_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    LOCKOUT_THRESHOLD = 10  # failures allowed in the window; the next attempt is refused
    LOCKOUT_WINDOW = timedelta(minutes=5)
    TOTP_ISSUER = "auditapp"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session's own timeouts bound the token's life
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    DEFAULT_DATABASE_URL = "sqlite:///auditapp.db"  # lands in instance/auditapp.db
    DEFAULT_TOTP_REQUIRED = True

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or self.DEFAULT_DATABASE_URL
        self.PARTNERSHIP_NAME = env.get("PARTNERSHIP_NAME") or "Northshire Safeguarding Children Partnership"
        self.SESSION_IDLE_TIMEOUT = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 30))
        self.SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_int("SESSION_ABSOLUTE_HOURS", 12))
        self.TOTP_REQUIRED = _bool("TOTP_REQUIRED", self.DEFAULT_TOTP_REQUIRED)
        self.MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 50) * 1024 * 1024
        # What an uploaded .xlsx workbook may expand to: each part (a sheet, its shared text) and the whole. Sheets
        # of 100,000 children are 70-105 MB of XML; parsing takes about 2 s and 0.1 GB per 100 MB.
        self.MAX_UNCOMPRESSED_PART_BYTES = _int("MAX_UNCOMPRESSED_PART_MB", 150) * 1024 * 1024
        self.MAX_UNCOMPRESSED_TOTAL_BYTES = _int("MAX_UNCOMPRESSED_TOTAL_MB", 300) * 1024 * 1024
        # Behind a reverse proxy that sets X-Forwarded-For/-Proto/-Host (one hop). Needed behind a TLS proxy for
        # the client's real address (rate limits, the audit trail) and for HSTS, which is sent on HTTPS requests only.
        self.TRUST_PROXY = _bool("TRUST_PROXY", False)
        # The password-hashing path (sign-in, security code, password checks): POSTs per client address and for
        # everyone together, in Flask-Limiter's notation; counts kept in RATELIMIT_STORAGE_URI (memory:// is per
        # process; use redis://host:6379 to share them between gunicorn workers).
        self.SIGN_IN_LIMIT_PER_ADDRESS = env.get("SIGN_IN_LIMIT_PER_ADDRESS") or "30 per minute"
        self.SIGN_IN_LIMIT_OVERALL = env.get("SIGN_IN_LIMIT_OVERALL") or "600 per minute"
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or "memory://"
        # At most this many argon2 hashes at once per process; a request that waits longer than
        # HASHING_WAIT_SECONDS for a turn gets "too many requests" (429) instead of slowing every page down.
        self.HASHING_CONCURRENCY = _int("HASHING_CONCURRENCY", max(1, os.cpu_count() or 1))
        self.HASHING_WAIT_SECONDS = float(env.get("HASHING_WAIT_SECONDS") or 2.0)
        self.ARGON2_PARAMETERS: dict = {}  # the library's defaults (RFC 9106 low-memory profile)
        # The task queue (issue 16): redis://host:6379/0 in production, sqlite:////path/tasks.db for a file; unset,
        # instance/tasks.db. ``auditapp worker`` runs its tasks.
        self.TASK_QUEUE_URL = env.get("TASK_QUEUE_URL") or ""
        # Links in messages are made absolute with this (the address users reach the service at).
        self.SERVICE_URL = (env.get("SERVICE_URL") or "http://127.0.0.1:5000").rstrip("/")
        # Messages go through GOV.UK Notify when NOTIFY_API_KEY is set (NOTIFY_BASE_URL for another endpoint; one
        # template id per kind of message, NOTIFY_TEMPLATE_<EVENT>, or NOTIFY_TEMPLATE_ID for all), else through
        # SMTP when MAIL_SERVER is set, else nowhere (the delivery log says so).
        self.NOTIFY_API_KEY = env.get("NOTIFY_API_KEY") or None
        self.NOTIFY_BASE_URL = env.get("NOTIFY_BASE_URL") or "https://api.notifications.service.gov.uk"
        self.NOTIFY_TEMPLATE_ID = env.get("NOTIFY_TEMPLATE_ID") or None
        self.NOTIFY_TEMPLATES = {
            name.removeprefix("NOTIFY_TEMPLATE_").lower(): value
            for name, value in env.items()
            if name.startswith("NOTIFY_TEMPLATE_") and name != "NOTIFY_TEMPLATE_ID" and value
        }
        # Single sign-on (issue 16): a JSON list of OpenID Connect providers, one per agency's tenant (see
        # docs/single-sign-on.md): name, label, issuer, client_id, client_secret, agency, domains, create_users.
        self.OIDC_PROVIDERS = env.get("OIDC_PROVIDERS") or "[]"
        self.FRESH_SIGN_IN_SECONDS = _int("FRESH_SIGN_IN_SECONDS", 300)
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_FROM = env.get("MAIL_FROM") or "auditapp@localhost"
        # Retention (``auditapp retention apply``; see docs/operations.md): closed, never-sampled cases leave the
        # population after RETENTION_CLOSED_CASE_MONTHS; rounds are anonymised RETENTION_ROUND_YEARS after their last
        # published report; unconfirmed uploads go after RETENTION_PENDING_UPLOAD_HOURS, finished jobs after
        # RETENTION_JOB_DAYS.
        self.RETENTION_CLOSED_CASE_MONTHS = _int("RETENTION_CLOSED_CASE_MONTHS", 24)
        self.RETENTION_ROUND_YEARS = _int("RETENTION_ROUND_YEARS", 3)
        self.RETENTION_PENDING_UPLOAD_HOURS = _int("RETENTION_PENDING_UPLOAD_HOURS", 24)
        self.RETENTION_JOB_DAYS = _int("RETENTION_JOB_DAYS", 90)
        # Automatic assignment gives no auditor more cases in a round than this, unless the round sets its own limit.
        self.AUDITOR_MAX_LOAD = _int("AUDITOR_MAX_LOAD", 4)
        self.GOVUK_FRONTEND_DIST = env.get("GOVUK_FRONTEND_DIST") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "node_modules", "govuk-frontend", "dist", "govuk"
        )

    def check(self) -> None:
        """Refuse to start when something essential is missing."""


class DevelopmentConfig(BaseConfig):
    """No settings needed: SQLite in instance/, demo banner, two-factor off unless TOTP_REQUIRED=1."""

    ENV_NAME = "development"
    DEMO_MODE = True
    DEFAULT_TOTP_REQUIRED = False

    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = _bool("FLASK_DEBUG", False)
        # A per-process key is fine for a local demo; sessions end when the server restarts.
        self.SECRET_KEY = self.SECRET_KEY or secrets.token_hex(32)
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)


class DemoConfig(DevelopmentConfig):
    ENV_NAME = "demo"


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True
    DEMO_MODE = True
    SESSION_COOKIE_SECURE = False
    DEFAULT_TOTP_REQUIRED = False
    DEFAULT_DATABASE_URL = "sqlite://"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - test-only
        self.JOBS_SYNCHRONOUS = True  # tests share one connection: run background jobs inside the request
        # The cheapest argon2 the library allows: tests check behaviour, not the cost of hashing.
        self.ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
        # Tests of the limits set their own; everyone else signs in as often as they like from 127.0.0.1.
        self.SIGN_IN_LIMIT_PER_ADDRESS = "1000000 per minute"
        self.SIGN_IN_LIMIT_OVERALL = "1000000 per minute"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or self.DEFAULT_DATABASE_URL
        self.TOTP_REQUIRED = False


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    DEFAULT_DATABASE_URL = ""
    # __Host-: the browser keeps it only if Secure, with Path=/ and no Domain, so no subdomain can set or read it.
    SESSION_COOKIE_NAME = "__Host-auditapp_session"

    def check(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise ConfigError(
                "Production configuration refuses to start: set " + " and ".join(missing) + " in the environment."
            )
        if len(self.SECRET_KEY or "") < 32:
            raise ConfigError("Production configuration refuses to start: SECRET_KEY must be at least 32 characters.")


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "demo": DemoConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> BaseConfig:
    """Return the checked configuration named by ``name`` or ``AUDITAPP_ENV`` (default development).

    Raises ConfigError when the name is unknown or a required setting is missing.
    """
    env = (name or os.environ.get("AUDITAPP_ENV") or "development").lower()
    try:
        config = CONFIGS[env]()
    except KeyError:
        raise ConfigError(f"AUDITAPP_ENV={env!r} is not one of {', '.join(CONFIGS)}.") from None
    config.check()
    return config
