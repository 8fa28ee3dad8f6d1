"""Test fixtures: one app per session, schema built by running the migrations, each test in a transaction
rolled back at the end. Set TEST_DATABASE_URL=postgresql+psycopg://... to run the same suite on PostgreSQL: a
fresh database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import scoped_session, sessionmaker

from auditapp.domain.context import ActorContext, acting_as
from auditapp.extensions import db
from config import TestConfig

PASSWORD = "correct-horse-battery-staple-42"
E2E = Path(__file__).resolve().parent / "e2e"


def _under_e2e(path: Path) -> bool:
    return path == E2E or E2E in path.parents


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (in addopts) starts no workers when only the browser journeys run (``make e2e``): they share one
    live server and its data, in order, and print their accessibility summary from this process."""
    paths = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    return 0 if paths and all(_under_e2e(path) for path in paths) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser journeys have no per-test ceiling (``--fail-slow`` in addopts is for this suite's tests)."""
    for item in items:
        if _under_e2e(Path(str(item.path))):
            item.add_marker(pytest.mark.fail_slow(0, enabled=False))


def pg_conninfo(base_url: str, database: str | None = None) -> dict:
    """psycopg connection arguments for the server of ``base_url`` (its own database unless another is named)."""
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    return dict(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname=database or url.database or "postgres",
    )


def _postgres_database(base_url: str) -> tuple[str, callable]:
    """Create a throwaway database on the server of ``base_url``; return its URL and a dropper."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"auditapp_test_{uuid.uuid4().hex[:10]}"
    conninfo = pg_conninfo(base_url)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    from auditapp.app import create_app
    from auditapp.extensions import upgrade_database

    config = TestConfig()
    drop = None
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        config.SQLALCHEMY_DATABASE_URI, drop = _postgres_database(base)
    app = create_app(config)
    with app.app_context():
        upgrade_database(app)  # the schema comes from the migrations, never create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@contextmanager
def rolled_back_connection(app: Flask) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back (and the connection closed) at the end."""
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@contextmanager
def savepoint(connection: Connection) -> Iterator[Connection]:
    """A SAVEPOINT on ``connection``, rolled back at the end: what ran inside leaves no trace on the connection."""
    nested = connection.begin_nested()
    try:
        yield connection
    finally:
        if nested.is_active:
            nested.rollback()


@contextmanager
def bound_session(connection: Connection) -> Iterator[None]:
    """``db.session`` swapped for a scoped session on ``connection`` whose commits are savepoints."""
    original = db.session
    # A plain sessionmaker: Flask-SQLAlchemy's own Session would pick the engine, not this connection.
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture
def _connection(app: Flask) -> Iterator[Connection]:
    """The connection of the test's session: in an outer transaction rolled back after the test.

    A module whose tests only read data loaded once for the module overrides this fixture with a SAVEPOINT on the
    module's own rolled-back connection (see ``rolled_back_connection`` and ``savepoint``; tests/test_demo_audits.py).
    """
    with rolled_back_connection(app) as connection:
        yield connection


@pytest.fixture(autouse=True)
def _transaction(_connection: Connection) -> Iterator[None]:
    """Run each test inside an outer transaction that is rolled back; the app's commits become savepoints.

    No app context stays pushed during the test: Flask would reuse it for every test-client request, and ``g``
    (where Flask-Login caches the user) would leak from one request to the next.
    """
    with bound_session(_connection):
        yield


@pytest.fixture(autouse=True)
def _password_hashing() -> Iterator[None]:
    """Put back the process's argon2 parameters and hashing slots after each test.

    ``create_app`` sets them for the whole process (``domain.passwords``), so a test that builds an app with
    another configuration (production, to check its cookie) would otherwise leave every later test hashing at
    production cost: about 0.2 s more per password hashed, for the rest of the run.
    """
    from auditapp.domain import passwords

    hasher, slots = passwords._hasher, dict(vars(passwords.hashing))
    try:
        yield
    finally:
        passwords._hasher = hasher
        vars(passwords.hashing).update(slots)


def operator_context() -> ActorContext:
    """The acting context of domain calls made directly by a test: a test operator (as the CLI would)."""
    return ActorContext(email="test@example.org", role="test", request_id=str(uuid.uuid4()), channel="test")


@pytest.fixture
def actor() -> Iterator[ActorContext]:
    """Domain calls made directly by a test act as a test operator (as the CLI would)."""
    ctx = operator_context()
    with acting_as(ctx):
        yield ctx


@pytest.fixture
def org(actor):
    from tests.factories import make_org

    return make_org()


@pytest.fixture
def users(org):
    from tests.factories import make_users

    return make_users(org)


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST like a browser: with the CSRF token from the page the form is on (or another page of the session)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def login_as(app: Flask):
    """``login_as(user)``: a test client signed in as ``user`` without the sign-in form (``client=`` to reuse one).

    It runs what a successful POST to /sign-in runs, with the app's own code, in a request context like the test
    client's (address 127.0.0.1, Werkzeug's user agent): the app's before-request hooks (request id and actor), the
    password step (``domain.auth.authenticate``: the lock-out counter, the hash), ``security.sessions.sign_in`` (a
    new server-side ``UserSession`` row under a fresh token and the ``sign_in`` audit event, through
    ``domain.user_sessions.activate``; the cookie session cleared, then Flask-Login's ``_user_id`` = that token,
    ``_fresh``, ``signed_in_at`` / ``last_seen_at`` and a permanent session) and the app's after-request hooks
    (``unit_of_work.finish_request`` commits, sealing the event into the audit chain). That cookie session is then
    put into the client's cookie. Skipped: GET /sign-in, rendering and the CSRF token. Tests whose subject is
    signing in use the form (``sign_in``, or ``@pytest.mark.form_sign_in`` for ``client_for``).
    """
    from flask import session

    from auditapp.auth.blueprint import policy
    from auditapp.domain.auth import authenticate
    from auditapp.security.sessions import sign_in as start_signed_in_session

    def login(user, *, password: str = PASSWORD, client: FlaskClient | None = None) -> FlaskClient:
        client = client or app.test_client()
        assert not (user.totp_secret or app.config["TOTP_REQUIRED"]), "two-factor sign-in: use the form (sign_in)"
        with app.test_request_context("/sign-in", environ_base=client.environ_base):
            assert app.preprocess_request() is None
            result = authenticate(email=user.email, password=password, policy=policy())
            assert result.ok, result.error
            start_signed_in_session(result.user, second_factor=False)
            response = app.process_response(app.response_class(status=302, headers={"Location": "/home"}))
            assert response.status_code == 302
            signed_in = dict(session)
        with client.session_transaction() as cookie_session:
            cookie_session.clear()
            cookie_session.update(signed_in)
        return client

    return login


@pytest.fixture
def client_for(request: pytest.FixtureRequest, app: Flask, users, login_as):
    """``client_for("admin")``: a test client signed in as that demo-like user (``login_as``).

    Under ``@pytest.mark.form_sign_in`` (tests whose subject is signing in, sessions, two-factor or the sign-in
    form), the client signs in through the form instead: GET /sign-in, then POST it with the CSRF token.
    """
    through_form = request.node.get_closest_marker("form_sign_in") is not None

    def make(key: str) -> FlaskClient:
        if key == "anonymous":
            return app.test_client()
        if not through_form:
            return login_as(users[key])
        client = app.test_client()
        response = sign_in(client, users[key].email)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return make
