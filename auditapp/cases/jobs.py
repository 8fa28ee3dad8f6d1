"""The case import as a background job, so a large file shows its progress instead of a frozen page."""

from __future__ import annotations

from typing import Any

from flask import current_app

from auditapp.domain.case_import import apply_import, plan_import
from auditapp.domain.uploads import discard_upload, load_upload
from auditapp.jobs import Progress, job


@job("case_import")
def run_case_import(payload: dict[str, Any], progress: Progress) -> tuple[str, str | None]:
    """Import a confirmed upload: every row or none (the job's transaction), then forget the upload."""
    sources, format_ = load_upload(token=payload["token"], user_id=payload["user_id"])
    plan = plan_import(sources, format=format_, max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    apply_import(plan, progress=progress)
    discard_upload(token=payload["token"])
    return plan.summary(), "cases.history"
