"""Uploaded files kept between the check step and the coordinator's confirmation."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from auditapp.domain.audit_trail import record_event
from auditapp.domain.case_import import sha256_of
from auditapp.domain.errors import NotFound
from auditapp.extensions import db
from auditapp.importers import Source
from auditapp.models import PendingFile, PendingUpload
from auditapp.models.types import utcnow

KEEP_FOR = timedelta(hours=1)


def store_upload(*, user_id: int, sources: list[Source], format: str | None) -> str:  # noqa: A002
    """Keep ``sources`` for the user's confirmation; return a token naming them. Old uploads are removed."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - KEEP_FOR))
    upload = PendingUpload(token=secrets.token_urlsafe(32), user_id=user_id, format=format,
                           files=[PendingFile(position=i, name=s.name, data=s.data) for i, s in enumerate(sources)])
    db.session.add(upload)
    db.session.flush()
    # The files hold children's records until the import is confirmed or cancelled: their keeping is audited too.
    record_event("upload_stored", object_type="pending_upload", object_id=upload.id,
                 details={"files": [s.name for s in sources], "sha256": sha256_of(sources), "format": format})
    return upload.token


def load_upload(*, token: str, user_id: int) -> tuple[list[Source], str | None]:
    """The files of the user's pending upload. Raises NotFound when it expired or belongs to someone else."""
    upload = db.session.scalar(select(PendingUpload).where(PendingUpload.token == token,
                                                           PendingUpload.user_id == user_id))
    if upload is None or upload.created_at < utcnow() - KEEP_FOR:
        raise NotFound("This upload has expired: upload the file again")
    return [Source(f.name, f.data) for f in upload.files], upload.format


def discard_upload(*, token: str) -> None:
    upload = db.session.scalar(select(PendingUpload).where(PendingUpload.token == token))
    if upload is not None:
        record_event("upload_discarded", object_type="pending_upload", object_id=upload.id)
        db.session.delete(upload)
        db.session.flush()
