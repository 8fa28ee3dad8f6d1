"""Two real OpenID Connect providers for the tests (tests/oidc/provider.mjs on Node, the certified ``oidc-provider``
package): two tenants, "northshire-police" and "northshire-nhs", each on a free port of 127.0.0.1.

``oidc_providers`` (session scope) starts them, waits for their discovery documents and stops them at the end.
``provider_login(response, email, mfa=)`` drives one: from the app's redirect to the provider, through its login
form, to the app's callback URL with the code (the caller then GETs that with the Flask test client).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "auditapp-tests"
CLIENT_SECRET = "a-test-client-secret-of-enough-length"
TENANTS = {
    # name: (label, agency in auditapp, email domains)
    "northshire-police": ("Northshire Police", "Northshire Police", ["police.example.org"]),
    "northshire-nhs": ("Northshire NHS Trust", "Northshire NHS Trust", ["nhs.example.org"]),
}


@dataclass
class RunningProvider:
    name: str
    issuer: str
    process: subprocess.Popen

    def config(self, **overrides) -> dict:
        label, agency, domains = TENANTS[self.name]
        entry = {
            "name": self.name,
            "label": label,
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "agency": agency,
            "domains": domains,
        }
        return {**entry, **overrides}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redirect_uris(base: str, names) -> list[str]:
    return [f"{base}/sign-in/sso/{name}/callback" for name in names]


def start_provider(
    name: str, *, app_base: str, accounts: dict | None = None, any_loopback_port: bool = False
) -> RunningProvider:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        # Both tenants accept both callbacks: a token of one arriving at the other's callback is the app's to refuse.
        "OIDC_REDIRECT_URIS": json.dumps(redirect_uris(app_base, TENANTS)),
        "OIDC_ACCOUNTS": json.dumps(accounts or {}),
        "OIDC_LOOPBACK_ANY_PORT": "1" if any_loopback_port else "",
        "NODE_NO_WARNINGS": "1",
    }
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(SCRIPT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider {name} stopped: {process.stderr.read().decode()[:2000]}")
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                return RunningProvider(name, issuer, process)
        except requests.ConnectionError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"the provider {name} did not answer within 15 seconds")


def stop_provider(provider: RunningProvider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait(timeout=5)


UNVERIFIED = "unverified@police.example.org"


@pytest.fixture(scope="session")
def oidc_providers() -> Iterator[dict[str, RunningProvider]]:
    """The two tenants, for the Flask test client (whose callbacks are on http://localhost)."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.skip("needs Node and `npm install` (the oidc-provider package)")
    running: dict[str, RunningProvider] = {}
    try:
        for name in TENANTS:
            running[name] = start_provider(
                name, app_base="http://localhost", accounts={UNVERIFIED: {"email_verified": False}}
            )
        yield running
    finally:
        for provider in running.values():
            stop_provider(provider)


def provider_login(app_redirect, email: str, *, mfa: bool = False, browser: requests.Session | None = None) -> str:
    """Sign in at the provider the app redirected to; return the app's callback URL (with code and state).

    ``app_redirect`` is the app's answer to /sign-in/sso/<name> (a redirect to the provider's authorisation URL).
    ``browser`` keeps the provider's cookies between calls (a second sign-in at the same provider).
    """
    assert app_redirect.status_code == 302, app_redirect.status_code
    browser = browser or requests.Session()
    url = app_redirect.headers["Location"]
    for _ in range(10):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.status_code in (302, 303):
            url = urljoin(url, answer.headers["Location"])
            if "/sign-in/sso/" in url and "/callback" in url:
                return url
            continue
        assert answer.status_code == 200, answer.text[:500]
        assert 'name="email"' in answer.text, answer.text[:500]
        action = url.split("?")[0].rstrip("/") + "/login"
        form = {"email": email, **({"mfa": "1"} if mfa else {})}
        posted = browser.post(action, data=form, allow_redirects=False, timeout=10)
        assert posted.status_code in (302, 303), posted.text[:500]
        url = urljoin(action, posted.headers["Location"])
    raise AssertionError("the provider never sent the browser back to the app")


def start_for_e2e(*, agency: str, domains: list[str]) -> list[dict]:
    """The browser tests' provider: one tenant, "northshire-police", for ``agency`` (the demo's Northshire Police),
    accepting the live server's callback on whatever port it takes. Stopped when the test process ends. Returns
    the OIDC_PROVIDERS entries (none when Node or the package is missing: the SSO journeys then fail, saying so)."""
    import atexit

    if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        return []
    provider = start_provider("northshire-police", app_base="http://127.0.0.1", any_loopback_port=True)
    atexit.register(stop_provider, provider)
    return [provider.config(agency=agency, domains=domains)]
