"""An admin (and the command line) loads audit tools written as spreadsheets: upload, check what changed, save; an
unchanged export saves nothing; a bad sheet is listed cell by cell and stores nothing."""

from __future__ import annotations

import copy
import io
import json

from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.models import AuditEvent, ToolVersion
from auditapp.tools import builtin_tool, tool_to_json
from auditapp.tools.xlsform import tool_to_workbook, workbook_to_definition
from tests.conftest import csrf_token, soup

KEY = "multi_agency_case_file_audit"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(ToolVersion))


def _newest() -> dict:
    return tool_to_json(builtin_tool(key=KEY))


def _edited() -> dict:
    """The newest shipped version, edited as a coordinator would: a new version with a question reworded,
    one removed and one added."""
    data = copy.deepcopy(_newest())
    data["version"] += 1
    first = data["sections"][1]["questions"]
    first[0]["text"] = "What did the child say about their life?"
    referred = {q[c]["question"] for s in data["sections"] for q in s["questions"] for c in q if c.endswith("_when")}
    removed = next(q for q in reversed(first[1:]) if q["id"] not in referred)
    first.remove(removed)
    first.append({"id": "child_drawing_used", "text": "Were drawings or play used to hear the child?", "type": "text"})
    return data | {"_removed": removed["id"]}


def _upload(client, data: bytes, name: str = "tool.xlsx", *, token: bool = True):
    form = {"definition": (io.BytesIO(data), name)}
    if token:
        form["csrf_token"] = csrf_token(client, "/admin/tools/load")
    return client.post("/admin/tools/load", content_type="multipart/form-data", data=form)


def test_admin_uploads_a_sheet_sees_the_changes_and_saves_a_new_version(client_for):
    admin = client_for("admin")
    edited = _edited()
    removed = edited.pop("_removed")
    check = _upload(admin, tool_to_workbook(edited))
    assert check.status_code == 200
    page = soup(check)
    assert page.select_one("#status")["data-status"] == "new_version"
    assert "What did the child say about their life?" in page.select_one("#questions-reworded").get_text()
    assert "child_drawing_used" in page.select_one("#questions-added").get_text()
    assert removed in page.select_one("#questions-removed").get_text()
    assert _stored() == 0  # checking stores nothing
    button = page.select_one(
        "form[action$='/admin/tools/save'] button, form[action$='/admin/tools/save'] input[type=submit]"
    )
    assert f"Save as version {edited['version']}" in (button.get_text() or button.get("value", ""))
    save_form = page.select_one("form[action$='/admin/tools/save']")
    fields = {i["name"]: i.get("value", "") for i in save_form.select("input[name]")}
    saved = admin.post("/admin/tools/save", data=fields)
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/admin/tools/{KEY}/{edited['version']}")
    stored = db.session.scalar(select(ToolVersion).where(ToolVersion.version == edited["version"]))
    assert stored.definition == edited
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tool_version_loaded"))
    assert event.details["source"] == "spreadsheet" and event.details["version"] == edited["version"]
    rows = soup(admin.get("/admin/tools")).select("tbody tr")
    mine = [r for r in rows if r.select("td")[1].get_text(strip=True) == str(edited["version"])]
    assert mine and "Loaded" in mine[0].get_text()
    assert admin.post("/admin/tools/save", data=fields).status_code == 400  # the same save twice: refused
    assert _stored() == 1


def test_an_unchanged_export_says_so_and_cannot_be_saved(client_for):
    admin = client_for("admin")
    export = admin.get(f"/admin/tools/{KEY}/2/spreadsheet")
    assert export.status_code == 200 and export.mimetype == XLSX
    assert workbook_to_definition(export.data, name="x.xlsx") == builtin_tool(key=KEY, version=2).definition
    page = soup(_upload(admin, export.data))
    assert page.select_one("#status")["data-status"] == "unchanged"
    assert "nothing to load" in page.select_one("#status").get_text()
    assert page.select_one("form[action$='/admin/tools/save']") is None
    renumbered = _newest() | {"version": 99}
    page = soup(_upload(admin, tool_to_workbook(renumbered)))
    assert page.select_one("#status")["data-status"] == "same_content"
    assert "No change from version" in page.select_one("#status").get_text()
    assert _stored() == 0
    downloaded = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tool_exported"))
    assert downloaded.details["format"] == "xlsx"


def test_a_sheet_with_problems_is_a_400_listing_sheet_row_and_column(client_for):
    admin = client_for("admin")
    data = _edited()
    data.pop("_removed")
    data["sections"][0]["questions"][1]["show_when"] = {"question": "child_drawing_used", "in": ["yes"]}
    response = _upload(admin, tool_to_workbook(data))
    assert response.status_code == 400
    summary = soup(response).select_one(".govuk-error-summary").get_text()
    assert "questions sheet, row 4, column relevant: ${child_drawing_used} is not a question earlier" in summary
    not_a_sheet = _upload(admin, b"just some text", "tool.xlsx")
    assert not_a_sheet.status_code == 400
    assert "not an Excel workbook" in soup(not_a_sheet).select_one(".govuk-error-summary").get_text()
    assert _stored() == 0


