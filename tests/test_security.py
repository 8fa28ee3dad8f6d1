"""Security headers, cookies, CSRF, the production configuration and the append-only audit trail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.models import Agency, AuditEvent
from auditapp.models.audit_event import AuditTrailIsAppendOnly
from tests.conftest import PASSWORD, csrf_token, sign_in

# Signing in is what these tests are about: client_for signs in through the form here, not with login_as.
pytestmark = pytest.mark.form_sign_in

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}
CSP = re.compile(
    r"^default-src 'self'; script-src 'self' 'nonce-(?P<nonce>[A-Za-z0-9_-]{24})'; style-src 'self'; "
    r"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    r"form-action 'self'; frame-ancestors 'none'$"
)


@pytest.mark.parametrize("path", ["/sign-in", "/home", "/admin/users", "/no-such-page"])
def test_pages_carry_exactly_the_security_headers(client_for, path):
    response = client_for("admin").get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    match = CSP.match(csp)
    assert match, csp
    assert "unsafe-inline" not in csp
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    body = response.get_data(as_text=True)
    # every inline script carries this response's nonce
    assert all(f'nonce="{match["nonce"]}"' in tag for tag in re.findall(r"<script[^>]*>", body))
    assert not re.search(r"\sstyle=", body), "inline style attributes are blocked by the CSP"


def test_each_response_gets_a_fresh_nonce(app):
    client = app.test_client()
    first = client.get("/sign-in").headers["Content-Security-Policy"]
    second = client.get("/sign-in").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_is_sent_over_https(app):
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_static_assets_may_be_cached_but_pages_may_not(app):
    response = app.test_client().get("/static/app.css")
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_session_cookie_is_httponly_and_samesite_lax(app, users):
    response = sign_in(app.test_client(), users["admin"].email)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("auditapp_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # test/development only


def test_session_cookie_is_secure_outside_development(monkeypatch):
    from config import ProductionConfig, get_config

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@localhost/db")
    config = get_config("production")
    assert isinstance(config, ProductionConfig)
    assert config.SESSION_COOKIE_SECURE is True and config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax" and config.DEBUG is False and config.TOTP_REQUIRED is True


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(monkeypatch, missing):
    from config import ConfigError, get_config

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@localhost/db")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        get_config("production")


def test_production_app_factory_refuses_to_start_without_secret_key(monkeypatch):
    from auditapp.app import create_app
    from config import ConfigError

    monkeypatch.setenv("AUDITAPP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@localhost/db")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_development_needs_no_settings(monkeypatch):
    from config import get_config

    for name in ("SECRET_KEY", "DATABASE_URL", "AUDITAPP_ENV"):
        monkeypatch.delenv(name, raising=False)
    config = get_config()
    assert config.SQLALCHEMY_DATABASE_URI == "sqlite:///auditapp.db" and config.SECRET_KEY
    assert config.TOTP_REQUIRED is False and config.DEMO_MODE is True


def test_a_post_without_csrf_token_is_rejected_and_changes_nothing(client_for):
    client = client_for("admin")
    before = db.session.scalar(select(func.count(Agency.id)))
    response = client.post("/admin/agencies/new", data={"name": "Sneaky Agency", "kind": "police", "active": "y"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Agency.id))) == before
    # and the same form with its token works, proving it was the token
    token = csrf_token(client, "/admin/agencies/new")
    ok = client.post(
        "/admin/agencies/new", data={"name": "Sneaky Agency", "kind": "police", "active": "y", "csrf_token": token}
    )
    assert ok.status_code == 302
    assert db.session.scalar(select(func.count(Agency.id))) == before + 1


def test_sign_in_without_csrf_token_is_rejected(app, users):
    response = app.test_client().post("/sign-in", data={"email": users["admin"].email, "password": PASSWORD})
    assert response.status_code == 400


def test_audit_events_cannot_be_changed_or_deleted_through_the_app(users):
    db.session.commit()  # keep the fixtures' rows (a savepoint inside the test's outer transaction)
    event = db.session.scalars(select(AuditEvent)).first()
    event.action = "something_else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalars(select(AuditEvent)).first()
    db.session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_error_pages_show_no_stack_trace():
    from auditapp.app import create_app
    from config import TestConfig

    app = create_app(TestConfig())

    @app.route("/boom-test")
    def boom():  # only for this test
        raise RuntimeError("secret internals")

    boom.access_rule = "public"
    response = app.test_client().get("/boom-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "secret internals" not in body and "Traceback" not in body
