"""The identity providers of ``OIDC_PROVIDERS`` (issue 16), parsed and checked once when the app starts.

``OIDC_PROVIDERS`` is a JSON list, one entry per agency's tenant (see docs/single-sign-on.md)::

    [{"name": "northshire-police", "label": "Northshire Police",
      "issuer": "https://login.microsoftonline.com/<tenant-id>/v2.0",
      "client_id": "...", "client_secret": "...", "agency": "Northshire Police",
      "domains": ["northshire.police.uk"], "create_users": false}]

A mistake stops the app with a message naming the entry and what is wrong with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
REQUIRED = ("name", "label", "issuer", "client_id", "client_secret", "agency", "domains")
KNOWN = {*REQUIRED, "create_users", "metadata_url"}


class ProviderConfigError(ValueError):
    """OIDC_PROVIDERS is not a valid list of providers; the message names the entry."""


@dataclass(frozen=True)
class Provider:
    name: str  # URL-safe: /sign-in/sso/<name>
    label: str  # "Northshire Police": the button says "Sign in with your Northshire Police account"
    issuer: str
    client_id: str
    client_secret: str
    agency: str  # the agency's name in auditapp
    domains: tuple[str, ...]  # allowed email domains, lower case
    create_users: bool = False
    metadata_url: str = ""

    def allows_email(self, email: str) -> bool:
        return email.rsplit("@", 1)[-1].lower() in self.domains


def _entry(index: int, raw: object) -> Provider:
    where = f"OIDC_PROVIDERS entry {index + 1}"
    if not isinstance(raw, dict):
        raise ProviderConfigError(f"{where} is not an object")
    if isinstance(raw.get("name"), str):
        where += f" ({raw['name']!r})"
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise ProviderConfigError(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise ProviderConfigError(f"{where} has unknown settings: {', '.join(unknown)}")
    texts = [key for key in (*REQUIRED[:6], "metadata_url") if key in raw and not isinstance(raw[key], str)]
    if texts:
        raise ProviderConfigError(f"{where}: {', '.join(texts)} must be text")
    if not NAME.match(raw["name"]):
        raise ProviderConfigError(f"{where}: name must be 2 to 60 lower-case letters, digits and hyphens")
    issuer = raw["issuer"].rstrip("/")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ProviderConfigError(f"{where}: issuer must be an https:// address")
    domains = raw["domains"]
    if not isinstance(domains, list) or not all(isinstance(d, str) and DOMAIN.match(d.lower()) for d in domains):
        raise ProviderConfigError(f'{where}: domains must be a list of email domains such as "northshire.gov.uk"')
    if not isinstance(raw.get("create_users", False), bool):
        raise ProviderConfigError(f"{where}: create_users must be true or false")
    return Provider(
        name=raw["name"],
        label=raw["label"].strip(),
        issuer=issuer,
        client_id=raw["client_id"],
        client_secret=raw["client_secret"],
        agency=raw["agency"].strip(),
        domains=tuple(d.lower() for d in domains),
        create_users=raw.get("create_users", False),
        metadata_url=raw.get("metadata_url") or issuer + "/.well-known/openid-configuration",
    )


def parse_providers(value: str | list | None) -> list[Provider]:
    """The providers of ``value`` (the JSON text of OIDC_PROVIDERS, or the list itself)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ProviderConfigError(f"OIDC_PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(value, list):
        raise ProviderConfigError("OIDC_PROVIDERS must be a JSON list of providers")
    providers = [_entry(index, raw) for index, raw in enumerate(value)]
    names = [p.name for p in providers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ProviderConfigError(f"OIDC_PROVIDERS names {', '.join(repeated)} more than once")
    return providers
