"""The case import as a background job, so a large file shows its progress instead of a frozen page."""

from __future__ import annotations

from typing import Any

from auditapp.domain.case_import import apply_import, plan_parsed
from auditapp.domain.uploads import discard_upload, load_upload
from auditapp.jobs import Progress, job


@job("case_import")
def run_case_import(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    """Import a confirmed upload: every row or none (the job's transaction), then forget the upload.

    The records are those read when the files were uploaded: the files are not parsed again.
    """
    pending = load_upload(token=payload["token"], user_id=payload["user_id"])
    plan = plan_parsed(pending.parsed, sha256=pending.sha256, full_return=pending.full_return, period=pending.period)
    apply_import(plan, progress=progress)
    discard_upload(token=payload["token"])
    return plan.summary(), "cases.history"
