"""Working out which format a file is in, from its content (never from its name alone)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring

from auditapp.importers.annex_a import looks_like_annex_a
from auditapp.importers.cin_census import root_name
from auditapp.importers.generic import names_generic_column
from auditapp.importers.records import Source, fail
from auditapp.importers.safety import KIND_LABELS, check_basics, check_xlsx
from auditapp.importers.ssda903 import kind_of

FORMATS = ("annex_a", "cin_census", "ssda903", "generic_csv", "generic_xlsx")
FORMAT_LABELS = {
    "annex_a": "an Ofsted Annex A workbook",
    "cin_census": "a DfE CIN census XML file",
    "ssda903": "SSDA903 CSV files",
    "generic_csv": "a generic CSV file",
    "generic_xlsx": "a generic Excel workbook",
}
FORMAT_KINDS = {"annex_a": "zip", "generic_xlsx": "zip", "cin_census": "xml", "ssda903": "text", "generic_csv": "text"}
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Detected:
    """A file's format, and for SSDA903 which file of the return it is ('header', 'episodes', 'other')."""

    source: Source
    format: str
    part: str | None = None


def detect(source: Source, *, forced: str | None, max_bytes: int) -> Detected:
    """Check a file's bytes and find its format; raises ImportFailed when it is unsafe or unrecognised."""
    kind = check_basics(source, max_bytes=max_bytes)
    if forced is not None and FORMAT_KINDS[forced] != kind:
        raise fail(source.name, f"You chose {FORMAT_LABELS[forced]} but the file holds {KIND_LABELS[kind]}")
    if kind == "zip":
        check_xlsx(source)
        if forced:
            return Detected(source, forced)
        return Detected(source, "annex_a" if looks_like_annex_a(_sheet_names(source)) else "generic_xlsx")
    if kind == "xml":
        root = root_name(source)
        if root == "Message":
            return Detected(source, "cin_census")
        raise fail(
            source.name, f"The XML file is not a DfE Children in Need census: it starts with <{root}>, not <Message>"
        )
    header = _first_row(source)
    part = kind_of(header)
    if forced == "generic_csv" or (forced is None and part is None and names_generic_column(header)):
        return Detected(source, "generic_csv")
    if part is not None:
        return Detected(source, "ssda903", part)
    if forced == "ssda903":
        raise fail(source.name, "The file is not part of an SSDA903 return: its first row has no CHILD column", row=1)
    raise fail(
        source.name,
        "The format of this CSV file was not recognised: a generic file needs case_ref and "
        "status in its first row, an SSDA903 file needs CHILD",
        row=1,
    )


def _first_row(source: Source) -> list[str]:
    head = source.data[:SNIFF_BYTES].decode("utf-8-sig", errors="replace")
    try:
        return next(csv.reader(io.StringIO(head)), [])
    except csv.Error:
        return []


def _sheet_names(source: Source) -> list[str]:
    """Sheet names from xl/workbook.xml, without opening the workbook (check_xlsx has vetted the zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            root = fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
    except Exception:  # any damage here is reported the same way
        raise fail(
            source.name, "The workbook is damaged or incomplete: open it in Excel, save it as .xlsx and upload it again"
        ) from None
    return [element.get("name", "") for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "sheet"]
