"""Single sign-on (issue 16): signing in through an agency's OpenID Connect provider, every refusal, accounts made
at the first sign-in and approved by an admin, password sign-in off per agency, and a fresh sign-in for publishing
and changing roles.

The providers are real (tests/oidc/provider.mjs, the certified ``oidc-provider`` package on Node): the Flask test
client follows the app's redirect to the provider, ``requests`` fills in the provider's login form, and the test
client takes the callback with the code, so Authlib checks a real signed ID token.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import select, update

from auditapp.auth import sso
from auditapp.auth.sso_config import ProviderConfigError, parse_providers
from auditapp.domain import org as org_domain
from auditapp.domain.users import create_user, set_active
from auditapp.extensions import db
from auditapp.models import AgencyKind, AuditEvent, Role, User, UserSession
from auditapp.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, soup
from tests.oidc_provider import UNVERIFIED, oidc_providers, provider_login  # noqa: F401 - the fixture
from tests.test_publishing import complete  # noqa: F401 - a round ready to publish (fixture)

POLICE, NHS = "northshire-police", "northshire-nhs"


@pytest.fixture
def tenants(app, actor, org, oidc_providers):  # noqa: F811 - the fixture imported above
    """The two agencies, their providers registered on the app (the NHS one creates users), and a police officer."""
    police = org_domain.save_agency(agency=None, name="Northshire Police", kind=AgencyKind.POLICE)
    nhs = org_domain.save_agency(agency=None, name="Northshire NHS Trust", kind=AgencyKind.HEALTH)
    officer = create_user(
        email="Sam.Officer@police.example.org",  # matched whatever the case
        name="Sam Officer",
        role=Role.BOARD_MEMBER,
        password=PASSWORD,
        agency_id=police.id,
        must_change_password=False,
    )
    sso.configure(app, [oidc_providers[POLICE].config(), oidc_providers[NHS].config(create_users=True)])
    try:
        yield SimpleNamespace(police=police, nhs=nhs, officer=officer, providers=oidc_providers)
    finally:
        sso.configure(app, app.config["OIDC_PROVIDERS"])


def through_provider(client, name, email, *, mfa=False, browser=None):
    """Sign in at provider ``name`` as ``email``; the app's answer to the callback, and the callback's path."""
    callback = provider_login(client.get(f"/sign-in/sso/{name}"), email, mfa=mfa, browser=browser)
    path = callback.removeprefix("http://localhost")
    return client.get(path), path


def refusal(response) -> str:
    assert response.status_code == 403, response.get_data(as_text=True)[:1000]
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "We could not sign you in"
    return page.select_one("#reason").get_text(strip=True)


def refused_events() -> list[dict]:
    """The provider and reason of each refused sign-in (the trail adds the channel, "web")."""
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso_sign_in_refused"))
    return [{k: v for k, v in e.details.items() if k != "channel"} for e in rows]


def session_of(user) -> UserSession:
    return db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())
    ).first()


# -- signing in ---------------------------------------------------------------------------------------------------


def test_the_sign_in_page_has_a_button_per_provider_above_the_password_form(app, tenants):
    page = soup(app.test_client().get("/sign-in"))
    buttons = [a.get_text(strip=True) for a in page.select("a.govuk-button")]
    assert buttons == ["Sign in with your Northshire Police account", "Sign in with your Northshire NHS Trust account"]
    assert page.select_one("input[name=password]") is not None


def test_an_officer_signs_in_with_mfa_at_the_provider_and_is_not_asked_for_a_code(app, tenants, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    client = app.test_client()
    response, _ = through_provider(client, POLICE, "sam.officer@police.example.org", mfa=True)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert "Sam Officer" in client.get("/home").get_data(as_text=True)
    row = session_of(tenants.officer)
    assert (row.method, row.provider, row.second_factor) == ("sso", POLICE, True) and "mfa" in row.amr
    officer = db.session.get(User, tenants.officer.id)
    assert officer.sso_issuer == tenants.providers[POLICE].issuer and officer.sso_subject


def test_without_mfa_the_security_code_step_follows_where_it_is_required(app, tenants, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    tenants.officer.totp_secret = pyotp.random_base32()
    db.session.flush()
    client = app.test_client()
    response, _ = through_provider(client, POLICE, "sam.officer@police.example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/security-code"
    assert client.get("/home").status_code == 302  # not signed in yet
    code = pyotp.TOTP(tenants.officer.totp_secret).now()
    done = post_form(client, "/sign-in/security-code", {"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/home"
    row = session_of(tenants.officer)
    assert (row.method, row.provider, row.amr, row.second_factor) == ("sso", POLICE, ["pwd"], True)


# -- refusals -----------------------------------------------------------------------------------------------------


def test_a_token_from_the_other_tenant_is_refused(app, tenants):
    response, _ = through_provider(app.test_client(), NHS, "sam.officer@police.example.org", mfa=True)
    assert "belongs to another organisation" in refusal(response)
    assert refused_events()[-1] == {"provider": NHS, "reason": "wrong_tenant"}


def test_a_user_of_another_agency_is_refused_as_the_wrong_tenant(app, tenants):
    create_user(
        email="nurse@police.example.org",  # a police address, but the account is the NHS trust's
        name="Misfiled Nurse",
        role=Role.BOARD_MEMBER,
        password=PASSWORD,
        agency_id=tenants.nhs.id,
        must_change_password=False,
    )
    response, _ = through_provider(app.test_client(), POLICE, "nurse@police.example.org")
    assert "belongs to another organisation" in refusal(response)
    assert refused_events()[-1]["reason"] == "wrong_tenant"


def test_an_unknown_user_is_refused_where_the_provider_does_not_create_users(app, tenants):
    response, _ = through_provider(app.test_client(), POLICE, "stranger@police.example.org")
    assert "no auditapp account for your email address" in refusal(response)
    assert refused_events()[-1] == {"provider": POLICE, "reason": "unknown_user"}
    assert db.session.scalar(select(User).where(User.email == "stranger@police.example.org")) is None


def test_a_deactivated_user_is_refused(app, tenants):
    set_active(tenants.officer, active=False)
    response, _ = through_provider(app.test_client(), POLICE, "sam.officer@police.example.org")
    assert "has been deactivated" in refusal(response)


def test_an_unverified_email_is_refused(app, tenants):
    response, _ = through_provider(app.test_client(), POLICE, UNVERIFIED)
    assert "has not confirmed your email address" in refusal(response)
    assert refused_events()[-1]["reason"] == "email_unverified"


def test_a_replayed_callback_with_the_old_cookie_is_refused(app, tenants):
    client = app.test_client()
    callback = provider_login(client.get(f"/sign-in/sso/{POLICE}"), "sam.officer@police.example.org")
    old_cookie = client.get_cookie("auditapp_session").value
    path = callback.removeprefix("http://localhost")
    assert client.get(path).status_code == 302  # signed in
    replay = app.test_client()
    replay.set_cookie("auditapp_session", old_cookie)
    assert "already been used" in refusal(replay.get(path))
    assert refused_events()[-1] == {"provider": POLICE, "reason": "replayed_state"}
    assert replay.get("/home").status_code == 302  # still signed out


def test_a_nonce_that_has_signed_in_before_is_refused(app, tenants, monkeypatch):
    from authlib.integrations.base_client import sync_app

    monkeypatch.setattr(sync_app, "generate_token", lambda length=30: "the-same-nonce-every-time")
    first, _ = through_provider(app.test_client(), POLICE, "sam.officer@police.example.org")
    assert first.status_code == 302
    second, _ = through_provider(app.test_client(), POLICE, "sam.officer@police.example.org")
    assert "already been used" in refusal(second)
    assert refused_events()[-1]["reason"] == "replayed_nonce"


def test_a_callback_not_started_in_this_browser_is_refused(app, tenants):
    client = app.test_client()
    callback = provider_login(client.get(f"/sign-in/sso/{POLICE}"), "sam.officer@police.example.org")
    stranger = app.test_client()  # the attacker's browser, with the victim's code and state
    assert "not started in this browser" in refusal(stranger.get(callback.removeprefix("http://localhost")))


def test_an_account_bound_to_another_identity_is_refused(app, tenants):
    tenants.officer.sso_issuer, tenants.officer.sso_subject = tenants.providers[POLICE].issuer, "someone-else"
    db.session.flush()
    response, _ = through_provider(app.test_client(), POLICE, "sam.officer@police.example.org")
    assert "linked to a different account" in refusal(response)


def test_refusal_events_never_hold_a_token(app, tenants):
    through_provider(app.test_client(), NHS, "sam.officer@police.example.org")
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso_sign_in_refused")).all()
    assert rows and all(set(row.details) == {"provider", "reason", "channel"} for row in rows)


# -- accounts made at the first sign-in ----------------------------------------------------------------------------


def test_a_new_user_waits_for_an_admin_to_approve_them(app, tenants, client_for):
    client = app.test_client()
    response, _ = through_provider(client, NHS, "new.nurse@nhs.example.org", mfa=True)
    assert response.status_code == 200
    assert "An administrator must approve the account" in soup(response).get_text()
    made = db.session.scalar(select(User).where(User.email == "new.nurse@nhs.example.org"))
    assert (made.active, made.pending_approval, made.role, made.agency_id) == (
        False,
        True,
        Role.ACTION_OWNER,
        tenants.nhs.id,
    )
    again, _ = through_provider(app.test_client(), NHS, "new.nurse@nhs.example.org", mfa=True)
    assert "waiting for an administrator to approve it" in refusal(again)

    admin = client_for("admin")
    page = soup(admin.get("/admin/users"))
    row = next(tr for tr in page.select("tr") if "new.nurse@nhs.example.org" in tr.get_text())
    assert "Waiting for approval" in row.get_text() and row.select_one("button").get_text(strip=True).startswith(
        "Approve"
    )
    assert admin.post(f"/admin/users/{made.id}/approve").status_code == 400  # no CSRF token: nothing changes
    assert db.session.get(User, made.id).pending_approval
    approved = post_form(admin, f"/admin/users/{made.id}/approve", token_from="/admin/users")
    assert approved.status_code == 302 and "approved" in soup(admin.get("/admin/users")).get_text()
    assert (
        db.session.get(User, made.id).active
        and db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_approved")).first()
    )
    signed_in, _ = through_provider(app.test_client(), NHS, "new.nurse@nhs.example.org", mfa=True)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/home"


# -- password sign-in off ------------------------------------------------------------------------------------------


def test_password_sign_in_off_for_an_agency_refuses_after_the_password(app, tenants):
    tenants.police.password_sign_in = False
    db.session.flush()
    client = app.test_client()
    response = sign_in(client, tenants.officer.email)
    assert response.status_code == 403
    page = soup(response)
    assert page.select_one("#password-off").get_text(strip=True) == (
        "Staff of Northshire Police sign in with their organisation's account"
    )
    assert "Sign in with your Northshire Police account" in page.get_text()
    assert client.get("/home").status_code == 302
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_refused_password_off")).first()
    wrong = sign_in(app.test_client(), tenants.officer.email, "not-the-password")
    assert wrong.status_code == 200 and "password-off" not in wrong.get_data(as_text=True)  # nothing revealed


# -- a fresh sign-in ------------------------------------------------------------------------------------------------


def _age_sign_in(user, minutes=6):
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(signed_in_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.flush()
    db.session.expire_all()


def test_publishing_six_minutes_after_signing_in_asks_for_the_password_first(app, client_for, users, complete):  # noqa: F811
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{complete.id}/publish"
    _age_sign_in(users["qa_coordinator"])
    stale = post_form(coordinator, url)
    assert stale.status_code == 302 and stale.headers["Location"] == f"/sign-in/confirm?next={url}"
    page = soup(coordinator.get(stale.headers["Location"]))
    assert page.select_one("h1").get_text(strip=True) == "Confirm who you are"
    assert coordinator.post(stale.headers["Location"], data={"password": PASSWORD}).status_code == 400  # no CSRF
    wrong = post_form(coordinator, stale.headers["Location"], {"password": "wrong"})
    assert wrong.status_code == 200 and "not correct" in soup(wrong).get_text()
    confirmed = post_form(coordinator, stale.headers["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == url
    assert session_of(users["qa_coordinator"]).reauthenticated_at is not None
    published = post_form(coordinator, url)
    assert published.status_code == 302 and "/jobs/" in published.headers["Location"]


def test_a_role_change_by_an_sso_admin_goes_back_to_the_provider_first(app, tenants, users):
    admin_user = create_user(
        email="chief@police.example.org",
        name="Chief Admin",
        role=Role.ADMIN,
        password=PASSWORD,
        agency_id=tenants.police.id,
        must_change_password=False,
    )
    client, browser = app.test_client(), None
    import requests

    browser = requests.Session()
    signed_in, _ = through_provider(client, POLICE, "chief@police.example.org", mfa=True, browser=browser)
    assert signed_in.status_code == 302
    board = users["board_member"]
    form = {"name": board.name, "email": board.email, "role": "qa_coordinator", "active": "y"}
    _age_sign_in(admin_user)
    stale = post_form(client, f"/admin/users/{board.id}", form)
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/sign-in/confirm")
    assert db.session.get(User, board.id).role == Role.BOARD_MEMBER
    to_provider = client.get(stale.headers["Location"])
    assert "prompt=login" in to_provider.headers["Location"] and "max_age=0" in to_provider.headers["Location"]
    callback = provider_login(to_provider, "chief@police.example.org", mfa=True, browser=browser)
    back = client.get(callback.removeprefix("http://localhost"))
    assert back.status_code == 302 and back.headers["Location"] == f"/admin/users/{board.id}"
    assert session_of(admin_user).reauthenticated_at is not None
    changed = post_form(client, f"/admin/users/{board.id}", form)
    assert changed.status_code == 302 and db.session.get(User, board.id).role == Role.QA_COORDINATOR


def test_a_fresh_sign_in_as_someone_else_is_refused(app, tenants, users):
    create_user(
        email="chief@police.example.org",
        name="Chief Admin",
        role=Role.ADMIN,
        password=PASSWORD,
        agency_id=tenants.police.id,
        must_change_password=False,
    )
    client = app.test_client()
    assert through_provider(client, POLICE, "chief@police.example.org", mfa=True)[0].status_code == 302
    _age_sign_in(db.session.scalar(select(User).where(User.email == "chief@police.example.org")))
    to_provider = client.get("/sign-in/confirm?next=/admin/users")
    callback = provider_login(to_provider, "sam.officer@police.example.org", mfa=True)
    assert "as a different person" in refusal(client.get(callback.removeprefix("http://localhost")))


def test_a_fresh_sign_in_is_not_asked_for_a_change_that_keeps_the_role(client_for, users):
    admin = client_for("admin")
    _age_sign_in(users["admin"])
    board = users["board_member"]
    response = post_form(
        admin,
        f"/admin/users/{board.id}",
        {"name": "New Name", "email": board.email, "role": "board_member", "active": "y"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"


def test_creating_an_admin_needs_a_fresh_sign_in(client_for, users):
    admin = client_for("admin")
    _age_sign_in(users["admin"])
    form = {"name": "Second Admin", "email": "second@example.org", "role": "admin", "password": PASSWORD + "x"}
    response = post_form(admin, "/admin/users/new", form)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/confirm")
    assert db.session.scalar(select(User).where(User.email == "second@example.org")) is None


# -- the configuration -------------------------------------------------------------------------------------------


GOOD = {
    "name": "northshire-police",
    "label": "Northshire Police",
    "issuer": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
    "client_id": "id",
    "client_secret": "secret",
    "agency": "Northshire Police",
    "domains": ["northshire.police.uk"],
}


def test_providers_are_parsed_with_their_defaults():
    (provider,) = parse_providers([GOOD])
    assert provider.create_users is False
    assert provider.metadata_url == GOOD["issuer"] + "/.well-known/openid-configuration"
    assert provider.allows_email("A.Person@Northshire.Police.UK")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**GOOD, "name": "Not URL safe!"}, "entry 1 ('Not URL safe!'): name must be"),
        ({k: v for k, v in GOOD.items() if k != "issuer"}, "entry 1 ('northshire-police') is missing issuer"),
        ({**GOOD, "domains": "northshire.police.uk"}, "domains must be a list"),
        ({**GOOD, "issuer": "http://evil.example"}, "issuer must be an https:// address"),
        ({**GOOD, "create_user": True}, "unknown settings: create_user"),
    ],
)
def test_a_bad_provider_entry_stops_the_app_naming_it(entry, message):
    with pytest.raises(ProviderConfigError, match=None) as raised:
        parse_providers([entry])
    assert message in str(raised.value)


def test_a_bad_oidc_providers_setting_stops_the_app_at_start():
    from auditapp.app import create_app
    from config import TestConfig

    config = TestConfig()
    config.OIDC_PROVIDERS = '[{"name": "x"'
    with pytest.raises(ProviderConfigError, match="not valid JSON"):
        create_app(config)


def test_the_csrf_token_is_required_on_the_confirm_page(client_for):
    client = client_for("qa_coordinator")
    assert client.post("/sign-in/confirm", data={"password": PASSWORD}).status_code == 400
    assert csrf_token(client, "/sign-in/confirm")


def test_a_provider_that_does_not_answer_gets_a_page_saying_so(app, tenants):
    from tests.oidc_provider import _free_port

    down = {**tenants.providers[POLICE].config(), "issuer": f"http://127.0.0.1:{_free_port()}"}
    sso.configure(app, [down])
    response = app.test_client().get(f"/sign-in/sso/{POLICE}")
    assert response.status_code == 503
    assert "sign-in service is not answering" in soup(response).select_one("#reason").get_text()
