"""The identity providers, registered with Authlib's Flask client (issue 16): one OpenID Connect client each.

``init_app`` parses ``OIDC_PROVIDERS`` once (a bad entry stops the app, naming it) and registers each provider with
scope "openid email profile". Authlib keeps each attempt's state data (nonce, redirect URI) through ``AttemptStore``
in the database, not in the cookie, so every callback is accepted once (``domain.sso``). The routes are in
``auth/sso_routes.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from auditapp.auth.sso_config import Provider, parse_providers
from auditapp.domain import sso as sso_domain

EXTENSION = "auditapp_sso"


class ReplayedAttempt(Exception):
    """The attempt was used by another callback between reading it and using it up."""


class AttemptStore:
    """Authlib's ``cache`` (get, set, delete) on the ``sso_attempts`` table: delete marks the attempt used."""

    def get(self, key: str) -> str | None:
        data = sso_domain.load_attempt(key)
        return json.dumps(data) if data is not None else None

    def set(self, key: str, value: str, expires_in: int | None = None) -> None:
        sso_domain.save_attempt(key, json.loads(value), expires_in=expires_in or 600)

    def delete(self, key: str) -> None:
        if not sso_domain.use_attempt(key):
            raise ReplayedAttempt(key)


@dataclass
class Registry:
    providers: dict[str, Provider] = field(default_factory=dict)
    oauth: OAuth | None = None


def tenant(provider: Provider) -> sso_domain.Tenant:
    return sso_domain.Tenant(
        name=provider.name,
        issuer=provider.issuer,
        agency=provider.agency,
        domains=provider.domains,
        create_users=provider.create_users,
    )


def configure(app: Flask, value: str | list[Any] | None) -> Registry:
    """(Re)register the providers of ``value`` (OIDC_PROVIDERS' JSON text or list) on ``app``."""
    providers = parse_providers(value)
    oauth = OAuth(cache=AttemptStore())
    oauth.init_app(app)
    for provider in providers:
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={"scope": "openid email profile"},
        )
    registry = Registry({p.name: p for p in providers}, oauth)
    app.extensions[EXTENSION] = registry
    return registry


def init_app(app: Flask) -> None:
    configure(app, app.config.get("OIDC_PROVIDERS"))
    app.jinja_env.globals["sso_providers"] = providers  # the sign-in page's buttons


def registry() -> Registry:
    found: Registry = current_app.extensions.get(EXTENSION) or Registry()
    return found


def providers() -> list[Provider]:
    return list(registry().providers.values())


def provider(name: str) -> Provider | None:
    return registry().providers.get(name)


def client(name: str) -> Any:
    oauth = registry().oauth
    assert oauth is not None
    return oauth.create_client(name)


def attempt_key(name: str, state: str) -> str:
    """Authlib's key for an attempt's state data (``FrameworkIntegration.set_state_data``)."""
    return f"_state_{name}_{state}"
