"""Background jobs (issue 16: run by the worker). A job whose worker died is queued again until it has had
``MAX_ATTEMPTS``, then failed; an unexpected failure is retried after a delay; a refusal fails at once. The real
worker is in tests/test_worker.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from auditapp import jobs
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.jobs import INTERRUPTED, MAX_ATTEMPTS, RETRY_DELAYS, _started, recover_interrupted, this_process
from auditapp.models import Job
from tests.conftest import soup


def _ended_process() -> str:
    """The owner string of a process that has ended (started, then waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    owner = f"{socket.gethostname()[:40]}:{child.pid}:{_started(child.pid)}"
    child.wait()
    return owner


def _job(users, status: str, owner: str | None = None, *, attempts: int = 1, message: str | None = None) -> Job:
    job = Job(
        kind="case_import",
        status=status,
        user_id=users["qa_coordinator"].id,
        payload={},
        owner=owner,
        attempts=attempts,
        message=message,
    )
    db.session.add(job)
    db.session.flush()
    return job


def test_a_dead_workers_jobs_are_queued_again_until_their_last_attempt_and_others_kept(users):
    dead = _ended_process()
    again = _job(users, "running", dead, attempts=1)
    last = _job(users, "running", dead, attempts=MAX_ATTEMPTS)
    waiting = _job(users, "queued", None)
    own = _job(users, "running", this_process())
    elsewhere = _job(users, "running", "another-host:1:123")
    finished = _job(users, "done", dead)
    assert recover_interrupted() == [again.id]  # the caller commits, then puts these on the queue
    assert (again.status, again.owner) == ("queued", None)
    assert again.message == "Attempt 1 was interrupted: the worker stopped. Trying again."
    assert (last.status, last.message) == ("failed", INTERRUPTED) and last.finished_at is not None
    assert [j.status for j in (waiting, own, elsewhere, finished)] == ["queued", "running", "running", "done"]


def test_a_reused_pid_is_not_mistaken_for_the_same_process(users):
    host, pid, started = this_process().rsplit(":", 2)
    job = _job(users, "running", f"{host}:{pid}:{int(started) - 1}")
    assert recover_interrupted() == [job.id] and job.status == "queued"


def test_a_killed_worker_not_yet_reaped_counts_as_gone(users):
    """After kill -9 a worker stays a zombie until its parent reaps it; its job must not be taken as running."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    owner = f"{socket.gethostname()[:40]}:{child.pid}:{_started(child.pid)}"
    job = _job(users, "running", owner)
    assert recover_interrupted() == []  # alive
    os.kill(child.pid, signal.SIGKILL)
    state = ""
    for _ in range(1000):  # the kill is delivered asynchronously: wait (up to 10 s) until it is a zombie
        with open(f"/proc/{child.pid}/stat", encoding="ascii") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.01)
    assert state == "Z"
    assert recover_interrupted() == [job.id] and job.status == "queued"
    child.wait()


def test_starting_a_job_counts_an_attempt_and_runs_it_as_the_user_who_asked(users):
    job = _job(users, "queued", attempts=1)
    actor = jobs.start(job.id)
    assert actor is not None and actor.user_id == users["qa_coordinator"].id and actor.channel == "job"
    assert (job.status, job.attempts, job.owner) == ("running", 2, this_process())
    assert jobs.start(job.id) is None  # already running: another worker does not take it too


@pytest.fixture
def worker_mode(app, monkeypatch):
    """As in the worker (not the tests' synchronous jobs), where failures are retried."""
    monkeypatch.setitem(app.config, "JOBS_SYNCHRONOUS", False)
    with app.app_context():
        yield


def test_an_unexpected_failure_is_retried_after_a_delay_until_the_last_attempt(users, worker_mode):
    job = _job(users, "running", this_process(), attempts=1)
    assert jobs.record_failure(job.id, RuntimeError("boom")) == RETRY_DELAYS[0]
    assert (job.status, job.owner) == ("queued", None)
    assert (
        job.message
        == f"Attempt 1 did not finish (RuntimeError). It will be tried again in {RETRY_DELAYS[0]:.0f} seconds."
    )
    job.status, job.attempts = "running", MAX_ATTEMPTS
    assert jobs.record_failure(job.id, RuntimeError("boom")) is None
    assert job.status == "failed" and job.finished_at is not None
    assert (
        job.message == f"Something went wrong ({MAX_ATTEMPTS} attempts): nothing was saved. Try again, or ask an admin."
    )


def test_a_refusal_fails_at_once_with_its_message(users, worker_mode):
    job = _job(users, "running", this_process(), attempts=1)
    assert jobs.record_failure(job.id, DomainError("The file has no header row")) is None
    assert (job.status, job.message) == ("failed", "The file has no header row")


def test_the_status_page_says_which_attempt_a_retried_job_is_on(client_for, users):
    client = client_for("qa_coordinator")
    retrying = _job(
        users,
        "queued",
        attempts=1,
        message="Attempt 1 did not finish (RuntimeError). It will be tried again in 30 seconds.",
    )
    page = soup(client.get(f"/jobs/{retrying.id}"))
    assert page.select_one("h1").get_text() == "Importing cases"
    assert page.select_one("#job-retry").get_text().startswith("Attempt 1 did not finish")
    assert page.select_one("#job-attempt").has_attr("hidden")
    running = _job(users, "running", this_process(), attempts=2)
    page = soup(client.get(f"/jobs/{running.id}"))
    assert page.select_one("#job-attempt").get_text() == f"Attempt 2 of {MAX_ATTEMPTS}."
    assert client.get(f"/jobs/{running.id}.json").json["attempt"] == f"Attempt 2 of {MAX_ATTEMPTS}"


def test_the_status_page_shows_a_failed_job_with_its_message(client_for, users):
    failed = _job(users, "failed", attempts=MAX_ATTEMPTS, message=INTERRUPTED)
    page = soup(client_for("qa_coordinator").get(f"/jobs/{failed.id}"))
    assert (page.select_one("#job-title").get_text(), page.select_one("h1").get_text()) == (
        "Importing cases",
        "This did not finish",
    )
    assert page.select_one("#job-failure").get_text() == INTERRUPTED
    assert page.select_one("a#job-file") is None
