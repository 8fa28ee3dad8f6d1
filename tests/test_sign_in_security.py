"""The penetration test's sign-in, session and audit-trail findings (issue 11), one test per finding at least.

Parallel requests (the lock-out race, throttling, SQLite under load) are in test_concurrency.py.
"""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import AuditEvent, User, UserSession
from auditapp.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, soup

# Signing in is what these tests are about: client_for signs in through the form here, not with login_as.
pytestmark = pytest.mark.form_sign_in


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def code_at(secret: str, seconds_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=seconds_from_now))


@pytest.fixture
def enrolled(users):
    """The QA coordinator with an authenticator (its last accepted step is an old one)."""
    user = users["qa_coordinator"]
    user.totp_secret = pyotp.random_base32()
    db.session.flush()
    return user


def _password_step(app, user):
    client = app.test_client()
    response = sign_in(client, user.email)
    assert response.status_code == 302
    return client, response


# 1. Critical: the second factor can be bypassed and replaced after the password step alone.
def test_finding_1_two_factor_set_up_after_the_password_alone_cannot_replace_an_existing_secret(app, enrolled):
    original = enrolled.totp_secret
    client, response = _password_step(app, enrolled)
    assert response.headers["Location"] == "/sign-in/security-code"
    page = client.get("/two-factor/set-up")
    assert page.status_code == 302 and page.headers["Location"] == "/sign-in/security-code"
    # Posting a code for a secret of the attacker's choosing does nothing either.
    token = csrf_token(client, "/sign-in/security-code")
    attempt = client.post("/two-factor/set-up", data={"code": code_at(pyotp.random_base32()), "csrf_token": token})
    assert attempt.status_code == 302 and attempt.headers["Location"] == "/sign-in/security-code"
    assert client.get("/home").status_code == 302  # not signed in
    assert db.session.get(User, enrolled.id).totp_secret == original and not events("two_factor_enrolled")
    # The owner's own code still works.
    assert post_form(client, "/sign-in/security-code", {"code": code_at(original)}).status_code == 302
    assert client.get("/home").status_code == 200


def test_finding_1_a_user_with_no_secret_may_enrol_during_sign_in_when_two_factor_is_required(app, users):
    app.config["TOTP_REQUIRED"] = True
    try:
        client, response = _password_step(app, users["auditor"])
        assert response.headers["Location"] == "/two-factor/set-up"
        secret = soup(client.get("/two-factor/set-up")).select_one(".app-secret").get_text(strip=True)
        # The offered secret is kept on the server, never in the cookie.
        assert secret not in client.get_cookie("auditapp_session").value
        assert post_form(client, "/two-factor/set-up", {"code": code_at(secret)}).status_code == 302
        assert client.get("/home").status_code == 200
    finally:
        app.config["TOTP_REQUIRED"] = False


# 2. High: security codes can be guessed without limit.
def test_finding_2_wrong_security_codes_count_toward_the_lock_out(app, enrolled):
    client, _ = _password_step(app, enrolled)
    for _ in range(9):
        assert post_form(client, "/sign-in/security-code", {"code": "000000"}).status_code == 200
    locked = post_form(client, "/sign-in/security-code", {"code": "000000"})
    assert locked.status_code == 200 and "too many failed attempts" in soup(locked).get_text()
    # The pending sign-in has ended: even the right code no longer helps, nor does the password step again.
    assert client.get("/sign-in/security-code").status_code == 302
    again = sign_in(app.test_client(), enrolled.email)
    assert again.status_code == 429
    assert len(events("two_factor_failed")) == 10
    assert events("sign_in_refused_locked")


