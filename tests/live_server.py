"""A real server for the tests that need parallel requests: gunicorn (gthread) over a database of its own.

On the suite's database kind: a SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set. The
server runs the development configuration (so production-cost password hashing), with settings from ``env``.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "correct-horse-battery-staple-42"
SECRET_KEY = "live-server-test-secret-key-0123456789abcdef"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

SETUP = """
from auditapp.app import create_app
from auditapp.domain.context import acting_as, cli_actor
from auditapp.extensions import db
from auditapp.extensions import upgrade_database
from tests.factories import make_org, make_users

app = create_app()
with app.app_context(), acting_as(cli_actor()):
    upgrade_database(app)
    make_users(make_org())
    db.session.commit()
"""


@contextmanager
def database(tmp_path) -> Iterator[str]:
    """A database URL for a live server, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/live.db"
        return
    from tests.conftest import _postgres_database

    url, drop = _postgres_database(base)
    try:
        yield url
    finally:
        drop()


def _copy_sqlite(source: str, target: str) -> None:
    """Copy a SQLite database with its own backup API (whatever its journal mode), closing both connections."""
    import sqlite3

    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@contextmanager
def prepared_database(tmp_path) -> Iterator[str]:
    """A database migrated and holding the test users, made once (``SETUP``, as ``gunicorn`` would), to be copied
    for each test with ``copy_of``: the same start as migrating and adding the users again, without the cost."""
    with database(tmp_path) as url:
        subprocess.run([sys.executable, "-c", SETUP], env=_environ(url, {}), cwd=ROOT, check=True, capture_output=True)
        yield url


@contextmanager
def copy_of(template: str, tmp_path) -> Iterator[str]:
    """A database of the test's own, a copy of ``template`` (``prepared_database``), dropped afterwards."""
    if not template.startswith("postgresql"):
        target = f"{tmp_path}/live.db"
        _copy_sqlite(template.removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import pg_conninfo

    source = make_url(template)
    name = f"auditapp_test_{uuid.uuid4().hex[:10]}"
    conninfo = pg_conninfo(template, "postgres")
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environ(url: str, env: dict[str, str]) -> dict[str, str]:
    environ = {
        **os.environ,
        "AUDITAPP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "TOTP_REQUIRED": "0",
        "PYTHONPATH": ROOT,
        **env,
    }
    environ.pop("TEST_DATABASE_URL", None)
    return environ


@contextmanager
def gunicorn(url: str, *, prepared: bool = False, **env: str) -> Iterator[str]:
    """Migrate ``url`` and add the test users (unless it is ``prepared``: a ``copy_of`` a ``prepared_database``),
    serve it; yields the base URL."""
    environ = _environ(url, env)
    if not prepared:
        subprocess.run([sys.executable, "-c", SETUP], env=environ, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "40",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)  # noqa: S310 - loopback only
                break
            except (urllib.error.URLError, OSError):  # not listening yet, or still importing the app
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode()[-3000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server.stderr.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    body: str
    location: str | None


class Browser:
    """One cookie jar, like a browser tab; redirects are not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, path: str, data: dict | None = None, *, body: bytes | None = None, content_type: str | None = None
    ) -> Answer:
        payload = body if body is not None else (urllib.parse.urlencode(data).encode() if data is not None else None)
        req = urllib.request.Request(self.base + path, data=payload)  # noqa: S310 - loopback only
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=120) as response:
                return Answer(response.status, response.read().decode(), response.headers.get("Location"))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.headers.get("Location"))

    def token(self, path: str) -> str:
        found = CSRF.search(self.request(path).body)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD, *, token: str | None = None) -> Answer:
        return self.request(
            "/sign-in", {"email": email, "password": password, "csrf_token": token or self.token("/sign-in")}
        )


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: text/csv\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