def test_a_json_definition_still_loads_and_the_json_download_matches(client_for):
    admin = client_for("admin")
    download = admin.get(f"/admin/tools/{KEY}/2/json")
    assert download.status_code == 200 and json.loads(download.data) == builtin_tool(key=KEY, version=2).definition
    page = soup(admin.get(f"/admin/tools/{KEY}/2"))
    links = [a.get_text(" ", strip=True) for a in page.select("#downloads a")]
    assert links[0].startswith("Download as spreadsheet") and links[1].startswith("Download as JSON")
    data = _edited()
    data.pop("_removed")
    check = _upload(admin, json.dumps(data).encode(), "v.json")
    assert check.status_code == 200 and soup(check).select_one("#status")["data-status"] == "new_version"
    brand_new = _upload(admin, json.dumps(data | {"key": "brand_new_tool", "version": 1}).encode(), "new.json")
    page = soup(brand_new)
    assert page.select_one("#status")["data-status"] == "new_tool" and page.select_one("#changes") is None
    assert "Save as version 1" in page.select_one("form[action$='/admin/tools/save']").get_text()


def test_the_upload_and_the_save_need_the_csrf_token(client_for):
    admin = client_for("admin")
    data = _edited()
    data.pop("_removed")
    assert _upload(admin, tool_to_workbook(data), token=False).status_code == 400
    forged = admin.post("/admin/tools/save", data={"checked_definition": json.dumps(data), "source": "json"})
    assert forged.status_code == 400
    assert _stored() == 0


def test_a_saved_definition_is_checked_again(client_for):
    admin = client_for("admin")
    data = _edited()
    data.pop("_removed")
    data["sections"][0]["questions"][0]["type"] = "no_such_type"
    token = csrf_token(admin, "/admin/tools/load")
    response = admin.post(
        "/admin/tools/save", data={"checked_definition": json.dumps(data), "source": "spreadsheet", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "unknown answer type 'no_such_type'" in soup(response).select_one(".govuk-error-summary").get_text()
    assert _stored() == 0


# ------------------------------------------------------------------------------------------------ command line


def test_cli_lists_the_tools(app):
    result = app.test_cli_runner().invoke(args=["tools", "list"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith(f"{KEY}\tv2\t"))
    assert line.endswith("\tshipped") and "\tagency_audit\t" in line


def test_cli_export_then_dry_run_says_unchanged(app, tmp_path):
    runner = app.test_cli_runner()
    sheet = tmp_path / "tool.xlsx"
    exported = runner.invoke(args=["tools", "export", KEY, "--version", "2", "-o", str(sheet)])
    assert exported.exit_code == 0, exported.output
    dry = runner.invoke(args=["tools", "load", str(sheet), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Unchanged: the same as version 2, nothing to load" in dry.output
    as_json = tmp_path / "tool.json"
    assert runner.invoke(args=["tools", "export", KEY, "-o", str(as_json)]).exit_code == 0
    assert json.loads(as_json.read_text()) == _newest()
    assert _stored() == 0


def test_cli_load_of_an_edited_sheet_prints_the_changes_and_stores_it(app, tmp_path):
    runner = app.test_cli_runner()
    edited = _edited()
    removed = edited.pop("_removed")
    sheet = tmp_path / "edited.xlsx"
    sheet.write_bytes(tool_to_workbook(edited))
    dry = runner.invoke(args=["tools", "load", str(sheet), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Question added: Were drawings or play used to hear the child? (child_drawing_used)" in dry.output
    assert "Question removed:" in dry.output and f"({removed})" in dry.output
    assert "Question reworded (wording)" in dry.output and "Dry run: nothing stored" in dry.output
    assert _stored() == 0
    loaded = runner.invoke(args=["tools", "load", str(sheet)])
    assert loaded.exit_code == 0, loaded.output
    assert f"Stored {KEY} version {edited['version']}" in loaded.output
    assert _stored() == 1
    again = runner.invoke(args=["tools", "load", str(sheet)])
    assert again.exit_code == 0 and "nothing to load" in again.output


def test_cli_load_of_a_bad_sheet_lists_cells_and_exits_1(app, tmp_path):
    edited = _edited()
    edited.pop("_removed")
    edited["sections"][0]["questions"][0]["type"] = "yesno"
    sheet = tmp_path / "bad.xlsx"
    sheet.write_bytes(tool_to_workbook(edited))
    result = app.test_cli_runner().invoke(args=["tools", "load", str(sheet)])
    assert result.exit_code == 1
    assert "questions sheet, row 3, column type: unknown type 'yesno'" in result.output
    assert _stored() == 0