def test_finding_2_the_pending_sign_in_expires_after_five_minutes(app, enrolled):
    client, _ = _password_step(app, enrolled)
    pending = db.session.scalars(select(UserSession).where(UserSession.stage == "pending")).one()
    pending.created_at = utcnow() - timedelta(minutes=5, seconds=1)
    db.session.flush()
    response = post_form(
        client, "/sign-in/security-code", {"code": code_at(enrolled.totp_secret)}, token_from="/sign-in"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get("/home").status_code == 302


def test_finding_2_the_pending_sign_in_is_bound_to_the_browser_that_gave_the_password(app, enrolled):
    _password_step(app, enrolled)
    other = app.test_client()
    response = post_form(
        other, "/sign-in/security-code", {"code": code_at(enrolled.totp_secret)}, token_from="/sign-in"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert other.get("/home").status_code == 302


# 3. A code can be replayed.
def test_finding_3_a_security_code_signs_in_once(app, enrolled):
    code = code_at(enrolled.totp_secret)
    first, _ = _password_step(app, enrolled)
    assert post_form(first, "/sign-in/security-code", {"code": code}).status_code == 302
    second, _ = _password_step(app, enrolled)
    replay = post_form(second, "/sign-in/security-code", {"code": code})
    assert replay.status_code == 200 and "not correct" in soup(replay).get_text()
    assert second.get("/home").status_code == 302
    # An earlier step than the one accepted is refused too; a later one is accepted.
    assert post_form(second, "/sign-in/security-code", {"code": code_at(enrolled.totp_secret, -30)}).status_code == 200
    assert post_form(second, "/sign-in/security-code", {"code": code_at(enrolled.totp_secret, 30)}).status_code == 302


# 5. Open redirect.
@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:x=1",
        "/ /evil.example",
        "javascript:alert(1)",
    ],
)
def test_finding_5_sign_in_never_redirects_off_site(app, users, target):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        f"/sign-in?next={target}", data={"email": users["admin"].email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_finding_5_a_local_next_page_is_still_honoured(app, users):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/sign-in?next=/admin/users%3Fpage%3D2",
        data={"email": users["admin"].email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/users?page=2"


# 6. Gaps in the audit trail: refused attempts are kept although the answer is an error.
def test_finding_6_a_refused_attempt_on_another_auditors_audit_is_recorded(client_for, users, org):
    from tests.factories import make_round

    audit_round = make_round(
        mode="multi-agency", agencies=[org.social.name, org.health.name], lead_agency=org.social.name
    )
    mine = next(a for s in audit_round.sampled for a in s.assignments if a.auditor_id == users["auditor"].id)
    peer = client_for("peer")
    assert peer.get(f"/audits/{mine.id}").status_code == 404
    (refusal,) = [e for e in events("access_refused") if e.actor_id == users["peer"].id]
    assert refusal.details["status"] == 404 and refusal.details["view_args"] == {"assignment_id": str(mine.id)}


def test_finding_6_forbidden_admin_pages_exports_and_csrf_failures_are_recorded(client_for, users):
    auditor = client_for("auditor")
    assert auditor.get("/admin/users").status_code == 403
    assert auditor.get("/cases/export.csv").status_code == 403
    assert auditor.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    refused = events("access_refused")
    assert [(e.details["status"], e.details["path"]) for e in refused] == [
        (403, "/admin/users"),
        (403, "/cases/export.csv"),
    ]
    assert all(e.actor_id == users["auditor"].id and e.request_id for e in refused)
    (csrf,) = events("csrf_refused")
    assert csrf.actor_id == users["auditor"].id and csrf.details["path"] == "/sign-out"


def test_finding_6_a_refusal_is_kept_while_the_rest_of_the_request_is_rolled_back(app, client_for, users):
    from auditapp.domain.context import ActorContext, acting_as
    from auditapp.domain.trail.events import record_event, record_refusal

    with app.test_request_context(), acting_as(ActorContext(email="t@example.org", channel="test")):
        record_event("ordinary_change")
        record_refusal("refused_thing", object_type="request")
        db.session.rollback()
        from auditapp.domain.trail.events import write_kept

        assert write_kept() is True
        db.session.commit()  # as the request hook does
    assert events("refused_thing") and not events("ordinary_change")


def test_finding_6_signed_out_attempts_on_a_named_object_are_recorded(app, users):
    response = app.test_client().get(f"/admin/users/{users['admin'].id}")
    assert response.status_code == 302
    (refusal,) = events("access_refused")
    assert refusal.details["status"] == 401 and refusal.actor_id is None


# 7. A signed-in session can enrol a new second factor without proving who it is again.
def test_finding_7_enrolling_from_the_account_needs_the_password_again(client_for, users):
    client = client_for("auditor")
    page = soup(client.get("/account/two-factor"))
    secret = page.select_one(".app-secret").get_text(strip=True)
    refused = post_form(
        client, "/account/two-factor", {"current_password": "not-my-password-at-all", "code": code_at(secret)}
    )
    assert refused.status_code == 400 and "current password is not correct" in soup(refused).get_text()
    assert db.session.get(User, users["auditor"].id).totp_secret is None
    assert [e.details["stage"] for e in events("sign_in_failed")] == ["two_factor"]  # kept despite the 400
    ok = post_form(client, "/account/two-factor", {"current_password": PASSWORD, "code": code_at(secret)})
    assert ok.status_code == 302
    assert db.session.get(User, users["auditor"].id).totp_secret == secret


def test_finding_7_replacing_the_authenticator_needs_the_password_and_a_current_code(client_for, users):
    client = client_for("board_member")
    user = db.session.get(User, users["board_member"].id)
    old = pyotp.random_base32()
    user.totp_secret = old
    db.session.commit()
    other = client_for("board_member")  # another signed-in session of the same user
    new = soup(client.get("/account/two-factor")).select_one(".app-secret").get_text(strip=True)
    no_code = post_form(
        client, "/account/two-factor", {"current_password": PASSWORD, "current_code": "", "code": code_at(new)}
    )
    assert no_code.status_code == 400
    assert db.session.get(User, user.id).totp_secret == old
    ok = post_form(
        client,
        "/account/two-factor",
        {"current_password": PASSWORD, "current_code": code_at(old), "code": code_at(new)},
    )
    assert ok.status_code == 302
    assert db.session.get(User, user.id).totp_secret == new and events("two_factor_replaced")
    assert client.get("/home").status_code == 200 and other.get("/home").status_code == 302


def test_an_admin_can_reset_two_factor_which_is_audited_and_ends_every_session(client_for, users, enrolled):
    signed_in = app_client = client_for("admin")
    coordinator_session = client_for("qa_coordinator")
    response = post_form(
        app_client, f"/admin/users/{enrolled.id}/reset-two-factor", {"reason": "Lost phone; identity checked by phone"}
    )
    assert response.status_code == 302
    assert db.session.get(User, enrolled.id).totp_secret is None
    (reset,) = events("two_factor_reset")
    assert reset.actor_id == users["admin"].id and "Lost phone" in reset.details["reason"]
    assert coordinator_session.get("/home").status_code == 302
    assert signed_in.get("/home").status_code == 200


# 8. One server-side session per sign-in; signing in renews the token.
def test_finding_8_each_sign_in_has_its_own_token_and_a_cookie_from_before_is_worthless(app, users):
    victim = app.test_client()
    sign_in(victim, users["auditor"].email)
    stolen = victim.get_cookie("auditapp_session").value
    post_form(victim, "/sign-out", token_from="/home")
    sign_in(victim, users["auditor"].email)  # the victim's next sign-in
    assert victim.get("/home").status_code == 200
    attacker = app.test_client()
    attacker.set_cookie("auditapp_session", stolen)
    assert attacker.get("/home").status_code == 302
    rows = list(db.session.scalars(select(UserSession).where(UserSession.user_id == users["auditor"].id)))
    assert len(rows) == 2 and len({r.token_hash for r in rows}) == 2
    assert [r.ended_reason for r in rows] == ["signed_out", None]


def test_finding_8_sign_out_ends_only_that_session(app, users):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, users["auditor"].email)
    sign_in(phone, users["auditor"].email)
    post_form(laptop, "/sign-out", token_from="/home")
    assert laptop.get("/home").status_code == 302 and phone.get("/home").status_code == 200


def test_finding_8_a_user_sees_their_sessions_and_can_end_one(app, users):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, users["auditor"].email)
    sign_in(phone, users["auditor"].email)
    page = soup(laptop.get("/account/sessions"))
    rows = page.select("tbody tr")
    assert len(rows) == 2 and len(page.select(".govuk-tag--blue")) == 1  # "This session" once
    phone_row = db.session.scalars(
        select(UserSession).where(UserSession.user_id == users["auditor"].id).order_by(UserSession.id.desc())
    ).first()
    assert post_form(laptop, f"/account/sessions/{phone_row.id}/end", token_from="/account/sessions").status_code == 302
    assert phone.get("/home").status_code == 302 and laptop.get("/home").status_code == 200


