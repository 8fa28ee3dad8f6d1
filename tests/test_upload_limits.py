"""Penetration test finding 16: a small upload could expand enormously, and was parsed again on every visit.

A 4.2 MB xlsx passed the compression-ratio check yet expanded to 398 MB of XML, costing 8.9 s and 0.43 GB a parse, and
it was parsed on upload, on every visit to the check page and again in the job. Now each part of a workbook and the
whole are limited as uncompressed (from the zip directory, and again while reading), the files are parsed once on
upload, and every view of the check page (which lists children's case references) is an audit event.

The workbooks are made here, with realistic sheet XML (it compresses about 12:1, well under the ratio check), and the
limits are set low so that they stay small.
"""

from __future__ import annotations

import functools
import io
import json
import random
import struct
import zipfile
import zlib
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import select

import config
from auditapp import importers
from auditapp.domain.uploads import decode_parsed, encode_parsed
from auditapp.extensions import db
from auditapp.importers import CaseRecord, ImportFailed, ParseResult, Source, XlsxLimits, parse_sources, safety
from auditapp.models import AuditEvent, Case, PendingUpload
from tests.conftest import csrf_token, soup
from tests.test_cases import count, upload

MB = 1024 * 1024
HEAD = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age",
    "Date of Referral",
    "Referral NFA?",
    "Allocated Team",
    "Allocated Worker",
]


def annex_a(sheets: dict[str, int]) -> bytes:
    """An Annex A workbook with ``rows`` referrals on each named sheet (about 470 bytes of sheet XML a row)."""
    return _annex_a(tuple(sheets.items()))


