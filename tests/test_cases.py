"""Importing the case population through the web and the command line, with the database."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.importers import Source
from auditapp.models import AuditEvent, Case, ImportBatch, PendingUpload
from tests.conftest import csrf_token, soup
from tests.factories import case_rows, generic_csv, make_cases
from tests.importers.test_bad_inputs import CORPUS


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def upload(client, files: list[tuple[str, bytes]], format_: str = ""):
    token = csrf_token(client, "/cases/import")
    data = {"csrf_token": token, "format": format_, "files": [(io.BytesIO(data), name) for name, data in files]}
    return client.post("/cases/import", data=data, content_type="multipart/form-data")


def test_coordinator_uploads_checks_and_confirms_an_import(client_for, org, users):
    client = client_for("qa_coordinator")
    response = upload(client, [("population.csv", generic_csv(case_rows(3)))])
    assert response.status_code == 302 and "/cases/import/" in response.headers["Location"]
    assert count(Case) == 0  # nothing imported before confirmation
    check = client.get(response.headers["Location"])
    rows = {
        r.dt.get_text(strip=True): r.dd.get_text(strip=True) for r in soup(check).select(".govuk-summary-list__row")
    }
    assert rows["New cases"] == "3" and rows["Cases unchanged"] == "0"
    token = csrf_token(client, response.headers["Location"])
    done = client.post(response.headers["Location"], data={"csrf_token": token})
    assert done.status_code == 302 and "/jobs/" in done.headers["Location"]
    status = soup(client.get(done.headers["Location"])).get_text()
    assert "Finished" in status and "3 new, 0 updated, 0 unchanged" in status
    assert count(Case) == 3 and count(PendingUpload) == 0
    case = db.session.scalar(select(Case).where(Case.case_ref == "T00001"))
    assert case.team_id == org.cp_north.id and case.locality_id == org.north.id  # linked to the organisation
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.new_count, batch.updated_count, batch.unchanged_count) == (3, 0, 0)
    assert batch.imported_by_id == users["qa_coordinator"].id and len(batch.sha256) == 64
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cases_imported"))
    assert event.details["new"] == ["T00001", "T00002", "T00003"] and event.actor_id == users["qa_coordinator"].id
    history = soup(client.get("/cases/imports")).get_text()
    assert "population.csv" in history


def test_cancelling_an_import_writes_nothing(client_for, org):
    client = client_for("qa_coordinator")
    location = upload(client, [("population.csv", generic_csv(case_rows(2)))]).headers["Location"]
    response = client.post(location, data={"csrf_token": csrf_token(client, location), "cancel": "1"})
    assert response.status_code == 302 and count(Case) == 0 and count(PendingUpload) == 0


def test_reimporting_the_same_file_changes_nothing_and_says_so(client_for, org):
    client = client_for("qa_coordinator")
    data = generic_csv(case_rows(3))
    from auditapp.domain.case_import import apply_import, plan_import

    apply_import(plan_import([Source("population.csv", data)], max_bytes=10**7))
    location = upload(client, [("population.csv", data)]).headers["Location"]
    page = soup(client.get(location)).get_text()
    assert "These files were imported before" in page and "Importing them again changes nothing" in page


def test_a_newer_file_updates_only_what_changed(actor, org):
    from auditapp.domain.case_import import apply_import, plan_import

    apply_import(plan_import([Source("v1.csv", generic_csv(case_rows(3)))], max_bytes=10**7))
    rows = case_rows(4)
    rows[1]["status"] = "closed"
    rows[1]["closure_date"] = "2024-06-01"
    plan = plan_import([Source("v2.csv", generic_csv(rows))], max_bytes=10**7)
    assert [r.case_ref for r in plan.new] == ["T00004"]
    assert plan.updated == {"T00002": ["status", "closure_date"]} and plan.unchanged == 2
    apply_import(plan)
    assert db.session.scalar(select(Case.status).where(Case.case_ref == "T00002")) == "closed"
    assert count(Case) == 4


def test_a_bad_upload_lists_every_problem_with_its_place_and_writes_nothing(client_for, org):
    client = client_for("qa_coordinator")
    make_cases(2)
    before = (count(Case), count(ImportBatch), count(AuditEvent))
    rows = case_rows(3, start=10)
    rows[0]["referral_date"] = "31/02/2024"
    rows[2]["status"] = "sleeping"
    response = upload(client, [("bad.csv", generic_csv(rows))])
    assert response.status_code == 400
    page = soup(response)
    assert "The file could not be imported" in page.select_one(".govuk-error-summary").get_text()
    problems = [[td.get_text(strip=True) for td in tr.select("td")] for tr in page.select("tbody tr")]
    assert problems[0][:4] == ["bad.csv", "", "2", "referral_date"]
    assert problems[1][:4] == ["bad.csv", "", "4", "status"] and "sleeping" in problems[1][4]
    assert (count(Case), count(ImportBatch), count(AuditEvent)) == before
    assert count(PendingUpload) == 0


@pytest.mark.parametrize("kind", list(CORPUS))
def test_hostile_and_broken_files_fail_cleanly_through_the_web_with_nothing_written(app, client_for, org, kind):
    bad = CORPUS[kind]
    client = client_for("qa_coordinator")
    before = (count(Case), count(ImportBatch))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = bad.max_bytes
    try:
        response = upload(client, [(s.name, s.data) for s in bad.sources], bad.format or "")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code in (400, 413)
    text = soup(response).get_text()
    assert "Traceback" not in text
    if kind == "unknown_forced_format":  # the web form only offers real formats
        assert "Select the format of the file" in text and "Not a valid choice" not in text
    elif response.status_code == 400:
        assert bad.message in text
    assert (count(Case), count(ImportBatch)) == before


def test_viewing_a_case_is_an_audit_event(client_for, org, users):
    case = make_cases(1)[0]
    page = client_for("qa_coordinator").get(f"/cases/{case.id}")
    assert "Case T00001" in soup(page).h1.get_text()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_viewed"))
    assert event.object_id == str(case.id) and event.actor_id == users["qa_coordinator"].id


def test_the_case_list_filters_and_paginates(client_for, org):
    make_cases(60)
    client = client_for("qa_coordinator")
    first = soup(client.get("/cases/"))
    assert "60 cases, page 1 of 2" in first.get_text() and len(first.select("tbody tr")) == 50
    assert len(soup(client.get("/cases/?page=2")).select("tbody tr")) == 10
    cp_only = soup(client.get("/cases/?status=cp"))
    assert "10 cases" in cp_only.get_text()
    assert {tr.select("td")[1].get_text(strip=True) for tr in cp_only.select("tbody tr")} == {"Child protection plan"}


def test_names_and_addresses_in_a_file_are_never_stored(actor, org):
    from auditapp.domain.case_import import apply_import, plan_import

    rows = [dict(r, child_name="Zebedee Quill", address="1 Secret Street") for r in case_rows(2)]
    apply_import(plan_import([Source("names.csv", generic_csv(rows))], max_bytes=10**7))
    dumped = " ".join(str(v) for case in db.session.scalars(select(Case)) for v in vars(case).values())
    assert count(Case) == 2 and "Zebedee" not in dumped and "Secret Street" not in dumped


def test_export_then_import_into_an_empty_population_gives_the_same_cases(actor, org):
    from auditapp.domain.case_import import COLUMNS, apply_import, plan_import
    from auditapp.domain.cases import export_population

    rows = case_rows(6)
    rows[0]["worker"] = '=HYPERLINK("x")'
    rows[1].update(seen_alone="yes", previous_cp_plans="2", date_of_birth="2015-03-04", gender="female")
    apply_import(plan_import([Source("a.csv", generic_csv(rows))], max_bytes=10**7))

    def snapshot() -> list[tuple]:
        return [tuple(getattr(c, n) for n in COLUMNS) for c in db.session.scalars(select(Case).order_by(Case.case_ref))]

    original = snapshot()
    exported = export_population()
    assert "'=HYPERLINK" in exported  # neutralised for spreadsheets
    for case in db.session.scalars(select(Case)):
        db.session.delete(case)
    db.session.flush()
    assert count(Case) == 0
    apply_import(plan_import([Source("export.csv", exported.encode())], max_bytes=10**7))
    assert snapshot() == original


def test_cli_import_dry_run_then_import_then_failure(app, org, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(generic_csv(case_rows(3)))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["cases", "import", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "Would import good.csv: 3 new, 0 updated, 0 unchanged" in dry.output
    assert count(Case) == 0
    real = runner.invoke(args=["cases", "import", str(good)])
    assert real.exit_code == 0 and "Imported good.csv: 3 new, 0 updated, 0 unchanged" in real.output
    again = runner.invoke(args=["cases", "import", str(good)])
    assert "Imported good.csv: 0 new, 0 updated, 3 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(generic_csv(case_rows(2, start=50, status="unknown")))
    failed = runner.invoke(args=["cases", "import", str(bad)])
    assert failed.exit_code == 1 and "nothing was written" in failed.output and "row 2" in failed.output
    assert count(Case) == 3


def test_cli_export_writes_the_generic_csv(app, org, tmp_path):
    make_cases(4)
    out = tmp_path / "pop.csv"
    result = app.test_cli_runner().invoke(args=["cases", "export", "-o", str(out)])
    assert result.exit_code == 0 and "Exported 4 cases" in result.output
    assert out.read_text().splitlines()[0].startswith("case_ref,status,")


def test_keeping_and_discarding_an_upload_are_audit_events(client_for, org, users):
    client = client_for("qa_coordinator")
    location = upload(client, [("population.csv", generic_csv(case_rows(2)))]).headers["Location"]
    client.post(location, data={"csrf_token": csrf_token(client, location), "cancel": "1"})
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "upload_stored" in actions and "upload_discarded" in actions
    stored = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "upload_stored"))
    assert stored.details["files"] == ["population.csv"] and stored.actor_id == users["qa_coordinator"].id
