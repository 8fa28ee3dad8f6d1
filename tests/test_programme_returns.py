"""Issue 17: single-agency audit returns: who may record them, the form and its rules, corrections and stale
forms, the uploaded sheet (every row checked, all or nothing), the template, the trail and the reminders."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from auditapp.domain import org as org_domain
from auditapp.domain.quarters import Quarter, uk_date
from auditapp.domain.return_reminders import send_return_reminders
from auditapp.domain.users import set_active
from auditapp.extensions import db
from auditapp.models import AuditEvent, Notification, SingleAgencyReturn
from auditapp.models.types import utcnow
from auditapp.programme import returns as domain
from auditapp.programme.return_upload import COLUMNS, template_xlsx
from auditapp.vocabulary import NotifyEvent, ReturnSource, ReturnStatus
from tests.conftest import csrf_token, post_form, soup

TODAY = uk_date(utcnow())
LAST = Quarter.of(TODAY).previous()
GOOD = {
    "audited": "10",
    "outstanding": "1",
    "good": "5",
    "requires_improvement": "2",
    "inadequate": "1",
    "themes": "Neglect\n  neglect \n\nDomestic   abuse",
    "key_learning": "Voice of the child well recorded.",
}


def _lead(agency, user):
    org_domain.save_agency(
        agency=agency,
        name=agency.name,
        kind=agency.kind,
        active=agency.active,
        safeguarding_lead_id=agency.safeguarding_lead_id,
        password_sign_in=agency.password_sign_in,
        quality_lead_id=user.id,
    )


@pytest.fixture
def lead(org, users):
    """The auditor, quality lead of Test Social Care."""
    _lead(org.social, users["auditor"])
    return users["auditor"]


def _path(agency, quarter=LAST) -> str:
    return f"/programme/returns/{agency.id}/{quarter.key}"


def _returns() -> list[SingleAgencyReturn]:
    return list(db.session.scalars(select(SingleAgencyReturn).order_by(SingleAgencyReturn.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _values(**overrides) -> domain.ReturnValues:
    grades = {"outstanding": 1, "good": 5, "requires_improvement": 2, "inadequate": 1}
    grades.update({k: v for k, v in overrides.items() if k in grades})
    return domain.ReturnValues(
        audited=overrides.get("audited", 10),
        grades=grades,
        themes=overrides.get("themes", ["Neglect"]),
        key_learning=overrides.get("key_learning", "Learning"),
    )


# ------------------------------------------------------------------------------------------------------ access


def test_an_auditor_who_is_no_quality_lead_gets_403_everywhere(client_for, org, lead):
    peer = client_for("peer")
    for path in (
        "/programme/returns",
        _path(org.social),
        "/programme/returns/upload",
        "/programme/returns/template.xlsx",
    ):
        assert peer.get(path).status_code == 403, path


def test_a_quality_lead_sees_only_their_agency_and_gets_404_for_another(client_for, org, lead):
    client = client_for("auditor")
    page = soup(client.get("/programme/returns"))
    captions = [c.get_text(strip=True) for c in page.select("caption")]
    assert captions == ["Test Social Care"]
    assert client.get(_path(org.health)).status_code == 404
    token = csrf_token(client, "/programme/returns")
    assert client.post(_path(org.health), data={**GOOD, "csrf_token": token}).status_code == 404
    assert _returns() == []


def test_the_coordinator_sees_every_active_agency_and_the_navigation_shows_leads_the_page(client_for, org, lead):
    page = soup(client_for("qa_coordinator").get("/programme/returns"))
    assert [c.get_text(strip=True) for c in page.select("caption")] == ["Test Health", "Test Social Care"]
    nav = soup(client_for("auditor").get("/home")).get_text(" ")
    assert "Single-agency returns" in nav
    assert "Single-agency returns" not in soup(client_for("peer").get("/home")).get_text(" ")


def test_an_inactive_lead_or_a_lead_of_an_inactive_agency_may_record_nothing(org, users, lead):
    assert domain.may_record(lead, org.social)
    set_active(lead, active=False)
    assert not domain.may_record(lead, org.social) and not domain.may_record_some(lead)
    set_active(lead, active=True)
    org_domain.save_agency(agency=org.social, name=org.social.name, kind=org.social.kind, active=False)
    assert not domain.may_record(lead, org.social) and not domain.is_quality_lead(lead)
    assert domain.may_record(users["qa_coordinator"], org.health)


def test_the_posts_need_their_csrf_token(client_for, org, lead):
    client = client_for("auditor")
    assert client.post(_path(org.social), data=GOOD).status_code == 400
    upload = {"file": (io.BytesIO(b"Agency\n"), "r.csv")}
    assert client.post("/programme/returns/upload", data=upload, content_type="multipart/form-data").status_code == 400
    assert _returns() == []
    assert post_form(client, _path(org.social), GOOD).status_code == 302  # with it: recorded


# -------------------------------------------------------------------------------------------------------- form


def test_a_quality_lead_records_a_return_and_the_trail_keeps_it(client_for, org, lead):
    client = client_for("auditor")
    response = post_form(client, _path(org.social), GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/programme/returns")
    (saved,) = _returns()
    assert (saved.agency_id, saved.year, saved.quarter) == (org.social.id, LAST.year, LAST.number)
    assert saved.grade_counts() == {"outstanding": 1, "good": 5, "requires_improvement": 2, "inadequate": 1}
    assert saved.ungraded == 1 and saved.themes == ["Neglect", "Domestic abuse"]
    assert saved.source == ReturnSource.FORM and saved.submitted_by_id == lead.id
    (event,) = _events("single_agency_return_recorded")
    assert event.actor_id == lead.id and event.object_id == str(saved.id)
    assert event.details["old"] is None and event.details["new"]["audited"] == 10
    page = soup(client.get("/programme/returns"))
    row = next(r for r in page.select("tbody tr") if LAST.long_label in r.get_text())
    assert "Received" in row.get_text() and "Correct" in row.get_text()


def test_no_cases_audited_needs_no_key_learning(client_for, org, lead):
    data = {**GOOD, "audited": "0", "outstanding": "0", "good": "0", "requires_improvement": "0", "inadequate": "0"}
    assert post_form(client_for("auditor"), _path(org.social), {**data, "key_learning": ""}).status_code == 302
    assert _returns()[0].audited == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"audited": ""}, "audited", "Enter the number of cases audited"),
        ({"audited": "ten"}, "audited", "Number of cases audited must be a whole number"),
        ({"audited": "2.5"}, "audited", "must be a whole number"),
        ({"audited": "10001"}, "audited", "between 0 and 10,000"),
        ({"audited": "-1"}, "audited", "between 0 and 10,000"),
        ({"good": ""}, "good", "Enter the number graded good (0 if none)"),
        ({"inadequate": "-2"}, "inadequate", "The number graded inadequate must be between 0 and 10,000"),
        ({"good": "7"}, "outstanding", "add up to 11, more than the 10 cases audited"),
        ({"themes": "\n".join(f"Theme {i}" for i in range(11))}, "themes", "Enter 10 themes or fewer"),
        ({"themes": "x" * 121}, "themes", "Each theme must be 120 characters or fewer"),
        ({"key_learning": "  "}, "key_learning", "Enter the key learning from these audits"),
        ({"key_learning": "x" * 5001}, "key_learning", "5,000 characters or fewer"),
    ],
)
def test_every_rule_of_the_form_is_refused_with_a_linked_message(client_for, org, lead, change, field, message):
    response = post_form(client_for("auditor"), _path(org.social), {**GOOD, **change})
    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one(".govuk-error-summary")
    link = next(a for a in summary.select("a") if message in a.get_text())
    assert link["href"] == f"#{field}"
    assert page.find(id=field) is not None
    assert _returns() == [] and _events("single_agency_return_recorded") == []


def test_only_started_quarters_up_to_two_years_back_are_open(client_for, org, lead):
    client = client_for("auditor")
    current = Quarter.of(TODAY)
    oldest = Quarter(current.year - 2, current.number)
    assert client.get(_path(org.social, current)).status_code == 200
    assert client.get(_path(org.social, oldest)).status_code == 200
    assert client.get(_path(org.social, oldest.previous())).status_code == 404
    assert client.get(_path(org.social, current.next())).status_code == 404
    assert client.get(f"/programme/returns/{org.social.id}/2026-q5").status_code == 404
    assert client.get(f"/programme/returns/{org.social.id}/spring").status_code == 404
    with pytest.raises(domain.DomainError, match="has not started"):
        domain.check_quarter(current.next(), TODAY)


def test_a_correction_is_recorded_with_old_and_new_values(client_for, org, lead):
    client = client_for("auditor")
    post_form(client, _path(org.social), GOOD)
    page = soup(client.get(_path(org.social)))
    assert page.find(id="audited")["value"] == "10"
    version = page.find("input", {"name": "version"})["value"]
    response = post_form(client, _path(org.social), {**GOOD, "audited": "12", "version": version})
    assert response.status_code == 302
    (saved,) = _returns()
    assert saved.audited == 12 and saved.updated_by_id == lead.id
    (event,) = _events("single_agency_return_corrected")
    assert event.details["changed"] == {"audited": [10, 12]}
    assert event.details["old"]["audited"] == 10 and event.details["new"]["audited"] == 12


def test_a_stale_form_gets_a_conflict_and_loses_nothing(client_for, org, users, lead):
    client = client_for("auditor")
    post_form(client, _path(org.social), GOOD)
    version = soup(client.get(_path(org.social))).find("input", {"name": "version"})["value"]
    # Meanwhile the coordinator corrects it.
    assert post_form(client_for("qa_coordinator"), _path(org.social), {**GOOD, "audited": "11", "version": version})
    assert _returns()[0].audited == 11
    mine = {**GOOD, "audited": "13", "key_learning": "My own careful words", "version": version}
    response = post_form(client, _path(org.social), mine)
    assert response.status_code == 400
    page = soup(response)
    assert "Someone else recorded or changed the return" in page.select_one(".govuk-error-summary").get_text()
    assert "11 cases audited" in page.get_text()
    assert page.find(id="audited")["value"] == "13" and "My own careful words" in page.get_text()
    assert _returns()[0].audited == 11 and len(_events("single_agency_return_corrected")) == 1
    # Saving again, having seen the other change, replaces it.
    fresh = page.find("input", {"name": "version"})["value"]
    assert post_form(client, _path(org.social), {**mine, "version": fresh}).status_code == 302
    assert _returns()[0].audited == 13


def test_a_form_opened_before_anyone_recorded_conflicts_with_a_return_recorded_meanwhile(org, users, lead):
    domain.record_return(
        agency=org.social,
        quarter=LAST,
        values=_values(),
        user=lead,
        source=ReturnSource.FORM,
        today=TODAY,
        version=None,
    )
    with pytest.raises(domain.ReturnConflict):
        domain.record_return(
            agency=org.social,
            quarter=LAST,
            values=_values(audited=20),
            user=users["qa_coordinator"],
            source=ReturnSource.FORM,
            today=TODAY,
            version=None,
        )
    assert _returns()[0].audited == 10


def test_the_status_of_a_return(org):
    q1 = Quarter(2026, 1)  # April to June 2026, due by 31 July 2026
    assert domain.status(q1, received=False, today=date(2026, 6, 30)) == ReturnStatus.NOT_YET_DUE
    assert domain.status(q1, received=False, today=date(2026, 7, 1)) == ReturnStatus.DUE
    assert domain.status(q1, received=False, today=date(2026, 7, 31)) == ReturnStatus.DUE
    assert domain.status(q1, received=False, today=date(2026, 8, 1)) == ReturnStatus.OVERDUE
    assert domain.status(q1, received=True, today=date(2026, 8, 1)) == ReturnStatus.RECEIVED


# ------------------------------------------------------------------------------------------------------ upload

HEADER = list(COLUMNS.values())


def _row(agency="Test Social Care", quarter=LAST.key, audited=10, o=1, g=5, ri=2, i=1, themes="Neglect; Voice", kl="L"):
    return [agency, quarter, audited, o, g, ri, i, themes, kl]


def _xlsx(rows, *, header=HEADER, title="Returns") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv(rows, *, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(client, data: bytes, name: str):
    token = csrf_token(client, "/programme/returns/upload")
    return client.post(
        "/programme/returns/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _problems(response) -> list[str]:
    rows = soup(response).select("#problems tbody tr")
    return [", ".join(c.get_text(strip=True) for c in r.select("td")) for r in rows]


def test_a_coordinators_workbook_records_and_corrects_returns_in_one_go(client_for, org, users, lead):
    domain.record_return(
        agency=org.social,
        quarter=LAST,
        values=_values(),
        user=lead,
        source=ReturnSource.FORM,
        today=TODAY,
        version=None,
    )
    sheet = _xlsx(
        [
            _row(audited=14),
            _row(agency="test health", quarter=LAST.label),
            _row(
                agency="Test Health",
                quarter=LAST.previous().key,
                audited=0,
                o=None,
                g=None,
                ri=None,
                i=None,
                themes=None,
                kl=None,
            ),
        ]
    )
    client = client_for("qa_coordinator")
    response = _upload(client, sheet, "returns.xlsx")
    assert response.status_code == 302, _problems(response)
    flashed = soup(client.get("/programme/returns")).get_text(" ")
    assert "returns.xlsx: 2 returns recorded, 1 corrected" in flashed
    saved = {(r.agency_id, r.year, r.quarter): r for r in _returns()}
    assert saved[(org.social.id, LAST.year, LAST.number)].audited == 14
    health = saved[(org.health.id, LAST.year, LAST.number)]
    assert health.themes == ["Neglect", "Voice"] and health.source == ReturnSource.UPLOAD
    empty = saved[(org.health.id, LAST.previous().year, LAST.previous().number)]
    assert empty.audited == 0 and empty.grade_counts() == dict.fromkeys(empty.grade_counts(), 0)
    assert len(_events("single_agency_return_recorded")) == 3 and len(_events("single_agency_return_corrected")) == 1


def test_a_quality_leads_csv_records_their_agencys_return(client_for, org, lead):
    response = _upload(client_for("auditor"), _csv([_row(g="5")]), "returns.csv")
    assert response.status_code == 302
    (saved,) = _returns()
    assert saved.agency_id == org.social.id and saved.graded_good == 5 and saved.submitted_by_id == lead.id


def test_every_bad_row_is_listed_and_nothing_is_saved(client_for, org, lead):
    rows = [
        _row(),  # fine, yet not saved
        _row(g="lots"),
        _row(agency="Nowhere Trust"),
        _row(quarter="summer"),
        _row(audited=3, g=5),
        _row(),  # the same agency and quarter as row 2
        _row(quarter=Quarter.of(TODAY).next().key),
        _row(kl=""),
        _row(themes="; ".join(f"T{i}" for i in range(11))),
    ]
    response = _upload(client_for("qa_coordinator"), _xlsx(rows), "returns.xlsx")
    assert response.status_code == 400
    assert "Nothing has been recorded" in soup(response).select_one(".govuk-error-summary").get_text()
    where = "returns.xlsx, Returns"
    assert _problems(response) == [
        f"{where}, 3, Good, must be a whole number",
        f"{where}, 4, Agency, There is no agency called 'Nowhere Trust'",
        f"{where}, 5, Quarter, Write the quarter as 2026-q1 or 2026-27 Q1",
        f"{where}, 6, Outstanding, The numbers given each grade add up to 9, more than the 3 cases audited",
        f"{where}, 7, Quarter, Test Social Care's return for {LAST.label} is in row 2 already",
        f"{where}, 8, Quarter, {Quarter.of(TODAY).next().label} has not started yet",
        f"{where}, 9, Key learning, Enter the key learning from these audits",
        f"{where}, 10, Themes, Enter 10 themes or fewer",
    ]
    assert _returns() == [] and _events("single_agency_return_recorded") == []


def test_a_problem_reads_with_file_sheet_row_and_column(org, users):
    from auditapp.importers import Source
    from auditapp.importers.records import ImportFailed
    from auditapp.importers.safety import XlsxLimits
    from auditapp.programme.return_upload import record_sheet

    quarters = domain.recordable_quarters(TODAY)
    sheet = _xlsx([*(_row(quarter=q.key) for q in quarters[:5]), _row(agency="Test Health", g="x")])
    with pytest.raises(ImportFailed) as failed:
        record_sheet(
            Source("returns.xlsx", sheet),
            user=users["qa_coordinator"],
            today=TODAY,
            max_bytes=10**6,
            limits=XlsxLimits(),
        )
    assert str(failed.value.issues[0]) == "returns.xlsx, sheet 'Returns', row 7, column 'Good': must be a whole number"


def test_a_quality_leads_sheet_may_hold_only_their_agency(client_for, org, lead):
    response = _upload(client_for("auditor"), _csv([_row(), _row(agency="Test Health")]), "returns.csv")
    assert response.status_code == 400
    assert _problems(response) == [
        "returns.csv, , 3, Agency, You cannot record returns for Test Health: "
        "only for the agency you are quality lead of"
    ]
    assert _returns() == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (_csv([], header=HEADER[:-1]), "r.csv", "The header row has no column 'Key learning'"),
        (_csv([]), "r.csv", "The sheet has a header row but no returns below it"),
        (b"", "r.csv", "The file is empty"),
        (b"%PDF-1.7 x", "r.pdf", "PDF"),
        (b"<?xml version='1.0'?><a/>", "r.xml", "Upload the returns as an Excel workbook (.xlsx) or a CSV file"),
    ],
)
def test_a_file_that_is_not_a_sheet_of_returns_is_refused(client_for, lead, data, name, message):
    response = _upload(client_for("auditor"), data, name)
    assert response.status_code == 400
    assert message in " ".join(_problems(response))
    assert _returns() == []


def test_an_upload_without_a_file_says_so(client_for, lead):
    client = client_for("auditor")
    token = csrf_token(client, "/programme/returns/upload")
    response = client.post("/programme/returns/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert (
        "Select a spreadsheet (.xlsx) or CSV file of returns"
        in soup(response).select_one(".govuk-error-summary").get_text()
    )


def test_the_template_has_the_columns_and_an_explained_example_and_reads_as_empty(client_for, lead):
    from openpyxl import load_workbook

    client = client_for("auditor")
    response = client.get("/programme/returns/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["Returns", "Example"]
    assert [c for c in next(workbook["Returns"].iter_rows(values_only=True))] == HEADER
    example = list(workbook["Example"].iter_rows(values_only=True))
    assert list(example[0]) == HEADER and example[1][1] == "2026-q1" and "blank means 0" in example[2][3]
    assert "no returns below it" in " ".join(_problems(_upload(client, response.data, "template.xlsx")))
    assert template_xlsx()[:2] == b"PK"


# --------------------------------------------------------------------------------------------------- reminders

Q1 = Quarter(2026, 1)  # April to June 2026: its return is due by Friday 31 July 2026


def _at(day: int, month: int = 7) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def _messages(event: NotifyEvent) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.event == event.value)))


def test_due_soon_once_from_five_working_days_before_the_due_date(org, lead):
    assert send_return_reminders(_at(23)) == 0  # Thursday 23 July: 6 working days before
    assert send_return_reminders(_at(24)) == 1  # Friday 24 July: 5
    assert send_return_reminders(_at(27)) == 0 and send_return_reminders(_at(31)) == 0
    (message,) = _messages(NotifyEvent.RETURN_DUE_SOON)
    assert message.user_id == lead.id and message.link == f"/programme/returns/{org.social.id}/{Q1.key}"


def test_overdue_at_most_once_every_five_working_days(org, lead):
    made = [send_return_reminders(_at(day, 8)) for day in (1, 3, 4, 7, 10, 11, 14, 17)]
    assert made == [1, 0, 0, 0, 1, 0, 0, 1]  # Sat 1 Aug; Mon 10 and Mon 17 Aug start the next runs
    assert len(_messages(NotifyEvent.RETURN_OVERDUE)) == 3


def test_no_reminder_once_the_return_is_in(org, lead):
    domain.record_return(
        agency=org.social,
        quarter=Q1,
        values=_values(),
        user=lead,
        source=ReturnSource.FORM,
        today=date(2026, 7, 20),
        version=None,
    )
    assert send_return_reminders(_at(24)) == 0 and send_return_reminders(_at(3, 8)) == 0


def test_no_reminder_for_inactive_agencies_or_leads_or_agencies_without_a_lead(org, users, lead):
    assert org.health.quality_lead_id is None  # no lead: nobody is told (the returns page shows it as due)
    set_active(lead, active=False)
    assert send_return_reminders(_at(24)) == 0
    set_active(lead, active=True)
    org_domain.save_agency(agency=org.social, name=org.social.name, kind=org.social.kind, active=False)
    assert send_return_reminders(_at(24)) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_the_sweep_sends_the_return_reminders(app, org, lead):
    from auditapp.worker.sweep import STEPS

    assert "return reminders" in [name for name, _, _ in STEPS]
    step = next(fn for name, fn, _ in STEPS if name == "return reminders")
    from auditapp.models.types import clock_set_to

    with clock_set_to(lambda: _at(24)):
        assert step() == []
    assert len(_messages(NotifyEvent.RETURN_DUE_SOON)) == 1


def test_themes_of_earlier_returns_are_offered_as_checkboxes_and_merged_with_others(client_for, org, users, lead):
    domain.record_return(
        agency=org.health,
        quarter=LAST,
        values=_values(themes=["Neglect", "Exploitation"]),
        user=users["qa_coordinator"],
        source=ReturnSource.FORM,
        today=TODAY,
        version=None,
    )
    client = client_for("auditor")
    page = soup(client.get(_path(org.social)))
    boxes = page.select("input[name=known_themes]")
    assert [b["value"] for b in boxes] == ["Exploitation", "Neglect"]
    assert page.find("label", {"for": boxes[0]["id"]}).get_text(strip=True) == "Exploitation"
    data = {**GOOD, "known_themes": ["Neglect", "Exploitation"], "themes": "neglect\nHousing"}
    assert post_form(client, _path(org.social), data).status_code == 302
    mine = next(r for r in _returns() if r.agency_id == org.social.id)
    assert mine.themes == ["Neglect", "Exploitation", "Housing"]


def test_the_admin_names_an_agencys_quality_lead_and_the_trail_says_so(client_for, org, users):
    admin = client_for("admin")
    path = f"/admin/agencies/{org.health.id}"
    assert soup(admin.get(path)).find("select", {"name": "quality_lead_id"}) is not None
    data = {"name": org.health.name, "kind": org.health.kind.value, "active": "y", "password_sign_in": "y"}
    response = post_form(admin, path, {**data, "quality_lead_id": str(users["peer"].id)})
    assert response.status_code == 302, response.headers.get("Location")
    health = db.session.get(type(org.health), org.health.id)
    assert health.quality_lead_id == users["peer"].id
    (event,) = [e for e in _events("agency_updated") if e.object_id == str(org.health.id)]
    assert event.details["changes"]["quality_lead_id"] == [None, users["peer"].id]
    assert domain.is_quality_lead(users["peer"])
    # Saving the agency elsewhere, without naming one, keeps its quality lead.
    org_domain.save_agency(agency=health, name=health.name, kind=health.kind)
    assert health.quality_lead_id == users["peer"].id
