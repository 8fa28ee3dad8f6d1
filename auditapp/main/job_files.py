"""The file a finished document job made (issue 16: PDFs are made in the worker, never in a request), for the
person who asked only. Each download records the document's trail event (``reports.document_jobs.downloaded``).

On the main blueprint (``main.routes.bp``); imported in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import Response, abort

from auditapp.main.routes import bp, own_job
from auditapp.models import Job, Role
from auditapp.reports.document_jobs import downloaded, has_file
from auditapp.security.access import requires_role


@bp.route("/jobs/<int:job_id>/file")
@requires_role(*Role, check=own_job)
def job_file(job: Job):
    """The document as an attachment; 404 until it is made (and for a job that makes no file)."""
    if not has_file(job):
        abort(404)
    made = downloaded(job)
    return Response(
        made.content,
        mimetype=made.mimetype,
        headers={"Content-Disposition": f"attachment; filename={made.name}", "Cache-Control": "no-store"},
    )