@functools.cache  # bytes, never changed: the same workbook is made once for the module's tests that ask for it
def _annex_a(sheets: tuple[tuple[str, int], ...]) -> bytes:
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(HEAD)
        for i in range(rows):
            sheet.append(
                [
                    f"{title[:6]}-{i:07d}",
                    "a) Male",
                    "a) WBRI",
                    date(2012, 1, 1 + i % 28),
                    11,
                    date(2024, 1, 1 + i % 28),
                    "b) No",
                    f"Duty Team {i % 40}",
                    f"Worker Name {i % 500}",
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sizes(data: bytes) -> dict[str, int]:
    return {info.filename: info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist()}


@pytest.fixture
def limits(app):
    """Set the configured limits (in MB) for one test."""
    saved = {key: app.config[key] for key in ("MAX_UNCOMPRESSED_PART_BYTES", "MAX_UNCOMPRESSED_TOTAL_BYTES")}

    def set_limits(part_mb: float, total_mb: float) -> None:
        app.config["MAX_UNCOMPRESSED_PART_BYTES"] = int(part_mb * MB)
        app.config["MAX_UNCOMPRESSED_TOTAL_BYTES"] = int(total_mb * MB)

    yield set_limits
    app.config.update(saved)


def refused(response) -> str:
    assert response.status_code == 400
    page = soup(response)
    assert "The file could not be imported" in page.select_one(".govuk-error-summary").get_text()
    return page.get_text(" ", strip=True)


def test_the_limits_are_configured_from_the_environment(monkeypatch):
    monkeypatch.delenv("MAX_UNCOMPRESSED_PART_MB", raising=False)
    monkeypatch.delenv("MAX_UNCOMPRESSED_TOTAL_MB", raising=False)
    settings = config.TestConfig()
    # Sheets of 100,000 children are 70-105 MB of XML: the defaults admit them, but not the 398 MB of the finding.
    assert (settings.MAX_UNCOMPRESSED_PART_BYTES, settings.MAX_UNCOMPRESSED_TOTAL_BYTES) == (150 * MB, 300 * MB)
    assert XlsxLimits() == XlsxLimits(150 * MB, 300 * MB)
    monkeypatch.setenv("MAX_UNCOMPRESSED_PART_MB", "80")
    monkeypatch.setenv("MAX_UNCOMPRESSED_TOTAL_MB", "120")
    settings = config.TestConfig()
    assert (settings.MAX_UNCOMPRESSED_PART_BYTES, settings.MAX_UNCOMPRESSED_TOTAL_BYTES) == (80 * MB, 120 * MB)


def test_a_workbook_that_expands_past_the_part_limit_is_refused_naming_the_limit(client_for, org, limits):
    data = annex_a({"List 1": 10, "List 3 Referrals": 5000})
    sheet = sizes(data)["xl/worksheets/sheet2.xml"]
    assert sheet > 2 * MB and len(data) < sheet / 8  # small upload, large expansion, under the ratio check
    limits(part_mb=1, total_mb=50)
    text = refused(upload(client_for("qa_coordinator"), [("Annex_A.xlsx", data)]))
    expected = (
        f"The sheet 'List 3 Referrals' would be {safety._mb(sheet)} when uncompressed, more than the limit "
        "of 1 MB. Split the workbook or ask your administrator."
    )
    assert "Annex_A.xlsx" in text and expected in text
    assert count(PendingUpload) == 0 and count(Case) == 0


def test_the_part_limit_is_checked_from_the_zip_directory_before_any_xml_is_parsed(monkeypatch):
    data = annex_a({"List 3 Referrals": 5000})
    opened = []
    monkeypatch.setattr("openpyxl.reader.excel.ExcelReader.read", lambda self: opened.append(self))
    with pytest.raises(ImportFailed) as failure:
        parse_sources([Source("Annex_A.xlsx", data)], limits=XlsxLimits(part_bytes=MB, total_bytes=50 * MB))
    assert "The sheet 'List 3 Referrals' would be" in str(failure.value.issues[0]) and opened == []


def test_a_workbook_whose_whole_expands_past_the_total_limit_is_refused(client_for, org, limits):
    data = annex_a({"List 3 Referrals": 2000, "List 4": 2000, "List 5": 2000})
    parts = sizes(data)
    assert max(parts.values()) < MB < 2 * MB < sum(parts.values())
    limits(part_mb=1, total_mb=2)
    text = refused(upload(client_for("qa_coordinator"), [("Annex_A.xlsx", data)]))
    assert "Annex_A.xlsx" in text
    assert (
        f"The workbook would be {safety._mb(sum(parts.values()))} when uncompressed, more than the limit of 2 MB "
        "for a whole workbook. Split the workbook or ask your administrator."
    ) in text
    assert count(PendingUpload) == 0 and count(Case) == 0


def test_shared_text_and_other_parts_are_named_as_parts():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", "".join(f"<si><t>Worker {i}</t></si>" for i in range(150_000)))
    with pytest.raises(ImportFailed) as failure:
        safety.check_xlsx(Source("Annex_A.xlsx", buffer.getvalue()), XlsxLimits(part_bytes=MB, total_bytes=9 * MB))
    assert "The text shared by the workbook's sheets (xl/sharedStrings.xml) would be" in str(failure.value.issues[0])


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """The zip with ``member``'s uncompressed size given as ``declared`` in its local header and the directory."""
    out = bytearray(data)
    name = member.encode()
    local = out.find(b"PK\x03\x04")
    while local != -1:  # local file headers: size at offset 22, name length at 26, name at 30
        (name_length,) = struct.unpack_from("<H", out, local + 26)
        if bytes(out[local + 30 : local + 30 + name_length]) == name:
            struct.pack_into("<I", out, local + 22, declared)
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central != -1:  # central directory: size at offset 24, name length at 28, name at 46
        (name_length,) = struct.unpack_from("<H", out, central + 28)
        if bytes(out[central + 46 : central + 46 + name_length]) == name:
            struct.pack_into("<I", out, central + 24, declared)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_the_finding_a_4_mb_workbook_of_398_mb_is_refused_at_the_default_limits(client_for, org):
    """The workbook of the finding, as its zip directory describes it: 4.2 MB that expands 95 times, to 398 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="List 1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", random.Random(16).randbytes(int(4.2 * MB)))
    data = _lie_about_size(buffer.getvalue(), "xl/worksheets/sheet1.xml", 398 * MB)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size / info.compress_size < safety.MAX_RATIO  # it passes the compression-ratio check
    text = refused(upload(client_for("qa_coordinator"), [("Annex_A.xlsx", data)]))
    assert "Annex_A.xlsx" in text
    assert (
        "The sheet 'List 1' would be 398 MB when uncompressed, more than the limit of 150 MB. "
        "Split the workbook or ask your administrator."
    ) in text
    assert count(PendingUpload) == 0


def test_a_lying_zip_directory_is_still_bounded_while_reading(client_for, org, limits, monkeypatch):
    honest = annex_a({"List 3 Referrals": 5000})
    assert sizes(honest)["xl/worksheets/sheet1.xml"] > 2 * MB
    declared = MB // 2  # more than the checks before opening read of it, less than the limit
    lying = _lie_about_size(honest, "xl/worksheets/sheet1.xml", declared)
    assert sizes(lying)["xl/worksheets/sheet1.xml"] == declared  # the directory check sees a small sheet
    archives: list[safety.BoundedZipFile] = []
    opened = safety.BoundedZipFile.__init__

    def spy(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        archives.append(self)

    monkeypatch.setattr(safety.BoundedZipFile, "__init__", spy)
    limits(part_mb=1, total_mb=50)
    text = refused(upload(client_for("qa_coordinator"), [("Annex_A.xlsx", lying)]))
    assert "Annex_A.xlsx" in text and "Traceback" not in text
    # Read through the bounded zip, and never expanded past what was declared (so never past the limit).
    assert archives and max(archive.total for archive in archives) <= declared
    assert count(PendingUpload) == 0 and count(Case) == 0


def test_reading_a_part_stops_at_the_limit_whatever_the_directory_declared():
    """What the zip directory declared was checked before: reading counts what each part really expands to."""
    data = annex_a({"List 1": 10, "List 3 Referrals": 5000})
    archive = safety.BoundedZipFile(
        io.BytesIO(data), name="Annex_A.xlsx", limits=XlsxLimits(part_bytes=MB, total_bytes=50 * MB)
    )
    with pytest.raises(ImportFailed) as failure:
        archive.read("xl/worksheets/sheet2.xml")
    assert str(failure.value.issues[0]) == (
        "Annex_A.xlsx: The sheet 'List 3 Referrals' expands to more than the limit of 1 MB. "
        "Split the workbook or ask your administrator."
    )
    assert archive.expanded.get("xl/worksheets/sheet2.xml", 0) <= MB
    whole = safety.BoundedZipFile(
        io.BytesIO(data), name="Annex_A.xlsx", limits=XlsxLimits(part_bytes=50 * MB, total_bytes=MB)
    )
    whole.read("xl/worksheets/sheet1.xml")
    whole.read("xl/worksheets/sheet1.xml")  # a part read twice counts once
    with pytest.raises(ImportFailed) as failure, whole.open("xl/worksheets/sheet2.xml") as part:
        while part.read(16 * 1024):
            pass
    assert failure.value.issues[0].message == (
        "The workbook expands to more than the limit of 1 MB for a whole workbook. "
        "Split the workbook or ask your administrator."
    )
    assert whole.total <= MB + 64 * 1024  # at most one read buffer past it


def test_a_workbook_within_the_limits_still_imports_through_the_bounded_reader():
    data = annex_a({"List 3 Referrals": 300})
    result = parse_sources([Source("Annex_A.xlsx", data)], limits=XlsxLimits(part_bytes=MB, total_bytes=2 * MB))
    assert result.format == "annex_a" and len(result.records) == 300


def test_an_upload_is_parsed_once_for_the_check_page_and_the_job(client_for, org, monkeypatch):
    calls = []
    parse = importers._parse

    def counting(*args, **kwargs):
        calls.append(args[0])
        return parse(*args, **kwargs)

    monkeypatch.setattr(importers, "_parse", counting)
    client = client_for("qa_coordinator")
    response = upload(client, [("Annex_A.xlsx", annex_a({"List 3 Referrals": 25}))])
    assert response.status_code == 302 and len(calls) == 1
    location = response.headers["Location"]
    for _ in range(2):
        rows = {
            r.dt.get_text(strip=True): r.dd.get_text(strip=True)
            for r in soup(client.get(location)).select(".govuk-summary-list__row")
        }
        assert rows["Cases in the file"] == "25" and rows["New cases"] == "25"
    done = client.post(location, data={"csrf_token": csrf_token(client, location)})
    assert done.status_code == 302 and "/jobs/" in done.headers["Location"]
    assert "Finished" in soup(client.get(done.headers["Location"])).get_text()
    assert count(Case) == 25 and count(PendingUpload) == 0
    assert len(calls) == 1  # upload, two visits to the check page, the confirmation and the job: one parse
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cases_imported")).details["new"][0] == (
        "List 3-0000000"
    )


def test_the_parsed_records_are_kept_as_compressed_json_not_pickle(client_for, org):
    client = client_for("qa_coordinator")
    location = upload(client, [("Annex_A.xlsx", annex_a({"List 3 Referrals": 3}))]).headers["Location"]
    pending = db.session.scalar(select(PendingUpload).where(PendingUpload.token == location.rsplit("/", 1)[1]))
    payload = json.loads(zlib.decompress(pending.parsed))
    assert payload["format"] == "annex_a" and len(payload["columns"][0]) == 3 and len(pending.sha256) == 64
    record = CaseRecord(
        "C1",
        "cp",
        agency="Police",
        date_of_birth=date(2015, 2, 3),
        seen_alone=False,
        previous_cp_plans=2,
        cp_plan_start_date=date(2024, 5, 6),
    )
    parsed = ParseResult("generic_csv", ["a.csv"], [record, CaseRecord("C2", "closed")], skipped=["b.csv"])
    assert decode_parsed(encode_parsed(parsed)) == parsed


def test_viewing_the_import_check_page_is_an_audit_event(client_for, org, users):
    client = client_for("qa_coordinator")
    location = upload(client, [("Annex_A.xlsx", annex_a({"List 3 Referrals": 4}))]).headers["Location"]
    pending = db.session.scalar(select(PendingUpload).where(PendingUpload.token == location.rsplit("/", 1)[1]))
    for _ in range(2):
        assert client.get(location).status_code == 200
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import_check_viewed")))
    assert len(events) == 2  # every view
    event = events[0]
    assert (event.object_type, event.object_id) == ("pending_upload", str(pending.id))
    assert event.actor_id == users["qa_coordinator"].id
    assert {k: event.details[k] for k in ("files", "format", "records", "new", "updated", "unchanged")} == {
        "files": ["Annex_A.xlsx"],
        "format": "annex_a",
        "records": 4,
        "new": 4,
        "updated": 0,
        "unchanged": 0,
    }
    assert "List 3-" not in json.dumps(event.details)  # counts, never the case references the page lists
