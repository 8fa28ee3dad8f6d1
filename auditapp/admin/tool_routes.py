"""Admin: audit tool versions. List them, preview one, download it (spreadsheet or JSON), and load a new version:
upload, check and compare with the newest version, then save.

Between the check and the save the upload travels as the checked definition's canonical JSON in a hidden field of
the save form (admins only, behind CSRF), and is checked again in full on save: nothing is trusted from the page.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from auditapp.admin.forms import ToolSaveForm, ToolUploadForm
from auditapp.admin.routes import admin_only, bp
from auditapp.domain.errors import DomainError
from auditapp.domain.tool_versions import (
    ToolPreview,
    all_tools,
    export_tool,
    get_tool,
    preview_tool_upload,
    save_tool_upload,
)
from auditapp.tools import ToolDefinitionError, builtin_tools, tool_fingerprint

_FORMATS = {"xlsx": ("spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
_FORMATS["json"] = ("JSON", "application/json")


@bp.route("/tools")
@admin_only
def tools() -> str:
    shipped = {(t.key, t.version) for t in builtin_tools()}
    rows = [(t, tool_fingerprint(t), (t.key, t.version) in shipped) for t in all_tools()]
    return render_template("admin/tools.html", tools=rows)


def _problems_page(form: ToolUploadForm, problems: list[str]) -> tuple[str, int]:
    return render_template("admin/tool_load.html", form=form, problems=problems), 400


@bp.route("/tools/load", methods=["GET", "POST"])
@admin_only
def tool_load() -> str | tuple[str, int]:
    form = ToolUploadForm()
    if not form.validate_on_submit():
        return render_template("admin/tool_load.html", form=form, problems=[]), 400 if form.errors else 200
    upload = request.files.get("definition")
    if upload is None or not upload.filename:
        return _problems_page(form, ["Select the tool's spreadsheet (.xlsx) or JSON definition (.json)"])
    try:
        preview = preview_tool_upload(data=upload.read(), name=upload.filename)
    except ToolDefinitionError as error:
        return _problems_page(form, list(error.errors))
    return _check_page(preview)


def _check_page(preview: ToolPreview) -> str:
    save = ToolSaveForm(formdata=None, checked_definition=preview.canonical, source=preview.source)
    save.submit.label.text = f"Save as version {preview.tool.version}"
    return render_template("admin/tool_check.html", preview=preview, tool=preview.tool, form=save)


@bp.route("/tools/save", methods=["POST"])
@admin_only
def tool_save() -> Response | tuple[str, int]:
    form = ToolSaveForm()
    if not form.validate_on_submit():
        return _problems_page(ToolUploadForm(), ["Upload the tool again: the check has expired"])
    source = form.source.data if form.source.data in ("spreadsheet", "json") else "json"
    try:
        preview = save_tool_upload(data=form.checked_definition.data, name="checked definition", source=source)
    except ToolDefinitionError as error:
        return _problems_page(ToolUploadForm(), list(error.errors))
    except DomainError as error:
        return _problems_page(ToolUploadForm(), [error.message])
    tool = preview.tool
    flash(f"Saved {tool.title} version {tool.version}. New rounds use it; started rounds keep theirs.")
    return redirect(url_for("admin.tool_preview", key=tool.key, version=tool.version))


@bp.route("/tools/<key>/<int:version>")
@admin_only
def tool_preview(key: str, version: int) -> str:
    try:
        tool = get_tool(key=key, version=version)
    except DomainError:
        abort(404)
    return render_template("admin/tool_preview.html", tool=tool)


# One address per format, the format as a rule default: a link names what it downloads, and nothing else matches.
@bp.route("/tools/<key>/<int:version>/spreadsheet", defaults={"file_format": "xlsx"})
@bp.route("/tools/<key>/<int:version>/json", defaults={"file_format": "json"})
@admin_only
def tool_download(key: str, version: int, file_format: str) -> Response:
    try:
        content, filename = export_tool(key=key, version=version, spreadsheet=file_format == "xlsx")
    except DomainError:
        abort(404)
    mimetype = _FORMATS[file_format][1]
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)
