"""The QA coordinator's case population: import (upload, check, confirm), history, list, case page, export.

The mapping of workers and teams to localities has its pages in ``mapping_routes``."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.cases import jobs as _jobs  # noqa: F401 - registers the import job
from auditapp.cases.blueprint import bp, coordinator
from auditapp.cases.forms import ConfirmImportForm, UploadForm
from auditapp.domain import cases as case_domain
from auditapp.domain.case_import import parse_upload, upload_limits
from auditapp.domain.errors import NotFound
from auditapp.domain.uploads import discard_upload, find_upload, store_upload, view_check
from auditapp.forms import page_number
from auditapp.importers import ImportFailed, Source
from auditapp.jobs import submit
from auditapp.models import STATUS_LABELS, Case


@bp.route("/")
@coordinator
def index():
    filters = case_domain.CaseFilter.from_args(request.args)
    page = case_domain.list_cases(filters=filters, page=page_number(request.args.get("page")))
    return render_template(
        "cases/index.html",
        page=page,
        filters=filters,
        options=case_domain.filter_options(),
        status_labels=STATUS_LABELS,
        return_filters=case_domain.RETURN_FILTERS,
    )


@bp.route("/<int:case_id>")
@coordinator
def show(case: Case):
    return render_template("cases/show.html", case=case_domain.view_case(case_id=case.id))


@bp.route("/import", methods=["GET", "POST"])
@coordinator
def upload():
    form = UploadForm()
    failure = None
    if form.validate_on_submit():
        sources = [Source(f.filename, f.read()) for f in form.files.data if f.filename]
        try:  # the one parse of these files: the check page and the import job use what it read
            parsed = parse_upload(
                sources,
                format=form.format.data or None,
                max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
                limits=upload_limits(current_app.config),
            )
        except ImportFailed as error:
            failure = error
        else:
            token = store_upload(
                user_id=current_user.id,
                sources=sources,
                format=form.format.data or None,
                parsed=parsed,
                full_return=bool(form.full_return.data),
                period=form.period.data if form.full_return.data else None,
            )
            return redirect(url_for("cases.check", token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("cases/upload.html", form=form, failure=failure), status


@bp.route("/import/<token>", methods=["GET", "POST"])
@coordinator
def check(token: str):
    """Show what the upload would change; confirming starts the import as a background job."""
    confirm = ConfirmImportForm()
    try:
        find_upload(token=token, user_id=current_user.id)
    except NotFound as error:
        flash(error.message)
        return redirect(url_for("cases.upload"))
    if request.method == "POST" and confirm.validate_on_submit():
        if request.form.get("cancel"):
            discard_upload(token=token)
            flash("Import cancelled: nothing was imported")
            return redirect(url_for("cases.upload"))
        record = submit(
            kind="case_import", payload={"token": token, "user_id": current_user.id}, user_id=current_user.id
        )
        return redirect(url_for("main.job_status", job_id=record.id))
    try:
        plan = view_check(token=token, user_id=current_user.id)  # an audit event: the page lists case references
    except NotFound as error:
        flash(error.message)
        return redirect(url_for("cases.upload"))
    return render_template(
        "cases/check.html", plan=plan, confirm=confirm, token=token, field_labels=case_domain.FIELD_LABELS
    )


@bp.route("/imports")
@coordinator
def history():
    return render_template("cases/history.html", batches=case_domain.import_history())


@bp.route("/export.csv")
@coordinator
def export():
    return Response(
        case_domain.export_population(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=case-population.csv"},
    )
