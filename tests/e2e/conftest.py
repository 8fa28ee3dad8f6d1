"""End-to-end fixtures: the real app served over HTTP from a thread, driven by Debian's chromium.

These tests are slow and need a browser, so they run only when ``AUDITAPP_E2E=1`` (``make e2e`` sets it); a plain
``pytest`` reports them as skipped. The app runs on a file SQLite database in a temporary directory, loaded with
the demo partnership, with real background jobs (imports, report builds and PDFs run by an ``auditapp worker``
process on the same database, as in production), and CSRF protection on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

E2E_ENABLED = os.environ.get("AUDITAPP_E2E") == "1"
ROOT = Path(__file__).resolve().parents[2]

try:
    import playwright  # noqa: F401
except ImportError:  # the e2e extra is not installed: nothing here can even be imported
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if E2E_ENABLED:
        return
    skip = pytest.mark.skip(reason="browser tests: set AUDITAPP_E2E=1 or run `make e2e`")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # `playwright install` cannot download its own browser here: use the distribution's chromium.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # The app's CSP (rightly) blocks the axe-core script the accessibility checks inject.
    return {**browser_context_args, "bypass_csp": True, "accept_downloads": True}


@pytest.fixture(autouse=True)
def _transaction() -> None:
    """Not the unit tests' per-test rollback (tests/conftest.py): that swaps ``db.session`` for a session on
    another database, and the live server must keep its own. The journeys' data stays for the whole session."""


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with the demo loaded, on a free port of 127.0.0.1, for the whole session."""
    from werkzeug.serving import make_server

    from auditapp.app import create_app
    from auditapp.demo.load import load_demo
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db, upgrade_database
    from config import TestConfig

    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'auditapp.db'}"
    config.JOBS_SYNCHRONOUS = False  # real background jobs, with their status page
    from auditapp.demo.facts import AGENCIES, DOMAIN
    from tests.oidc_provider import start_for_e2e

    # Issue 16 (sso): a local OpenID Connect provider for the demo's police (tests/e2e/test_sso.py).
    config.OIDC_PROVIDERS = start_for_e2e(agency=AGENCIES[2][0], domains=[DOMAIN])
    # Issue 16 (worker): jobs run in a real worker process, on the same database and a queue file of the session's.
    config.TASK_QUEUE_URL = f"sqlite:///{tmp_path_factory.mktemp('e2e-queue') / 'tasks.db'}"
    app = create_app(config)
    with app.app_context():
        upgrade_database(app)
    with app.test_request_context(), acting_as(cli_actor()):
        load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    worker = _start_worker(config, server.server_port)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        _stop(worker)
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _start_worker(config, port: int) -> subprocess.Popen:
    """``auditapp worker`` on the live server's database and queue (the development configuration reads them from
    the environment, as a deployment's worker does), with the same settings for messages."""
    environ = {
        **os.environ,
        "AUDITAPP_ENV": "development",
        "DATABASE_URL": config.SQLALCHEMY_DATABASE_URI,
        "TASK_QUEUE_URL": config.TASK_QUEUE_URL,
        "PARTNERSHIP_NAME": config.PARTNERSHIP_NAME,
        "SERVICE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_FROM", "NOTIFY_API_KEY", "NOTIFY_BASE_URL", "NOTIFY_TEMPLATE_ID"):
        if getattr(config, name, None):
            environ[name] = str(getattr(config, name))
    environ.pop("TEST_DATABASE_URL", None)
    command = [sys.executable, "-c", "from auditapp.cli import main; main()", "worker", "--workers", "2"]
    return subprocess.Popen(command, env=environ, cwd=ROOT)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)  # the consumer finishes what it runs, then exits
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright opens every context at the live server, so pages can go to "/home"."""
    return live_server.url


_AXE_RUNS: list[tuple[str, int, int]] = []  # (test, pages checked, violations), for the summary


@pytest.fixture
def a11y(request: pytest.FixtureRequest) -> Iterator[object]:
    from tests.e2e.helpers import Accessibility

    accessibility = Accessibility()
    yield accessibility
    _AXE_RUNS.append((request.node.name, len(accessibility.checked), len(accessibility.violations)))


def pytest_terminal_summary(terminalreporter) -> None:
    """How many pages axe-core checked (WCAG 2.0/2.1/2.2 A and AA) and what it found, printed after the run."""
    for name, pages, violations in _AXE_RUNS:
        terminalreporter.write_line(f"axe-core: {name}: {pages} pages checked, {violations} violations")
