"""The real worker (issue 16): ``auditapp worker`` runs what the web app queued, in a process of its own, on a
database and a queue shared with the web app (tests/worker_process.py). A worker killed mid-job leaves its job to
the next worker, which tries it again; work that fails is retried, then shown failed with its message."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from auditapp import unit_of_work
from auditapp.domain.context import acting_as, cli_actor
from auditapp.extensions import db
from auditapp.jobs import MAX_ATTEMPTS, submit
from auditapp.models import Job, Notification, PublishedReport, Role, User
from auditapp.reports.document_jobs import request_document
from tests import worker_plugins  # noqa: F401 - the test kinds, known here too (submitting checks documents' kinds)
from tests.conftest import soup
from tests.factories import PASSWORD
from tests.worker_process import World, kill, prepared_database, world


@pytest.fixture(autouse=True)
def _transaction() -> Iterator[None]:
    """Not the per-test rollback (tests/conftest.py): the worker is another process, so the test's database is its
    own and really committed (``world``)."""
    yield


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Iterator[str]:
    """The migrated database with the test organisation and users, made once: each test's world is a copy."""
    with prepared_database(tmp_path_factory.mktemp("template")) as url:
        yield url


@pytest.fixture
def shared(template, tmp_path) -> Iterator[World]:
    with world(tmp_path, template=template) as made:
        yield made


def _coordinator(shared: World) -> User:
    return db.session.scalars(select(User).where(User.role == Role.QA_COORDINATOR)).first()


def _submit(shared: World, kind: str, payload: dict | None = None, *, document: str | None = None) -> int:
    """Ask for work as the QA coordinator, as a view does; committed, so it is on the queue."""
    with shared.app.app_context(), acting_as(cli_actor()):
        user = _coordinator(shared)
        if document:
            record = request_document(document, payload=payload or {}, user_id=user.id, title="A test document")
        else:
            record = submit(kind=kind, payload=payload or {}, user_id=user.id)
        unit_of_work.commit()
        job_id = record.id
        db.session.remove()
    return job_id


def _job(shared: World, job_id: int) -> Job:
    with shared.app.app_context():
        record = db.session.get(Job, job_id)
        db.session.expunge(record)
        db.session.remove()
    return record


