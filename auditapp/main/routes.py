"""Home page (each role's task list), health check and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain import overview
from auditapp.main.home import home_tasks
from auditapp.models import Job, Role
from auditapp.security.access import public, register_loader, requires_role, signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return redirect(url_for("main.home" if current_user.is_authenticated else "auth.sign_in"))


@bp.route("/home")
@signed_in
def home():
    return render_template("main/home.html", tasks=home_tasks(current_user))


def own_job(user, job: Job, **_objects) -> bool:
    return job.user_id == user.id


JOB_TITLES = {"case_import": "Importing cases", "report_publish": "Building the report"}


def job_page(job: Job) -> dict[str, object]:
    """What the status page says of a job besides its state: its title, the attempt it is on (once retried, "Attempt
    2 of 3"), and for a finished document the download link's words."""
    from auditapp.jobs import MAX_ATTEMPTS
    from auditapp.reports.document_jobs import describe_file, has_file, is_document, title_of

    return {
        "job_title": title_of(job) if is_document(job) else JOB_TITLES.get(job.kind, "Working"),
        "attempt": f"Attempt {job.attempts} of {MAX_ATTEMPTS}" if job.attempts > 1 else None,
        "download": describe_file(job) if has_file(job) else None,
    }


register_loader("job_id", Job)


@bp.route("/jobs/<int:job_id>")
@requires_role(*Role, check=own_job)
def job_status(job: Job):
    from auditapp.jobs import progress_of

    done, total = progress_of(job)
    return render_template("main/job.html", job=job, done=done, total=total, **job_page(job))


@bp.route("/jobs/<int:job_id>.json")
@requires_role(*Role, check=own_job)
def job_status_json(job: Job):
    """The job's state for the status page's script (the page also works without it: "Refresh now")."""
    from auditapp.jobs import progress_of

    done, total = progress_of(job)
    return jsonify(status=job.status, done=done, total=total, attempt=job_page(job)["attempt"])


@bp.route("/healthz")
@public
def healthz():
    overview.database_answers()
    return jsonify(status="ok")


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")
