"""The fault harness's HTTP client: one session cookie, CSRF tokens read from forms, redirects never followed.

Standard library only (``http.client``), one connection per request (gunicorn's sync workers close it anyway). A
request that cannot be sent or whose answer never arrives raises ``ServerDown``: its outcome is unknown.
"""

from __future__ import annotations

import http.client
import re
import secrets
from http.cookies import SimpleCookie
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="([^"]*)"')
DOWN_ERRORS = (http.client.HTTPException, OSError)  # refused, reset, timed out, cut off mid-answer


class ServerDown(Exception):
    """The request failed at the connection. ``sent``: it may have reached the server (refused: it did not)."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class Response(NamedTuple):
    status: int
    location: str  # the redirect's path ("" when not a redirect)
    body: str

    @property
    def redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308)


class Client:
    """A browser-like session against ``127.0.0.1:port``: keeps the cookies the server sets."""

    def __init__(self, port: int, *, timeout: float = 120.0) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        request_id: str | None = None,
    ) -> Response:
        """Send one request; raise ServerDown when the connection fails before a whole answer is read."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body: bytes | None = None
        if files is not None:
            body, headers["Content-Type"] = _multipart(form or {}, files)
        elif form is not None:
            body, headers["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if request_id:
            headers["X-Request-ID"] = request_id
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except DOWN_ERRORS as error:
            raise ServerDown(
                f"{method} {path}: {type(error).__name__}: {error}", sent=not isinstance(error, ConnectionRefusedError)
            ) from None
        finally:
            connection.close()
        self._keep_cookies(answer.headers.get_all("Set-Cookie") or [])
        return Response(answer.status, urlsplit(answer.headers.get("Location") or "").path, text)

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970")
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def form_page(self, path: str) -> tuple[Response, str]:
        """GET a page with a form; return it and its CSRF token (raise RuntimeError when there is none)."""
        page = self.request("GET", path)
        found = CSRF.search(page.body)
        if page.status != 200 or not found:
            raise RuntimeError(f"GET {path}: {page.status} without a form (location {page.location!r})")
        return page, found.group(1)

    def sign_in(self, email: str, password: str) -> None:
        self.cookies.clear()
        _, token = self.form_page("/sign-in")
        answer = self.request("POST", "/sign-in", form={"email": email, "password": password, "csrf_token": token})
        if answer.status != 302 or answer.location.startswith("/sign-in"):
            raise RuntimeError(f"signing in as {email} failed: {answer.status} -> {answer.location!r}")


def version_of(page: Response) -> str:
    found = VERSION.search(page.body)
    if not found:
        raise RuntimeError("the form has no version field")
    return found.group(1)


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "faults" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
