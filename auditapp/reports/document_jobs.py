"""Documents made by the worker (issue 16): a draft Board report, a feedback letter, a 7-minute briefing, the
action plan. The web request never renders a PDF: a view asks for a document (``request_document``), which is a
job; the job's status page shows progress and then offers the file (``Job.file_content``).

The "document" job runs ``MAKERS[kind](payload)`` in the worker, as the user who asked, and keeps the file on the
job (``file_name``, ``file_mimetype``, ``file_content``) with its summary and trail event in the payload
(``FILE_KEY``). The download (``main.job_files``, the asker only) records that trail event, so each view of a
child's record is in the audit trail when it is seen, not when it is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditapp.domain.trail.events import record_event
from auditapp.jobs import Progress, job, running_job, submit
from auditapp.models import Job
from auditapp.vocabulary import JobStatus

KIND = "document"
FILE_KEY = "made"  # in a done document job's payload: {"summary": ..., "trail": [action, type, id, details]}
FORMATS = {"application/pdf": "PDF"}


@dataclass(frozen=True)
class Document:
    """A made file: its download name, bytes and type, and the trail event its download records (action, object
    type, object id, details), so that every view of a child's record is in the audit trail."""

    name: str
    content: bytes
    mimetype: str = "application/pdf"
    trail: tuple[str, str, int | None, dict[str, Any]] | None = None
    summary: str = ""  # shown on the status page, e.g. "12 pages"
    extra: dict[str, Any] = field(default_factory=dict)


DocumentMaker = Callable[[dict[str, Any]], Document]
MAKERS: dict[str, DocumentMaker] = {}


def document(kind: str) -> Callable[[DocumentMaker], DocumentMaker]:
    """Register the function that makes a kind of document from the job's payload (it runs in the worker, as the
    user who asked, inside the job's transaction)."""

    def register(maker: DocumentMaker) -> DocumentMaker:
        MAKERS[kind] = maker
        return maker

    return register


def request_document(kind: str, *, payload: dict[str, Any], user_id: int, title: str) -> Any:
    """Submit a job that makes the document (``title`` heads its status page); the Job, to redirect to its page."""
    if kind not in MAKERS:
        raise KeyError(f"no document of kind {kind!r}")
    return submit(kind=KIND, payload={"document": kind, "title": title, **payload}, user_id=user_id)


@job(KIND)
def make_document(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    """Make the document and keep it on its job (the worker commits it with the job's end)."""
    progress(0, 1)
    made = MAKERS[payload["document"]](payload)
    record = running_job()
    record.file_name, record.file_mimetype, record.file_content = made.name, made.mimetype, made.content
    trail = list(made.trail) if made.trail else None
    record.payload = {**payload, FILE_KEY: {"summary": made.summary, "trail": trail}}
    progress(1, 1)
    return f"{payload.get('title') or 'The document'} is ready to download.", None


def is_document(record: Job) -> bool:
    return record.kind == KIND


def title_of(record: Job) -> str:
    return str(record.payload.get("title") or "Making a document")


def has_file(record: Job) -> bool:
    return record.kind == KIND and record.status == JobStatus.DONE and record.file_name is not None


def describe_file(record: Job) -> str:
    """The download link's words: "Download draft-report-round-3.pdf (PDF, 12 pages)"."""
    kind = FORMATS.get(record.file_mimetype or "", "file")
    summary = (record.payload.get(FILE_KEY) or {}).get("summary")
    return f"Download {record.file_name} ({kind}{', ' + summary if summary else ''})"


def downloaded(record: Job) -> Document:
    """The finished job's file, to send; records the document's trail event (the download is the view)."""
    made = record.payload.get(FILE_KEY) or {}
    trail = made.get("trail")
    if trail:
        action, object_type, object_id, details = trail
        record_event(action, object_type=object_type, object_id=object_id, details=details)
    return Document(
        name=record.file_name or "document",
        content=record.file_content or b"",
        mimetype=record.file_mimetype or "application/octet-stream",
    )
