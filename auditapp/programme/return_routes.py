"""Issue 17: single-agency audit returns, for the QA coordinator (any agency) and each agency's quality lead (their
own agency only): the list of the last four quarters, the form (record or correct a return), the upload of a sheet
of returns and its blank template (auditapp/programme/returns.py, return_upload.py).

Access: anyone else, whatever their role, gets 403 on every page here; a quality lead opening another agency's
return gets 404 (the page of an object they may not see). The upload is a single POST: every row is checked, then
all are recorded with a summary ("3 returns recorded, 1 corrected"), or none, with the list of problems.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain.case_import import upload_limits
from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter, return_due_date, uk_date
from auditapp.forms import add_domain_error
from auditapp.importers import ImportFailed, Source
from auditapp.models import Agency, Role
from auditapp.models.types import utcnow
from auditapp.programme import returns as domain
from auditapp.programme.blueprint import bp
from auditapp.programme.return_forms import ReturnForm, ReturnsUploadForm
from auditapp.programme.return_upload import record_sheet, template_xlsx
from auditapp.security.access import signed_in
from auditapp.vocabulary import ReturnSource


def quality_lead_or_coordinator(view: Callable) -> Callable:
    """Signed-in QA coordinators and agencies' quality leads (403 for anyone else); with an agency in the URL,
    one the user may record for (404 otherwise: another agency's return is not theirs to see)."""

    @wraps(view)
    def checked(**objects: Any) -> Any:
        if not domain.may_record_some(current_user):
            abort(403)
        agency = objects.get("agency")
        if agency is not None and not domain.may_record(current_user, agency):
            abort(404)
        return view(**objects)

    wrapper = signed_in(checked)  # sign-in first, then the objects are loaded (a missing agency is a 404)
    wrapper.access_rule = ("qa_coordinator", "quality_lead")  # type: ignore[attr-defined]
    return wrapper


def _today() -> date:
    return uk_date(utcnow())


@bp.route("/returns")
@quality_lead_or_coordinator
def returns():
    return render_template(
        "programme/returns.html",
        overview=domain.overview(current_user, today=_today()),
        coordinator=current_user.role == Role.QA_COORDINATOR,
    )


def _quarter(key: str, today: date) -> Quarter:
    try:
        quarter = Quarter.parse(key)
        domain.check_quarter(quarter, today)
    except (ValueError, DomainError):
        abort(404)  # only links to open quarters are offered
    return quarter


def _fill(form: ReturnForm, record) -> None:
    form.audited.data = record.audited
    for grade, count in record.grade_counts().items():
        getattr(form, grade).data = count
    form.themes.data = "\n".join(record.themes or [])
    form.known_themes.data = []
    form.key_learning.data = record.key_learning
    form.version.data = str(record.version)


@bp.route("/returns/<int:agency_id>/<quarter_key>", methods=["GET", "POST"])
@quality_lead_or_coordinator
def return_form(agency: Agency, quarter_key: str):
    today = _today()
    quarter = _quarter(quarter_key, today)
    record = domain.find_return(agency.id, quarter)
    form = ReturnForm()
    form.fill(domain.known_themes())
    if not form.is_submitted() and record is not None:
        _fill(form, record)
    conflict = None
    if form.validate_on_submit():
        try:
            result = domain.record_return(
                agency=agency,
                quarter=quarter,
                values=form.values(),
                user=current_user,
                source=ReturnSource.FORM,
                today=today,
                version=form.version_number,
            )
        except domain.ReturnInvalid as error:
            for field, message in error.problems.items():
                add_domain_error(form, DomainError(message, field=field))
        except domain.ReturnConflict as error:
            conflict = error.message  # the stored return is shown above the form; the user's answers stay in it
            form.audited.errors = [error.message]  # the error summary links to the form's first field
            form.version.data = str(record.version) if record else ""
        except DomainError as error:
            add_domain_error(form, error)
        else:
            what = "recorded" if result.created else ("corrected" if result.changed else "unchanged")
            flash(f"{agency.name}'s return for {quarter.label} {what}", "success")
            return redirect(url_for("programme.returns"))
    page = render_template(
        "programme/returns_form.html",
        form=form,
        agency=agency,
        quarter=quarter,
        record=record,
        conflict=conflict,
        due=return_due_date(quarter),
        status=domain.status(quarter, received=record is not None, today=today),
        learning_max=domain.LEARNING_MAX,
    )
    return page, 400 if form.is_submitted() else 200


@bp.route("/returns/upload", methods=["GET", "POST"])
@quality_lead_or_coordinator
def returns_upload():
    form = ReturnsUploadForm()
    failure = None
    if form.validate_on_submit():
        upload = form.file.data
        source = Source(upload.filename, upload.read())
        try:
            summary = record_sheet(
                source,
                user=current_user,
                today=_today(),
                max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
                limits=upload_limits(current_app.config),
            )
        except ImportFailed as error:
            failure = error
        except DomainError as error:  # recorded by someone else while the sheet was being read
            form.file.errors = [error.message]
        else:
            flash(f"{source.name}: {summary}", "success")
            return redirect(url_for("programme.returns"))
    status = 400 if form.is_submitted() else 200
    return render_template("programme/returns_upload.html", form=form, failure=failure), status


@bp.route("/returns/template.xlsx")
@quality_lead_or_coordinator
def returns_template():
    return Response(
        template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=single-agency-returns.xlsx"},
    )
