"""Documents made by the worker (issue 16): a draft Board report, a feedback letter, a 7-minute briefing, the
action plan. The web request never renders a PDF: a view asks for a document (``request_document``), which is a
job; the job's status page shows progress and then offers the file (``Job.file_content``).

HOOK(worker-helper): implement the "document" job and the download. Other parts register their documents with
``@document(kind)`` and ask for them with ``request_document``; keep these signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
    raise NotImplementedError
