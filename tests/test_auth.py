"""Signing in and out, lock-out, sessions and their timeouts, two-factor authentication, passwords."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import AuditEvent, SignInCounter
from auditapp.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, soup

# Signing in is what these tests are about: client_for signs in through the form here, not with login_as.
pytestmark = pytest.mark.form_sign_in


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_signing_in_with_the_right_password_reaches_home_and_is_an_audit_event(app, users):
    client = app.test_client()
    response = sign_in(client, users["qa_coordinator"].email)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    (event,) = events("sign_in")
    assert event.actor_id == users["qa_coordinator"].id and event.ip_address == "127.0.0.1" and event.request_id


def test_unknown_and_known_users_get_the_same_message(app, users):
    known = soup(sign_in(app.test_client(), users["auditor"].email, "wrong-password-xyz"))
    unknown = soup(sign_in(app.test_client(), "nobody@example.org", "wrong-password-xyz"))
    message = "Enter a correct email address and password"
    assert message in known.select_one(".govuk-error-summary").get_text()
    assert known.select_one(".govuk-error-summary").get_text() == unknown.select_one(".govuk-error-summary").get_text()
    failures = events("sign_in_failed")
    assert [e.details["reason"] for e in failures] == ["bad_password", "unknown"]
    assert failures[0].object_id == str(users["auditor"].id)


def test_the_eleventh_attempt_within_five_minutes_is_refused_even_with_the_right_password(app, users):
    client = app.test_client()
    email = users["auditor"].email
    for _ in range(10):
        assert sign_in(client, email, "wrong-password-xyz").status_code == 200
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 429  # not signed in
    assert "too many failed attempts" in soup(response).get_text()
    assert client.get("/home").status_code == 302
    assert len(events("sign_in_refused_locked")) == 1
    assert len(events("sign_in_failed")) == 10


def test_failures_older_than_five_minutes_do_not_lock_the_account(app, users):
    client = app.test_client()
    for _ in range(9):
        assert sign_in(client, users["auditor"].email, "wrong-password-xyz").status_code == 200
    counter = db.session.scalars(select(SignInCounter)).one()
    counter.window_started_at = utcnow() - timedelta(minutes=6)  # the nine failures were six minutes ago
    db.session.flush()
    assert sign_in(client, users["auditor"].email, "wrong-password-xyz").status_code == 200  # a new window
    assert sign_in(app.test_client(), users["auditor"].email).status_code == 302


def test_a_lock_out_ends_five_minutes_after_it_began(app, users):
    client = app.test_client()
    for _ in range(10):
        sign_in(client, users["auditor"].email, "wrong-password-xyz")
    assert sign_in(client, users["auditor"].email).status_code == 429
    counter = db.session.scalars(select(SignInCounter)).one()
    counter.locked_until = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert sign_in(app.test_client(), users["auditor"].email).status_code == 302


def test_sign_out_ends_the_session_on_the_server_so_the_old_cookie_no_longer_works(app, users):
    client = app.test_client()
    sign_in(client, users["admin"].email)
    stolen_cookie = client.get_cookie("auditapp_session").value
    response = post_form(client, "/sign-out", token_from="/home")
    assert response.status_code == 302
    assert len(events("sign_out")) == 1
    attacker = app.test_client()
    attacker.set_cookie("auditapp_session", stolen_cookie)
    response = attacker.get("/home")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_deactivating_a_user_ends_their_sessions_at_once(app, users, client_for):
    auditor = client_for("auditor")
    assert auditor.get("/home").status_code == 200
    admin = client_for("admin")
    response = post_form(admin, f"/admin/users/{users['auditor'].id}/deactivate")
    assert response.status_code == 302
    assert auditor.get("/home").status_code == 302
    assert sign_in(app.test_client(), users["auditor"].email).status_code == 200  # cannot sign in again


def test_changing_the_password_ends_every_session_and_the_new_password_works(app, users):
    first, second = app.test_client(), app.test_client()
    sign_in(first, users["board_member"].email)
    sign_in(second, users["board_member"].email)
    new = "a-brand-new-pass-phrase-for-tests"
    response = post_form(
        first, "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
    )
    assert response.status_code == 302
    assert first.get("/home").status_code == 302 and second.get("/home").status_code == 302
    assert sign_in(app.test_client(), users["board_member"].email, new).status_code == 302
    assert len(events("password_changed")) == 1


def test_a_common_or_short_new_password_is_refused_with_a_clear_message(app, users, client_for):
    client = client_for("board_member")
    for bad, message in [
        ("short", "12 characters or more"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("qwertyuiopasdfgh", "too common"),
    ]:
        response = post_form(
            client, "/account/password", {"current_password": PASSWORD, "new_password": bad, "confirm_password": bad}
        )
        assert response.status_code == 400
        assert message in soup(response).select_one(".govuk-error-summary").get_text(), bad


def _age_session(client, **stamps) -> None:
    with client.session_transaction() as session:
        for key, delta in stamps.items():
            session[key] = (utcnow() - delta).isoformat()


def test_a_session_idle_for_more_than_30_minutes_is_signed_out(client_for):
    client = client_for("auditor")
    _age_session(client, last_seen_at=timedelta(minutes=29))
    assert client.get("/home").status_code == 200  # and this refreshes last_seen_at
    _age_session(client, last_seen_at=timedelta(minutes=31))
    response = client.get("/home")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert events("session_timed_out")[0].details["reason"] == "idle"
    assert client.get("/home").status_code == 302


def test_a_session_older_than_12_hours_is_signed_out_even_when_active(client_for):
    client = client_for("auditor")
    _age_session(client, signed_in_at=timedelta(hours=12, minutes=1))
    response = client.get("/home")
    assert response.status_code == 302
    assert events("session_timed_out")[0].details["reason"] == "absolute"


def test_sign_in_does_not_redirect_off_site(app, users):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/sign-in?next=//evil.example/steal",
        data={"email": users["admin"].email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/home"


def test_two_factor_is_required_when_configured_and_a_wrong_code_is_refused(app, users):
    app.config["TOTP_REQUIRED"] = True
    try:
        client = app.test_client()
        response = sign_in(client, users["qa_coordinator"].email)
        assert response.headers["Location"] == "/two-factor/set-up"
        assert client.get("/home").status_code == 302  # the password alone does not sign in
        page = soup(client.get("/two-factor/set-up"))
        secret = page.select_one(".app-secret").get_text(strip=True)
        wrong = post_form(client, "/two-factor/set-up", {"code": "000000"})
        assert "not correct" in soup(wrong).get_text()
        right = post_form(client, "/two-factor/set-up", {"code": pyotp.TOTP(secret).now()})
        assert right.status_code == 302 and client.get("/home").status_code == 200
        post_form(client, "/sign-out", token_from="/home")
        # Next time the code is asked for after the password.
        response = sign_in(client, users["qa_coordinator"].email)
        assert response.headers["Location"] == "/sign-in/security-code"
        assert post_form(client, "/sign-in/security-code", {"code": "123456"}).status_code == 200
        assert client.get("/home").status_code == 302
        # The code used to enrol has been used: the next time step's code signs in.
        next_code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
        post_form(client, "/sign-in/security-code", {"code": next_code})
        assert client.get("/home").status_code == 200
        assert events("two_factor_enrolled") and events("two_factor_failed")
        assert events("sign_in")[-1].details["second_factor"] is True
    finally:
        app.config["TOTP_REQUIRED"] = False


def test_the_demo_banner_says_two_factor_is_off(app):
    text = soup(app.test_client().get("/sign-in")).select_one(".govuk-phase-banner").get_text()
    assert "Two-factor sign-in is switched off" in text
