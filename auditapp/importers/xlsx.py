"""Opening a workbook that has passed the zip checks, and reading its sheets as rows of raw values.

Workbooks are opened read-only (streamed) and with formulas left as their text: nothing is evaluated.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from auditapp.importers.records import Source, fail
from auditapp.importers.safety import check_xlsx


def open_workbook(source: Source) -> Workbook:
    """Check the container, then open it; raises ImportFailed if it cannot be read as a workbook."""
    check_xlsx(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            return load_workbook(io.BytesIO(source.data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds; the user only needs to know the file is unreadable
        raise fail(
            source.name, "The workbook could not be read: open it in Excel, save it as .xlsx and upload it again"
        ) from None


def sheet_rows(workbook: Workbook, title: str) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(spreadsheet row number, cell values) for each row of a sheet, blank rows included."""
    yield from enumerate(workbook[title].iter_rows(values_only=True), start=1)


def is_blank(values: tuple[object, ...] | list[object]) -> bool:
    """True when every cell is empty or only whitespace."""
    for value in values:  # noqa: SIM110 - a plain loop: all() and a generator cost more, on every row
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True