def _status_page(shared: World, job_id: int):
    """The job's status page as the coordinator who asked sees it (signed in with the sign-in form)."""
    client = shared.app.test_client()
    token = soup(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    with shared.app.app_context():
        email = _coordinator(shared).email
        db.session.remove()
    signed_in = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    return client, soup(client.get(f"/jobs/{job_id}"))


def test_the_worker_runs_a_queued_document_and_the_asker_downloads_it(shared):
    shared.open_gate()
    job_id = _submit(shared, "document", document="test_waits")
    assert _job(shared, job_id).status == "queued"  # the web app only queued it
    assert "ran 1 task" in shared.until_idle()
    done = _job(shared, job_id)
    assert (done.status, done.attempts, done.file_name) == ("done", 1, "waited.pdf")
    client, page = _status_page(shared, job_id)
    assert (page.select_one("#job-title").get_text(), page.select_one("h1").get_text()) == (
        "A test document",
        "Finished",
    )
    link = page.select_one("a#job-file")
    assert link.get_text() == "Download waited.pdf (PDF, 1 page)"
    response = client.get(link["href"])
    assert response.data == b"%PDF-1.7 waited" and response.headers["Content-Disposition"].startswith("attachment")


def _finished(shared: World, job_id: int, worker) -> Job:
    """The job once the resident worker has ended it (within 20 s)."""
    deadline = time.monotonic() + 20
    while (record := _job(shared, job_id)).status not in ("done", "failed"):
        assert worker.poll() is None and time.monotonic() < deadline, "the worker did not finish the job"
        time.sleep(0.05)
    return record


def test_progress_written_by_the_worker_is_read_by_the_web_app(shared):
    job_id = _submit(shared, "test_progress")
    with shared.resident() as worker:
        shared.wait_for("started-1", process=worker)  # the job has said "3 of 10" and waits
        client, page = _status_page(shared, job_id)
        assert page.select_one("h1").get_text(strip=True) == "Working"
        assert page.select_one("#job-progress").get_text() == "3 of 10 done (30%)."
        assert client.get(f"/jobs/{job_id}.json").json == {"status": "running", "done": 3, "total": 10, "attempt": None}
        shared.open_gate()
        done = _finished(shared, job_id, worker)
    assert (done.status, done.message) == ("done", "Counted to ten")


def test_a_job_whose_worker_is_killed_is_tried_again_and_done_once(shared):
    job_id = _submit(shared, "document", document="test_waits")
    with shared.resident() as worker:
        shared.wait_for("started-1", process=worker)
        kill(worker)
    interrupted = _job(shared, job_id)
    assert (interrupted.status, interrupted.attempts) == ("running", 1)  # as the killed worker left it
    shared.open_gate()
    shared.until_idle()  # its sweep sees the worker gone and queues the job again
    done = _job(shared, job_id)
    assert (done.status, done.attempts, done.file_name) == ("done", 2, "waited.pdf")
    assert shared.runs() == ["test_waits"]  # made once: the killed attempt kept nothing


def test_a_job_that_fails_unexpectedly_is_retried_then_shown_failed_with_its_message(shared):
    job_id = _submit(shared, "test_fails")
    shared.until_idle()  # the plugin retries at once, so every attempt runs now
    failed = _job(shared, job_id)
    assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
    assert shared.runs() == ["test_fails"] * MAX_ATTEMPTS
    _, page = _status_page(shared, job_id)
    assert page.select_one("h1").get_text() == "This did not finish"
    assert page.select_one("#job-failure").get_text() == (
        f"Something went wrong ({MAX_ATTEMPTS} attempts): nothing was saved. Try again, or ask an admin."
    )


def _delivery_ready() -> str | None:
    """Why the published-report test cannot run yet, or None."""
    from auditapp.domain import publishing
    from auditapp.notify import delivery

    if "NotImplementedError" in inspect.getsource(delivery.claim):
        return "the notify helper's delivery (auditapp.notify.delivery.claim) is not written yet"
    if not callable(getattr(publishing, "report_published", None)):
        return "publishing does not yet notify board members (the events helper's report_published message)"
    return None


@pytest.mark.skipif(_delivery_ready() is not None, reason=str(_delivery_ready()))
@pytest.mark.fail_slow("60s")  # it renders the whole Board report (WeasyPrint), about 10 s on a busy 2-core machine
def test_a_publish_job_killed_mid_job_publishes_one_version_and_each_board_member_gets_one_message(shared):
    from tests.factories import make_round

    with shared.app.app_context(), acting_as(cli_actor()):
        audit_round = make_round()
        unit_of_work.commit()
        round_id = audit_round.id
        board = db.session.scalars(select(User.id).where(User.role == Role.BOARD_MEMBER)).all()
        db.session.remove()
    from auditapp.models.types import utcnow

    payload = {"round_id": round_id, "as_of": utcnow().isoformat(), "interim_reason": "A test", "change_reason": None}
    job_id = _submit(shared, "report_publish", payload)
    with shared.resident() as worker:
        shared.wait_for("started-1", process=worker)  # rendering the report
        kill(worker)
    shared.open_gate()
    shared.until_idle()
    assert (_job(shared, job_id).status, _job(shared, job_id).attempts) == ("done", 2)
    shared.until_idle()  # again: nothing more is sent
    with shared.app.app_context():
        versions = db.session.scalars(select(PublishedReport.version).where(PublishedReport.round_id == round_id))
        assert list(versions) == [1]
        messages = db.session.execute(
            select(Notification.user_id, func.count())
            .where(Notification.event == "report_published")
            .group_by(Notification.user_id)
        ).all()
        db.session.remove()
    assert board and sorted(messages) == sorted((user_id, 1) for user_id in board)
