"""The load benchmark's server (``benchmarks/load.py``): ``gunicorn wsgi:app`` and ``auditapp worker`` beside it, on
the benchmark's database and a task queue of the run's own, as a deployment runs them."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load_client import TIMEOUT, Client, Stats
from benchmarks.load_setup import app_env

ROOT = Path(__file__).resolve().parent.parent


class BenchmarkError(RuntimeError):
    """The run itself broke (as opposed to a goal not met)."""


def cpu_seconds(pid: int) -> float:
    """The CPU seconds (user and system) a process has used so far; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gunicorn wsgi:app`` and ``auditapp worker``, each in its own process group, stopped (and their log checked)
    on leaving."""

    def __init__(self, database: str, workers: int, threads: int, queue: str | None) -> None:
        self.database, self.workers, self.threads = database, workers, threads
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="auditapp-load-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.queue_dir = tempfile.TemporaryDirectory(prefix="auditapp-load-queue-")
        self.queue = queue or f"sqlite:///{self.queue_dir.name}/tasks.db"
        self.process: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            str(TIMEOUT),
            "--log-level",
            "warning",
        ]
        # One key for every worker; the web app and the worker on the same queue.
        env = {**app_env(self.database), "SECRET_KEY": secrets.token_hex(32), "TASK_QUEUE_URL": self.queue}
        if self.queue.startswith("redis://"):
            import redis

            redis.Redis.from_url(self.queue).flushdb()  # the run's own queue: nothing left from another
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("auditapp")), "worker", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, seconds: float = 60) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if self.process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.worker.poll() is not None:
                raise BenchmarkError(f"the worker exited with {self.worker.returncode}:\n{self.log_tail()}")
            probe = Client(self.port, Stats()).call("GET", "/healthz", "probe")
            if probe is not None:
                return
            time.sleep(0.2)
        raise BenchmarkError(f"gunicorn did not answer /healthz within {seconds:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return all(process is not None and process.poll() is None for process in (self.process, self.worker))

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def log_problems(self) -> int:
        text = Path(self.log.name).read_text(errors="replace")
        return sum(1 for line in text.splitlines() if re.search(r"Traceback|\[ERROR\]|\[CRITICAL\]", line))

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.log.close()
        self.queue_dir.cleanup()
        if exc_type is None and not self.log_problems():
            Path(self.log.name).unlink()  # kept only when there is something to read in it
