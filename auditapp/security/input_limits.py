"""Limits on what a request may carry, so that crafted input is answered 4xx and never 500.

- Every ``<int:...>`` URL argument is bounded to the range of the database's id columns. They are INTEGER: 32-bit
  signed on PostgreSQL (SQLite holds 64 bits). An unbounded id reaches the database, which cannot represent it and
  fails (on PostgreSQL from 2^31, on SQLite from 2^63): a 500. A bounded one that is too large simply does not
  match the route: a 404.
- The Host header must be a host name or IP address (with an optional port) of at most 255 characters. Werkzeug
  cannot build URLs for a longer or malformed one (a DNS label over 63 characters, an empty label), so Flask's
  own error page would fail and send a bare 500 without the security headers. Such a request is answered 400,
  with the headers every response carries, before the application sees it. So is a host not in
  ``TRUSTED_HOSTS`` when that is set, for the same reason.

In production the proxy and gunicorn refuse oversized request lines and headers first (docs/operations.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from werkzeug.routing import IntegerConverter, Map
from werkzeug.sansio.utils import host_is_trusted

from auditapp.security.headers import set_security_headers

# Every id (and the tool version) is an INTEGER column: PostgreSQL's 32-bit range, the narrower of the two databases.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
MAX_HOST_LENGTH = 255

# A host name (labels of letters, digits, hyphens and underscores, as container names use), an IPv4 address (the
# same characters) or a bracketed IPv6 address; then an optional port.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9_.-]+\.?|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?", re.ASCII)


def _clamp(value: int) -> int:
    return sorted((DB_INT_MIN, value, DB_INT_MAX))[1]


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded to the id columns' range unless a route narrows it further."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=DB_INT_MIN if min is None else _clamp(min),
            max=DB_INT_MAX if max is None else _clamp(max),
            signed=signed,
        )


def valid_host(value: str) -> bool:
    """Whether ``value`` (a Host header) is a host name or IP address with an optional port, of sane length."""
    if not value or len(value) > MAX_HOST_LENGTH:
        return False
    found = _HOST.fullmatch(value)
    if found is None:
        return False
    port = found.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        return False
    name = found.group("name")
    if name.startswith("["):
        return True
    labels = name.removesuffix(".").split(".")
    return all(0 < len(label) <= 63 for label in labels)


class HostHeaderGuard:
    """WSGI middleware: answer 400 (with the security headers) to a request whose Host cannot be served."""

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def _hosts(self, environ: dict[str, Any]) -> Iterable[str]:
        if "HTTP_HOST" in environ:
            yield environ["HTTP_HOST"]
        if self.app.config.get("TRUST_PROXY") and "HTTP_X_FORWARDED_HOST" in environ:
            # ProxyFix takes the last value; check every one, so no hop's value reaches werkzeug unchecked.
            yield from (part.strip() for part in environ["HTTP_X_FORWARDED_HOST"].split(","))

    def refused(self, environ: dict[str, Any]) -> bool:
        trusted = self.app.config.get("TRUSTED_HOSTS")
        for host in self._hosts(environ):
            if not valid_host(host):
                return True
            if trusted and not host_is_trusted(host.lower(), trusted):
                return True
        return False

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not self.refused(environ):
            return self.wsgi_app(environ, start_response)
        response = Response(
            "Bad request: the Host header is not valid for this service.\n", status=400, mimetype="text/plain"
        )
        # A request context for set_security_headers (the nonce lives in g). Flask records the bad host as the
        # request's routing error instead of raising it; no view, before- or after-request hook or template runs
        # (only the teardown hooks, when the context ends) and nothing touches the database.
        with self.app.request_context(environ):
            set_security_headers(response)
        return response(environ, start_response)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: a converter applies only to routes added after it."""
    unbounded = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if any(
            isinstance(c, IntegerConverter) and not isinstance(c, BoundedIntegerConverter)
            for c in rule._converters.values()
        )
    ]
    if unbounded:
        raise RuntimeError(f"input_limits.init_app must run before these routes are added: {unbounded}")
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.wsgi_app = HostHeaderGuard(app.wsgi_app, app)  # type: ignore[method-assign]