def test_finding_8_a_user_cannot_end_someone_elses_session(app, users, client_for):
    victim = app.test_client()
    sign_in(victim, users["admin"].email)
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == users["admin"].id)).one()
    attacker = client_for("auditor")
    assert post_form(attacker, f"/account/sessions/{row.id}/end", token_from="/home").status_code == 404
    assert victim.get("/home").status_code == 200


def test_finding_8_the_database_holds_only_a_hash_of_each_token(app, users):
    client = app.test_client()
    sign_in(client, users["auditor"].email)
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    token = serializer.loads(client.get_cookie("auditapp_session").value)["_user_id"]
    row = db.session.scalars(select(UserSession)).one()
    assert token not in row.token_hash and len(row.token_hash) == 64


# 9. Accounts can be enumerated through the lock-out message.
def test_finding_9_known_and_unknown_accounts_get_the_same_answer_at_every_attempt(app, users):
    known, unknown = app.test_client(), app.test_client()
    for attempt in range(12):
        a = sign_in(known, users["auditor"].email, "wrong-password-xyz")
        b = sign_in(unknown, "nobody-here@example.org", "wrong-password-xyz")
        assert a.status_code == b.status_code, attempt
        assert (
            soup(a).select_one(".govuk-error-summary").get_text()
            == soup(b).select_one(".govuk-error-summary").get_text()
        ), attempt


