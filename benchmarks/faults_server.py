"""The fault harness's processes: a throwaway PostgreSQL database, the ``auditapp`` CLI, and gunicorn killed by SIGKILL.

Every process runs from the repository root with this interpreter, in its own session (process group), so one
``killpg`` takes down the gunicorn master and all its workers at once, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from benchmarks.faults_http import Client, ServerDown

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SECRET_KEY = "faults-harness-fixed-key-so-sessions-survive-restarts"  # noqa: S105 - a throwaway database
AUDITAPP = [sys.executable, "-c", "import sys; from auditapp.cli import main; sys.exit(main())"]


class Database:
    """A database of its own on the local server, dropped at the end."""

    def __init__(self, name: str) -> None:
        if not name.startswith("auditapp_faults"):
            raise ValueError("the harness only creates and drops databases named auditapp_faults*")
        self.name = name

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{self.name}"

    def _admin(self, statement: str) -> None:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as connection:
            connection.execute(statement)

    def create(self) -> None:
        self.drop()
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(**PG, dbname=self.name, autocommit=True)


def app_env(database: Database) -> dict[str, str]:
    """The demo configuration (no two-factor) on the harness's database, with a fixed secret key."""
    return {
        **os.environ,
        "AUDITAPP_ENV": "demo",
        "DATABASE_URL": database.url,
        "SECRET_KEY": SECRET_KEY,
        "TOTP_REQUIRED": "0",
        "SESSION_IDLE_MINUTES": "600",
        "PYTHONUNBUFFERED": "1",
    }


def cli(database: Database, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``auditapp ARGS`` to the end."""
    return subprocess.run(
        [*AUDITAPP, *args],
        cwd=ROOT,
        env=app_env(database),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_process(database: Database, args: list[str], output: Path) -> subprocess.Popen:
    """Start ``auditapp ARGS`` in its own process group, its output (both streams) going to ``output``."""
    with output.open("wb") as sink:
        return subprocess.Popen(
            [*AUDITAPP, *args],
            cwd=ROOT,
            env=app_env(database),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def inserting_cases(database: Database) -> bool:
    """Whether some transaction's latest statement is an insert into cases (an import is writing its rows)."""
    with database.connect() as connection:
        return (
            connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND xact_start IS NOT NULL AND query ILIKE 'INSERT INTO cases%'"
            ).fetchone()[0]
            > 0
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still in /proc, zombies included."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process's whole group and wait until every member is gone.

    Gone means reaped: the killed workers' parent (the master) dies with them, so they are orphans that init reaps,
    here up to a second later. A service manager restarts once the old processes have gone, and so does this (an
    unreaped worker still has its /proc entry, which the app's job recovery would take for a live process)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait()
    deadline = time.monotonic() + 30
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)


@functools.cache
def _gunicorn_options() -> tuple[str, ...]:
    """No control socket where gunicorn has one (27+): it sits at a fixed path another gunicorn may be using."""
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False)
    return ("--no-control-socket",) if "--no-control-socket" in done.stdout else ()


class Server:
    """gunicorn serving ``wsgi:app`` on the harness's database; started, killed and started again."""

    def __init__(self, database: Database, log: Path, *, workers: int = 2) -> None:
        self.database, self.log, self.workers = database, log, workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start gunicorn and wait until it answers; return the seconds that took."""
        started = time.perf_counter()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "120",
            "--graceful-timeout",
            "2",
            *_gunicorn_options(),
        ]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=app_env(self.database),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return time.perf_counter() - started

    def _wait_ready(self, timeout: float = 120) -> None:
        client, deadline = Client(self.port, timeout=10), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                if client.request("GET", "/healthz").status == 200:
                    return
            except ServerDown:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL the master and every worker (no shutdown code runs), and wait until they are gone."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            kill_group(self.process, signal.SIGTERM)
            self.process = None


class TrailVerifier:
    """``auditapp audit-trail verify``, when this version of the app has it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.available = cli(database, "audit-trail", "--help", timeout=120).returncode == 0
        self.runs = self.failures = 0

    def run(self) -> str:
        if not self.available:
            return "audit-trail verify: not available"
        done = cli(self.database, "audit-trail", "verify")
        self.runs += 1
        if done.returncode == 0:
            return "audit-trail verify: ok"
        self.failures += 1
        last = (done.stdout + done.stderr).strip().splitlines()[-3:]
        return f"audit-trail verify: FAILED (exit {done.returncode}: {' | '.join(last)})"
