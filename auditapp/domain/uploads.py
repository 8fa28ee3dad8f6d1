"""Uploaded files kept between the check step and the coordinator's confirmation.

The files are parsed once, when they are uploaded: the records are kept with the upload (``encode_parsed``: JSON,
zlib-compressed; never pickle, which would run code on loading), and the check page and the import job use them
without parsing the files again.
"""

from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from auditapp.domain.case_import import ImportPlan, plan_parsed, sha256_of
from auditapp.domain.errors import NotFound
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers import CASE_FIELDS, CaseRecord, ParseResult, Source
from auditapp.importers.records import DATE_FIELDS
from auditapp.models import PendingFile, PendingUpload
from auditapp.models.types import utcnow

KEEP_FOR = timedelta(hours=1)
PARSED_VERSION = 1
_DATE_POSITIONS = tuple(i for i, name in enumerate(CASE_FIELDS) if name in DATE_FIELDS)
_EXPIRED = "This upload has expired: upload the file again"


@dataclass
class PendingImport:
    """A pending upload as the check page and the import job need it: the records parsed from its files."""

    id: int
    sha256: str
    parsed: ParseResult
    full_return: bool = False
    period: str | None = None


def _iso(value: date | None) -> str | None:
    if isinstance(value, datetime):  # not expected (the parsers give dates), but a date column keeps only the day
        value = value.date()
    return None if value is None else value.isoformat()


def encode_parsed(parsed: ParseResult) -> bytes:
    """The parse result as zlib-compressed JSON, a list of values per field of CASE_FIELDS (dates as ISO text).

    By column rather than by record: 100,000 records encode in about a second and compress to well under 1 MB.
    """
    columns: list[list[Any]] = [list(values) for values in zip(*parsed.records, strict=True)] or [
        [] for _ in CASE_FIELDS
    ]
    for i in _DATE_POSITIONS:
        columns[i] = [_iso(value) for value in columns[i]]
    payload = {
        "version": PARSED_VERSION,
        "format": parsed.format,
        "files": parsed.files,
        "skipped": parsed.skipped,
        "fields": list(CASE_FIELDS),
        "columns": columns,
    }
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)


def decode_parsed(data: bytes) -> ParseResult:
    """The parse result ``encode_parsed`` wrote. Raises NotFound when it was written for other record fields."""
    payload: dict[str, Any] = json.loads(zlib.decompress(data))
    if payload.get("version") != PARSED_VERSION or payload.get("fields") != list(CASE_FIELDS):
        raise NotFound(_EXPIRED)  # written by another version of the service
    columns = payload["columns"]
    read_date = date.fromisoformat
    for i in _DATE_POSITIONS:
        columns[i] = [None if value is None else read_date(value) for value in columns[i]]
    records = list(map(CaseRecord._make, zip(*columns, strict=True)))
    return ParseResult(payload["format"], payload["files"], records, skipped=payload["skipped"])


def store_upload(
    *,
    user_id: int,
    sources: list[Source],
    format: str | None,
    parsed: ParseResult,
    full_return: bool = False,
    period: str | None = None,
) -> str:
    """Keep ``sources`` and what they were ``parsed`` into for the user's confirmation; return a token naming them.

    ``full_return`` (with its ``period``) says the files hold every case of their format. Old uploads are removed.
    """
    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - KEEP_FOR))
    sha256 = sha256_of(sources)
    upload = PendingUpload(
        token=secrets.token_urlsafe(32),
        user_id=user_id,
        format=format,
        sha256=sha256,
        parsed=encode_parsed(parsed),
        full_return=full_return,
        period=(period or "").strip()[:60] or None,
        files=[PendingFile(position=i, name=s.name, data=s.data) for i, s in enumerate(sources)],
    )
    db.session.add(upload)
    db.session.flush()
    # The files hold children's records until the import is confirmed or cancelled: their keeping is audited too.
    record_event(
        "upload_stored",
        object_type="pending_upload",
        object_id=upload.id,
        details={
            "files": [s.name for s in sources],
            "sha256": sha256,
            "format": format,
            "records": len(parsed.records),
            "full_return": full_return,
        },
    )
    return upload.token


def find_upload(*, token: str, user_id: int) -> PendingUpload:
    """The user's pending upload (its records not loaded). Raises NotFound when it expired or is someone else's."""
    upload = db.session.scalar(
        select(PendingUpload).where(PendingUpload.token == token, PendingUpload.user_id == user_id)
    )
    # No sha256: stored before uploads were parsed once, so there are no records to use.
    if upload is None or upload.created_at < utcnow() - KEEP_FOR or upload.sha256 is None:
        raise NotFound(_EXPIRED)
    return upload


def load_upload(*, token: str, user_id: int) -> PendingImport:
    """The records parsed from the user's pending upload. Raises NotFound when it expired or is someone else's."""
    upload = find_upload(token=token, user_id=user_id)
    if upload.parsed is None:
        raise NotFound(_EXPIRED)
    return PendingImport(
        id=upload.id,
        sha256=upload.sha256 or "",
        parsed=decode_parsed(upload.parsed),
        full_return=upload.full_return,
        period=upload.period,
    )


def view_check(*, token: str, user_id: int) -> ImportPlan:
    """What confirming the user's pending upload would change, for the check page; the viewing is audited.

    The page lists children's case references, so each view is an audit event (with counts, not case data).
    """
    pending = load_upload(token=token, user_id=user_id)
    plan = plan_parsed(pending.parsed, sha256=pending.sha256, full_return=pending.full_return, period=pending.period)
    record_event(
        "import_check_viewed",
        object_type="pending_upload",
        object_id=pending.id,
        details={
            "files": plan.files,
            "skipped_files": plan.skipped_files,
            "format": plan.format,
            "records": len(plan.records),
            "new": len(plan.new),
            "updated": len(plan.updated),
            "unchanged": plan.unchanged,
            "not_in_return": len(plan.not_in_return),
            "back_in_return": len(plan.back_in_return),
        },
    )
    return plan


def discard_upload(*, token: str) -> None:
    upload = db.session.scalar(select(PendingUpload).where(PendingUpload.token == token))
    if upload is not None:
        record_event("upload_discarded", object_type="pending_upload", object_id=upload.id)
        db.session.delete(upload)
        db.session.flush()
