"""The mapping of workers and teams to localities: see it, upload it (CSV/XLSX), change or remove a row."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from auditapp.cases.blueprint import bp, coordinator
from auditapp.cases.forms import MappingRowForm, MappingUploadForm, RemoveMappingForm
from auditapp.domain import case_mapping
from auditapp.domain.errors import DomainError, NotFound
from auditapp.forms import add_domain_error, int_or_none
from auditapp.importers import ImportFailed, Source
from auditapp.importers.mapping import parse_mapping


def _changed(count: int) -> str:
    return f"{count:,} case{'' if count == 1 else 's'} changed"


def _page(*, status: int = 200, **forms: Any) -> tuple[str, int]:
    upload_form = forms.pop("upload_form", None) or MappingUploadForm(formdata=None)
    row_form = forms.pop("row_form", None) or MappingRowForm(formdata=None)
    failed = forms.pop("form", None)
    html = render_template(
        "cases/mapping.html",
        summary=case_mapping.mapping_summary(),
        upload_form=upload_form,
        row_form=row_form,
        form=failed,  # the form that failed, for the error summary
        **forms,
    )
    return html, status


@bp.route("/mapping")
@coordinator
def mapping():
    return _page()


@bp.route("/mapping/upload", methods=["POST"])
@coordinator
def mapping_upload():
    form = MappingUploadForm()
    if not form.validate_on_submit():
        return _page(upload_form=form, form=form, status=400)
    upload = form.file.data
    try:
        rows = parse_mapping(Source(upload.filename, upload.read()), max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    except ImportFailed as failure:
        form.file.errors = [f"{failure}: nothing has been changed. Correct the file and upload it again"]
        return _page(upload_form=form, form=form, failure=failure, status=400)
    changed = case_mapping.replace_mapping(rows, file_name=upload.filename)
    flash(f"Mapping uploaded: {len(rows):,} row{'' if len(rows) == 1 else 's'}, {_changed(changed)}", "success")
    return redirect(url_for("cases.mapping"))


@bp.route("/mapping/row", methods=["POST"])
@coordinator
def mapping_row():
    form = MappingRowForm()
    if form.validate_on_submit():
        try:
            changed = case_mapping.save_mapping_row(
                worker=form.worker.data, team=form.team.data, locality=form.locality.data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Mapping saved: {_changed(changed)}", "success")
            return redirect(url_for("cases.mapping"))
    return _page(row_form=form, form=form, status=400)


@bp.route("/mapping/remove", methods=["GET", "POST"])
@coordinator
def mapping_remove():
    """The confirmation page for removing one row (``?row=``), and its POST."""
    form = RemoveMappingForm()
    row_id = int_or_none(form.row.data if request.method == "POST" else request.args.get("row"))
    try:
        row = case_mapping.get_mapping_row(row_id) if row_id is not None else None
    except NotFound as error:
        row = None
        flash(error.message)
    if row is None:
        return redirect(url_for("cases.mapping"))
    if form.validate_on_submit():
        changed = case_mapping.remove_mapping_row(mapping_id=row.id)
        flash(f"Row removed from the mapping: {_changed(changed)}", "success")
        return redirect(url_for("cases.mapping"))
    form.row.data = str(row.id)
    return render_template("cases/mapping_remove.html", row=row, form=form), 400 if form.is_submitted() else 200


@bp.route("/mapping.csv")
@coordinator
def mapping_download():
    return Response(
        case_mapping.mapping_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=worker-team-locality-mapping.csv"},
    )
