"""Background jobs left behind by a killed or restarted server are marked failed, not left running."""

from __future__ import annotations

import socket
import subprocess
import sys

from auditapp.extensions import db
from auditapp.jobs import INTERRUPTED, _started, recover_interrupted, this_process
from auditapp.models import Job


def _ended_process() -> str:
    """The owner string of a process that has ended (started, then waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    owner = f"{socket.gethostname()[:40]}:{child.pid}:{_started(child.pid)}"
    child.wait()
    return owner


def _job(users, status: str, owner: str | None) -> Job:
    job = Job(kind="case_import", status=status, user_id=users["qa_coordinator"].id, payload={}, owner=owner)
    db.session.add(job)
    db.session.flush()
    return job


def test_jobs_of_an_ended_process_are_failed_and_others_kept(users):
    dead = _ended_process()
    interrupted = [_job(users, "running", dead), _job(users, "queued", dead)]
    own = _job(users, "running", this_process())
    elsewhere = _job(users, "running", f"another-host:{1}:{123}")
    finished = _job(users, "done", dead)
    assert recover_interrupted() == 2
    assert [(j.status, j.message) for j in interrupted] == [("failed", INTERRUPTED)] * 2
    assert interrupted[0].finished_at is not None
    assert (own.status, elsewhere.status, finished.status) == ("running", "running", "done")


def test_a_reused_pid_is_not_mistaken_for_the_same_process(users):
    host, pid, started = this_process().rsplit(":", 2)
    job = _job(users, "running", f"{host}:{pid}:{int(started) - 1}")
    assert recover_interrupted() == 1 and job.status == "failed"


def test_the_status_page_shows_an_interrupted_job_as_not_finished(client_for, users):
    job = _job(users, "running", _ended_process())
    db.session.commit()
    page = client_for("qa_coordinator").get(f"/jobs/{job.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This did not finish" in text and "Interrupted: the server stopped" in text
    assert db.session.get(Job, job.id).status == "failed"


def test_a_killed_worker_not_yet_reaped_counts_as_gone(users):
    """After kill -9 a worker stays a zombie until its parent reaps it; its job must not be taken as running."""
    import os
    import signal
    import time

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    owner = f"{socket.gethostname()[:40]}:{child.pid}:{_started(child.pid)}"
    job = _job(users, "running", owner)
    assert recover_interrupted() == 0  # alive
    os.kill(child.pid, signal.SIGKILL)
    state = ""
    for _ in range(1000):  # the kill is delivered asynchronously: wait (up to 10 s) until it is a zombie
        with open(f"/proc/{child.pid}/stat", encoding="ascii") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.01)
    assert state == "Z"
    assert recover_interrupted() == 1 and job.status == "failed"
    child.wait()
