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


def _own_job(user, job: Job, **_objects) -> bool:
    return job.user_id == user.id


register_loader("job_id", Job)


@bp.route("/jobs/<int:job_id>")
@requires_role(*Role, check=_own_job)
def job_status(job: Job):
    from auditapp.jobs import progress_of

    done, total = progress_of(job)
    return render_template("main/job.html", job=job, done=done, total=total)


@bp.route("/jobs/<int:job_id>.json")
@requires_role(*Role, check=_own_job)
def job_status_json(job: Job):
    """The job's state for the status page's script (the page also works without it: "Refresh now")."""
    from auditapp.jobs import progress_of

    done, total = progress_of(job)
    return jsonify(status=job.status, done=done, total=total)


@bp.route("/healthz")
@public
def healthz():
    overview.database_answers()
    return jsonify(status="ok")


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")
