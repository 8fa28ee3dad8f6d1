"""The real worker for the tests (issue 16): ``auditapp worker`` in a process of its own, on a database and a task
queue of the test's own, beside a web app (in the test's process) on the same two.

The database is a SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set (``live_server``);
the queue a SQLite file, or a Redis database of its own (flushed before and after) when TEST_REDIS_URL is set
(``redis://127.0.0.1:6379/5``). The worker process loads ``tests.worker_plugins`` (test-only work) before the
command runs: the application itself never imports it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.live_server import ROOT, SECRET_KEY, copy_of, database

LAUNCH = "import tests.worker_plugins; from auditapp.cli import main; main()"


@contextmanager
def task_queue(tmp_path: Path) -> Iterator[str]:
    """A queue of the test's own: a SQLite file, or the flushed Redis database of TEST_REDIS_URL."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url.startswith("redis://"):
        yield f"sqlite:///{tmp_path}/tasks.db"
        return
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@dataclass
class World:
    """The test's database and queue, a web app on them (``app``) and the worker's directory (``dir``)."""

    app: Any
    database_url: str
    queue_url: str
    dir: Path

    def env(self) -> dict[str, str]:
        environ = {
            **os.environ,
            "AUDITAPP_ENV": "development",  # what a deployment's worker reads: DATABASE_URL and TASK_QUEUE_URL
            "DATABASE_URL": self.database_url,
            "TASK_QUEUE_URL": self.queue_url,
            "SECRET_KEY": SECRET_KEY,
            "PYTHONPATH": ROOT,
            "TEST_WORKER_DIR": str(self.dir),
        }
        environ.pop("TEST_DATABASE_URL", None)
        return environ

    def until_idle(self) -> str:
        """``auditapp worker --until-idle``: what it printed."""
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, "worker", "--until-idle"],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    @contextmanager
    def resident(self) -> Iterator[subprocess.Popen]:
        """``auditapp worker`` running (one thread), stopped (or found killed) at the end."""
        worker = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "worker", "--workers", "1"],
            env=self.env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()

    def wait_for(self, name: str, *, process: subprocess.Popen | None = None, seconds: float = 30) -> None:
        """Wait until the worker has written ``name`` in its directory (it has started an attempt)."""
        deadline = time.monotonic() + seconds
        while not (self.dir / name).exists():
            assert process is None or process.poll() is None, "the worker stopped"
            assert time.monotonic() < deadline, f"the worker never wrote {name}"
            time.sleep(0.05)

    def open_gate(self) -> None:
        (self.dir / "gate").touch()

    def runs(self) -> list[str]:
        path = self.dir / "runs"
        return path.read_text(encoding="utf-8").split() if path.exists() else []


def kill(process: subprocess.Popen) -> None:
    """kill -9: the worker stops mid-job, leaving its job marked running (then reaped, as its parent would)."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _web_app(database_url: str, queue_url: str) -> Any:
    from auditapp.app import create_app
    from config import TestConfig

    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.TASK_QUEUE_URL = queue_url
    config.JOBS_SYNCHRONOUS = False  # the web app only enqueues; the worker runs
    return create_app(config)


def _migrate_and_add_users(app: Any) -> None:
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db, upgrade_database
    from tests.factories import make_org, make_users

    with app.app_context():
        upgrade_database(app)
    with app.app_context(), acting_as(cli_actor()):
        make_users(make_org())
        db.session.commit()
        db.session.remove()


@contextmanager
def prepared_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database with the test organisation and users, made once (for a module) as ``world`` makes it:
    ``world(tmp_path, template=...)`` then starts from a copy of it instead of migrating and adding users again."""
    from auditapp.extensions import db

    with database(tmp_path) as url:
        app = _web_app(url, f"sqlite:///{tmp_path}/unused-tasks.db")
        _migrate_and_add_users(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        yield url


@contextmanager
def world(tmp_path: Path, *, template: str | None = None) -> Iterator[World]:
    """A migrated database with the test organisation and users (a copy of ``template``, a ``prepared_database``,
    when given), a queue, and a web app on both."""
    from auditapp.extensions import db

    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    made = copy_of(template, tmp_path) if template else database(tmp_path)
    with made as url, task_queue(tmp_path) as queue:
        app = _web_app(url, queue)
        if not template:
            _migrate_and_add_users(app)
        try:
            yield World(app=app, database_url=url, queue_url=queue, dir=worker_dir)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
