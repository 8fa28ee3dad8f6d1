"""Writing case records in the generic CSV format, so that export then import gives the same records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from auditapp.importers.records import CASE_FIELDS, CaseRecord

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection). An apostrophe in
# front makes it text; cells already starting with apostrophes get one more, so import can strip exactly one.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """Put an apostrophe before text that a spreadsheet would run as a formula."""
    return "'" + text if _FORMULA_START.match(text) else text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def export_generic_csv(records: Iterable[CaseRecord]) -> str:
    """The records as generic CSV text: header row, ISO dates, yes/no, formula-looking text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASE_FIELDS)
    for record in records:
        writer.writerow([_cell(getattr(record, name)) for name in CASE_FIELDS])
    return buffer.getvalue()
