"""Test fixtures: one app per session, schema built by running the migrations, each test in a transaction
rolled back at the end. Set TEST_DATABASE_URL=postgresql+psycopg://... to run the same suite on PostgreSQL: a
fresh database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

from auditapp.domain.context import ActorContext, acting_as
from auditapp.extensions import db
from config import TestConfig

PASSWORD = "correct-horse-battery-staple-42"


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


@pytest.fixture(autouse=True)
def _transaction(app: Flask) -> Iterator[None]:
    """Run each test inside an outer transaction that is rolled back; the app's commits become savepoints.

    No app context stays pushed during the test: Flask would reuse it for every test-client request, and ``g``
    (where Flask-Login caches the user) would leak from one request to the next.
    """
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
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
        outer.rollback()
        connection.close()


@pytest.fixture
def actor() -> Iterator[ActorContext]:
    """Domain calls made directly by a test act as a test operator (as the CLI would)."""
    ctx = ActorContext(email="test@example.org", role="test", request_id=str(uuid.uuid4()), channel="test")
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
def client_for(app: Flask, users):
    """``client_for("admin")``: a test client signed in as that demo-like user."""

    def make(key: str) -> FlaskClient:
        client = app.test_client()
        if key != "anonymous":
            response = sign_in(client, users[key].email)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return make
