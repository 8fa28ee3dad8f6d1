"""Signing in through an agency's identity provider (issue 16): the redirect there, and the callback here.

``/sign-in/sso/<name>`` sends the browser to the provider (state and nonce: Authlib's, kept server-side by
``auth.sso.AttemptStore``); ``/sign-in/sso/<name>/callback`` checks the answer (Authlib: signature, issuer,
audience, expiry, nonce; ``domain.sso``: replay, email, tenant, the user) and signs in, or answers 403 with "We could
not sign you in" and the reason in words. A second factor at the provider (``amr``) stands for the security code;
without one, the usual security-code step follows where it is required. The same callback finishes a fresh
sign-in (``auth.sso_confirm``), which must return the signed-in user's own identity.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError

from auditapp.auth import sso
from auditapp.auth.blueprint import bp
from auditapp.auth.routes import safe_next
from auditapp.auth.sso_config import Provider
from auditapp.domain import sso as sso_domain
from auditapp.domain.user_sessions import Method, reauthenticated
from auditapp.security.access import public
from auditapp.security.sessions import begin_pending, current_session
from auditapp.security.sessions import sign_in as start_signed_in_session

log = logging.getLogger(__name__)
REAUTH = "sso_reauthenticate"  # the session key of a fresh sign-in under way: {"provider": ..., "next": ...}
NEXT = "sso_next"


def _provider_or_404(name: str) -> Provider:
    found = sso.provider(name)
    if found is None:
        abort(404)
    return found


def _callback_url(provider: Provider) -> str:
    return url_for("auth.sso_callback", name=provider.name, _external=True)


def redirect_to_provider(provider: Provider, *, fresh: bool = False) -> Any:
    """The redirect to ``provider``'s sign-in page; ``fresh`` asks it to sign the user in again, whatever it knows.

    A provider that does not answer (its discovery document, to find the sign-in page) gets a page saying so (503).
    """
    extra = {"prompt": "login", "max_age": 0} if fresh else {}
    try:
        return sso.client(provider.name).authorize_redirect(_callback_url(provider), **extra)
    except requests.RequestException as error:
        log.warning("sso %s: the provider did not answer (%s)", provider.name, type(error).__name__)
        page = render_template(
            "auth/sso_refused.html", provider=provider, reason=sso_domain.REASONS["provider_unreachable"]
        )
        return page, 503


def refused_page(provider: Provider, outcome: sso_domain.Outcome) -> tuple[str, int]:
    return render_template("auth/sso_refused.html", provider=provider, reason=outcome.message, answered=True), 403


@bp.route("/sign-in/sso/<name>")
@public
def sso_start(name: str):
    provider = _provider_or_404(name)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session.pop(REAUTH, None)
    next_url = safe_next(request.args.get("next"))
    if next_url:
        session[NEXT] = next_url
    return redirect_to_provider(provider)


def _claims(provider: Provider, key: str) -> tuple[dict[str, Any] | None, sso_domain.Outcome | None]:
    """The verified ID token's claims, or the refusal (replayed, not started here, the provider's error)."""
    status = sso_domain.attempt_status(key)
    if status == "used":
        return None, sso_domain.refuse(provider.name, "replayed_state")
    if status != "open" or request.args.get("error"):
        return None, sso_domain.refuse(provider.name, "not_started_here" if status != "open" else "provider_error")
    try:
        token = sso.client(provider.name).authorize_access_token()
    except sso.ReplayedAttempt:
        return None, sso_domain.refuse(provider.name, "replayed_state")
    except OAuthError as error:  # a mismatching state (another browser's cookie), or the provider's refusal
        reason = "not_started_here" if error.error == "mismatching_state" else "provider_error"
        log.info("sso %s: %s", provider.name, error.error)  # the error code only: never a token
        return None, sso_domain.refuse(provider.name, reason, key=key)
    except requests.RequestException as error:  # the provider did not answer the token request
        log.warning("sso %s: the provider did not answer (%s)", provider.name, type(error).__name__)
        return None, sso_domain.refuse(provider.name, "provider_unreachable", key=key)
    except (JoseError, ValueError) as error:  # bad signature, issuer, audience, expiry or nonce
        log.info("sso %s: the ID token was refused (%s)", provider.name, type(error).__name__)
        return None, sso_domain.refuse(provider.name, "provider_error", key=key)
    claims = dict(token.get("userinfo") or {})
    if not claims or claims.get("iss") != provider.issuer:
        return None, sso_domain.refuse(provider.name, "provider_error", key=key)
    if sso_domain.nonce_used_before(claims.get("nonce"), key):
        return None, sso_domain.refuse(provider.name, "replayed_nonce", key=key)
    return claims, None


@bp.route("/sign-in/sso/<name>/callback")
@public
def sso_callback(name: str):
    provider = _provider_or_404(name)
    key = sso.attempt_key(provider.name, request.args.get("state", "")[:200])
    claims, refusal = _claims(provider, key)
    if refusal is not None or claims is None:
        return refused_page(provider, refusal or sso_domain.Outcome(reason="provider_error"))
    amr = [str(value) for value in claims.get("amr") or []][:10]
    reauth = session.pop(REAUTH, None)
    if current_user.is_authenticated:
        return _finish_fresh(provider, claims, reauth)
    outcome = sso_domain.match(sso.tenant(provider), claims, key=key)
    if outcome.created is not None:
        return render_template("auth/sso_pending.html", provider=provider)
    if outcome.user is None:
        return refused_page(provider, outcome)
    user, method = outcome.user, Method("sso", provider.name, amr)
    next_url = safe_next(session.pop(NEXT, None))
    if not sso_domain.second_factor_used(amr) and (user.totp_secret or current_app.config["TOTP_REQUIRED"]):
        begin_pending(user, next_url=next_url, method=method)
        return redirect(url_for("auth.two_factor" if user.totp_secret else "auth.two_factor_setup"))
    start_signed_in_session(user, second_factor=sso_domain.second_factor_used(amr), method=method)
    return redirect(next_url or url_for("main.home"))


def _finish_fresh(provider: Provider, claims: dict[str, Any], reauth: dict | None):
    """The provider confirmed who the signed-in user is: their sign-in is fresh again."""
    row = current_session()
    if not reauth or reauth.get("provider") != provider.name or row is None or row.provider != provider.name:
        return redirect(url_for("main.home"))
    user = current_user._get_current_object()
    key = sso.attempt_key(provider.name, request.args.get("state", "")[:200])
    outcome = sso_domain.confirm_same_person(sso.tenant(provider), claims, user, key=key)
    if outcome.user is None:
        return refused_page(provider, outcome)
    reauthenticated(row, how="sso")
    flash("You have confirmed who you are. You can now continue.")
    return redirect(safe_next(reauth.get("next")) or url_for("main.home"))
