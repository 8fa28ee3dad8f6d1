"""The work the fault harness interrupts: auditors saving sections, and case imports (on the web and by the CLI).

Every save carries a unique marker in the section's evidence box and its own ``X-Request-ID`` (which the app writes
into the ``audit_saved`` event), so the checks can tell which save each stored answer and each event came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from auditapp.importers.records import CASE_FIELDS
from benchmarks.faults_http import Client, Response, ServerDown, version_of
from benchmarks.import_data import generic_rows

HOME = "/home"  # where "save and come back later" sends the auditor: the save's acknowledgement


@dataclass
class SaveAttempt:
    """One POST of a section. ``outcome``: ack (redirect home), conflict (409), error (5xx), other, not sent
    (connection refused) or unknown (the connection broke: the server may or may not have saved it)."""

    request_id: str
    marker: str
    assignment_id: int
    section: str
    loaded_version: int
    source: str  # "saver" or "pair"
    outcome: str = "unknown"
    status: int = 0


@dataclass
class Target:
    """An audit a saver works on: the assignment, its auditor and the sections of its tool."""

    assignment_id: int
    email: str
    sections: list[str]


def classify(attempt: SaveAttempt, answer: Response) -> None:
    attempt.status = answer.status
    if answer.redirect and answer.location == HOME:
        attempt.outcome = "ack"
    elif answer.status == 409:
        attempt.outcome = "conflict"
    elif answer.status >= 500:
        attempt.outcome = "error"
    else:
        attempt.outcome = "other"


def save_section(
    client: Client,
    assignment_id: int,
    section: str,
    *,
    version: str,
    token: str,
    request_id: str,
    source: str,
    attempts: list[SaveAttempt],
) -> SaveAttempt:
    """POST one section save with a fresh marker; the attempt is recorded before it is sent (outcome unknown)."""
    attempt = SaveAttempt(request_id, f"fault-marker {request_id}", assignment_id, section, int(version), source)
    attempts.append(attempt)
    form = {"csrf_token": token, "version": version, f"evidence__{section}": attempt.marker, "action": "later"}
    try:
        answer = client.request("POST", f"/audits/{assignment_id}/section/{section}", form=form, request_id=request_id)
    except ServerDown as down:
        attempt.outcome = "unknown" if down.sent else "not sent"
        raise
    classify(attempt, answer)
    return attempt


def open_form(client: Client, assignment_id: int, section: str) -> tuple[str, str]:
    """The section form's (version, CSRF token)."""
    page, token = client.form_page(f"/audits/{assignment_id}/section/{section}")
    return version_of(page), token


def sections_of(client: Client, assignment_id: int) -> list[str]:
    """Open the audit (creating it on first opening) and read its sections from the task list."""
    page = client.request("GET", f"/audits/{assignment_id}")
    if page.status != 200:
        raise RuntimeError(f"the task list of assignment {assignment_id} answered {page.status}")
    return list(dict.fromkeys(re.findall(rf"/audits/{assignment_id}/section/([A-Za-z0-9_]+)", page.body)))


class Savers:
    """Auditors saving sections of their audits in a loop, through kills: each failure is retried when the server is
    back. ``pause`` parks every saver between two saves, so nothing is in flight while the harness looks."""

    def __init__(self, port: int, targets: list[Target], password: str, *, seed: int) -> None:
        self.port, self.targets, self.password, self.seed = port, targets, password, seed
        self.attempts: list[SaveAttempt] = []
        self.running, self.stopping = threading.Event(), False
        self.lock, self.parked = threading.Lock(), 0
        self.threads = [
            threading.Thread(target=self._loop, args=(i, t), daemon=True, name=f"saver-{i}")
            for i, t in enumerate(targets)
        ]

    def start(self) -> None:
        self.running.set()
        for thread in self.threads:
            thread.start()

    def pause(self, timeout: float = 180) -> None:
        self.running.clear()
        deadline = time.monotonic() + timeout
        while self.parked < len(self.threads) and time.monotonic() < deadline:
            time.sleep(0.01)

    def resume(self) -> None:
        self.running.set()

    def stop(self) -> None:
        self.pause()
        self.stopping = True
        self.running.set()
        for thread in self.threads:
            thread.join(timeout=180)

    def _park(self) -> None:
        if self.running.is_set():
            return
        with self.lock:
            self.parked += 1
        self.running.wait()
        with self.lock:
            self.parked -= 1

    def _loop(self, index: int, target: Target) -> None:
        rng = random.Random(self.seed * 1000 + index)
        client, signed_in, count = Client(self.port), False, 0
        while True:
            self._park()
            if self.stopping:
                return
            try:
                if not signed_in:
                    client.sign_in(target.email, self.password)
                    signed_in = True
                section = rng.choice(target.sections)
                version, token = open_form(client, target.assignment_id, section)
                count += 1
                save_section(
                    client,
                    target.assignment_id,
                    section,
                    version=version,
                    token=token,
                    request_id=f"flt{index}-{count:07d}-{secrets.token_hex(4)}",
                    source="saver",
                    attempts=self.attempts,
                )
            except ServerDown:
                time.sleep(0.05)
            except RuntimeError:  # signed out, or a page without its form: sign in again
                signed_in = False
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.01))


@dataclass
class ImportAttempt:
    """One case file imported (or not) by the web job or the CLI. ``acknowledged``: the job row said done, or the
    CLI printed its "Imported ..." line (both only after the import's work was done)."""

    label: str
    channel: str  # "web" or "cli"
    prefix: str
    rows: int
    sha256: str
    path: Path
    job_id: int | None = None
    acknowledged: bool = False
    killed: str = ""  # where the kill landed, when one did


def make_import_file(folder: Path, prefix: str, rows: int, *, seed: int) -> ImportAttempt:
    """A generic CSV of ``rows`` new cases whose references all start with ``prefix`` (unique to this file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASE_FIELDS)
    for index, row in enumerate(generic_rows(rows, seed=seed)):
        row[0] = f"{prefix}{index:06d}"
        writer.writerow(row)
    data = buffer.getvalue().encode()
    path = folder / f"{prefix.rstrip('-').lower()}.csv"
    path.write_bytes(data)
    sha = hashlib.sha256(hashlib.sha256(data).digest()).hexdigest()  # as auditapp.domain.case_import.sha256_of
    return ImportAttempt(label=prefix.rstrip("-"), channel="", prefix=prefix, rows=rows, sha256=sha, path=path)


def start_web_import(coordinator: Client, attempt: ImportAttempt) -> float:
    """Upload, check and confirm the file as the QA coordinator; the import then runs as a job of the server.

    Returns the moment (``time.perf_counter``) the confirmation was answered: the job starts then."""
    attempt.channel = "web"
    _, token = coordinator.form_page("/cases/import")
    upload = coordinator.request(
        "POST",
        "/cases/import",
        form={"csrf_token": token, "format": ""},
        files={"files": (attempt.path.name, attempt.path.read_bytes())},
    )
    if not upload.location.startswith("/cases/import/"):
        raise RuntimeError(f"the upload of {attempt.path.name} answered {upload.status} -> {upload.location!r}")
    _, token = coordinator.form_page(upload.location)
    confirm = coordinator.request("POST", upload.location, form={"csrf_token": token, "submit": "Import these cases"})
    found = re.fullmatch(r"/jobs/(\d+)", confirm.location)
    if not found:
        raise RuntimeError(f"confirming {attempt.path.name} answered {confirm.status} -> {confirm.location!r}")
    attempt.job_id = int(found.group(1))
    return time.perf_counter()
