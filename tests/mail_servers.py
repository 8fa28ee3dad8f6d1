"""Local stand-ins for the two ways a message leaves the service (issue 16), as pytest fixtures.

- ``smtp_server``: an aiosmtpd SMTP server on a free port that keeps what it receives (``.messages``, parsed
  ``email.message.EmailMessage``; ``.raw``, the bytes) and refuses on demand (``.refuse_next(code, words)``).
- ``notify_api``: a small HTTP server that answers ``POST /v2/notifications/email`` as GOV.UK Notify does, after
  checking each request as Notify would: the ``Authorization: Bearer`` JSON Web Token (HS256, signed with the API
  key's secret, ``iss`` = the key's service id, ``iat`` within 30 seconds), a template id it knows, personalisation
  with exactly the expected fields, and none of ``.forbidden`` (a child's data) anywhere in the request. A request
  that fails a check gets Notify's 400/403 answer and is listed in ``.problems``. ``.fail_next(status, error,
  message)`` makes the next request fail as Notify would (a 500, a 429, a 400 "BadRequestError").
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from aiosmtpd.controller import Controller

PERSONALISATION = {"name", "subject", "prompt", "link"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """The aiosmtpd handler: keeps each message; refuses the next ones when told to."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._refusals: list[str] = []
        self.host, self.port = "127.0.0.1", 0

    def refuse_next(self, code: int = 451, words: str = "Try again later") -> None:
        self._refusals.append(f"{code} {words}")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._refusals:
            return self._refusals.pop(0)
        self.raw.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = SmtpServer()
    handler.port = free_port()
    controller = Controller(handler, hostname=handler.host, port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class NotifyApi:
    """What the stand-in knows (its key and templates), what it received and what it found wrong."""

    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    templates: set[str] = field(default_factory=set)  # other template ids it knows
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)  # the JSON body of each accepted request
    problems: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)  # strings that must never reach Notify
    failures: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def api_key(self) -> str:
        return f"auditapp_test-{self.service_id}-{self.secret}"

    def fail_next(self, status: int = 500, error: str = "Exception", message: str = "Internal server error") -> None:
        self.failures.append((status, error, message))

    def check(self, headers: Any, raw: bytes) -> tuple[int, str, str] | None:
        """Notify's answer to a request that is wrong (status, error, message), or None."""
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or not token:
            return 401, "AuthError", "Unauthorized: authentication token must be provided"
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as error:
            return 403, "AuthError", f"Invalid token: {error}"
        if claims["iss"] != self.service_id:
            return 403, "AuthError", "Invalid token: service not found"
        if abs(time.time() - int(claims["iat"])) > 30:
            return 403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
        text = raw.decode("utf-8", errors="replace")
        leaked = [word for word in self.forbidden if word and word in text]
        if leaked:
            return 400, "BadRequestError", f"A child's data reached Notify: {leaked}"
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, "BadRequestError", "Invalid JSON"
        if body.get("template_id") not in {self.template_id, *self.templates}:
            return 400, "BadRequestError", "Template not found"
        if set(body.get("personalisation") or {}) != PERSONALISATION:
            return 400, "BadRequestError", f"Unexpected personalisation: {sorted(body.get('personalisation') or {})}"
        if not body.get("email_address") or "@" not in body["email_address"]:
            return 400, "ValidationError", "email_address Not a valid email address"
        if not body.get("reference"):
            return 400, "BadRequestError", "A reference is expected (the idempotency key)"
        return None

    def answer(self, headers: Any, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/v2/notifications/email":
            return 404, _error(404, "BadRequestError", "Not found")
        wrong = self.check(headers, raw)
        if wrong is not None:
            self.problems.append(f"{wrong[0]} {wrong[1]}: {wrong[2]}")
            return wrong[0], _error(*wrong)
        if self.failures:
            status, error, message = self.failures.pop(0)
            return status, _error(status, error, message)
        body = json.loads(raw)
        self.requests.append(body)
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": body["reference"],
            "content": {"subject": body["personalisation"]["subject"], "body": "", "from_email": "test@notify"},
            "uri": f"{self.base_url}/v2/notifications/{notification_id}",
            "template": {"id": body["template_id"], "version": 1, "uri": f"{self.base_url}/v2/template/x"},
        }


def _error(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


@pytest.fixture
def notify_api() -> Iterator[NotifyApi]:
    api = NotifyApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = api.answer(self.headers, self.path, raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