# 14. The current password on /account/password can be guessed without limit, and failures are not recorded.
def test_finding_14_wrong_current_passwords_are_recorded_and_count_toward_the_lock_out(client_for, users):
    client = client_for("board_member")
    new = "a-brand-new-pass-phrase-for-tests"
    for _ in range(10):
        response = post_form(
            client,
            "/account/password",
            {"current_password": "wrong-guess-123456", "new_password": new, "confirm_password": new},
        )
        assert response.status_code == 400
    failures = [e for e in events("sign_in_failed") if e.details.get("stage") == "change_password"]
    assert len(failures) == 10
    locked = post_form(
        client, "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
    )
    assert locked.status_code == 400 and "too many failed attempts" in soup(locked).get_text()
    assert events("sign_in_refused_locked")
    assert not events("password_changed")


# 15. The session cookie has no __Host- prefix in production.
def test_finding_15_the_production_session_cookie_is_host_prefixed(monkeypatch):
    from config import get_config

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    config = get_config("production")
    assert config.SESSION_COOKIE_NAME == "__Host-auditapp_session" and config.SESSION_COOKIE_SECURE
    from auditapp.app import create_app

    app = create_app(config)
    with app.test_request_context("/", base_url="https://audit.example.org"):
        from flask import session

        session["x"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-auditapp_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


# 17. A password an admin sets never has to be changed.
def test_finding_17_a_password_set_by_an_admin_must_be_changed_at_first_sign_in(app, client_for, users):
    admin = client_for("admin")
    given = "admin-chosen-pass-phrase-91"
    assert post_form(admin, f"/admin/users/{users['auditor'].id}/password", {"password": given}).status_code == 302
    client = app.test_client()
    assert sign_in(client, users["auditor"].email, given).status_code == 302
    home = client.get("/home")
    assert home.status_code == 302 and home.headers["Location"] == "/account/password"
    assert client.get("/audits/1").headers["Location"] == "/account/password"
    mine = "my-own-new-pass-phrase-92"
    same = post_form(
        client, "/account/password", {"current_password": given, "new_password": given, "confirm_password": given}
    )
    assert same.status_code == 400 and "different" in soup(same).get_text()
    assert (
        post_form(
            client, "/account/password", {"current_password": given, "new_password": mine, "confirm_password": mine}
        ).status_code
        == 302
    )
    again = app.test_client()
    assert sign_in(again, users["auditor"].email, mine).status_code == 302
    assert again.get("/home").status_code == 200
    assert events("password_reset_by_admin")


def test_finding_17_a_user_created_by_an_admin_must_change_the_password(app, client_for, org):
    admin = client_for("admin")
    response = post_form(
        admin,
        "/admin/users/new",
        {
            "email": "new.person@example.org",
            "name": "New Person",
            "role": "board_member",
            "password": "initial-pass-phrase-77",
            "active": "y",
        },
    )
    assert response.status_code == 302
    client = app.test_client()
    sign_in(client, "new.person@example.org", "initial-pass-phrase-77")
    assert client.get("/home").headers["Location"] == "/account/password"


# 18. A client-supplied X-Request-ID goes into the trail unchecked.
@pytest.mark.parametrize("supplied", ["attacker-chosen-value", "x" * 5000, "<script>", "AAAAAAAA-BBBB"])
def test_finding_18_a_client_supplied_request_id_is_validated_or_replaced(app, users, supplied):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/sign-in",
        data={"email": users["auditor"].email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Request-ID": supplied},
    )
    (event,) = events("sign_in")
    assert event.request_id != supplied and len(event.request_id) == 36
    assert response.headers["X-Request-ID"] == event.request_id


def test_finding_18_a_proxys_uuid_request_id_is_kept(app, users):
    client = app.test_client()
    token = csrf_token(client)
    rid = "0b7e4c2a-1f3d-4e5a-9b8c-7d6e5f4a3b2c"
    client.post(
        "/sign-in",
        data={"email": users["auditor"].email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Request-ID": rid},
    )
    assert events("sign_in")[0].request_id == rid


# 13. `auditapp demo` runs against a production database.
def test_finding_13_the_demo_refuses_a_database_that_already_has_users(app, users):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "not a demo database" in result.output
    from auditapp.models import User

    assert db.session.scalar(select(User).where(User.email.like("%@demo.auditapp.invalid"))) is None


def test_finding_13_the_demo_refuses_to_run_in_production(app):
    app.config["DEMO_MODE"] = False
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
    finally:
        app.config["DEMO_MODE"], app.config["ENV_NAME"] = True, "test"
    assert result.exit_code != 0 and "AUDITAPP_ENV=production" in result.output


# 10. Nothing throttles the password-hashing work (the parallel tests are in test_concurrency.py).
def test_finding_10_hashing_at_capacity_answers_too_many_requests_and_is_recorded(app, users):
    from auditapp.domain.passwords import hashing

    before = (hashing.concurrency, hashing.wait_seconds)
    hashing.configure(concurrency=1, wait_seconds=0.0)
    try:
        with hashing.slot():  # another request is hashing
            response = sign_in(app.test_client(), users["auditor"].email)
    finally:
        hashing.configure(concurrency=before[0], wait_seconds=before[1])
    assert response.status_code == 429 and "too many attempts" in soup(response).get_text()
    (event,) = events("throttled")
    assert event.details["status"] == 429 and event.details["path"] == "/sign-in"
    assert not events("sign_in")
