"""Opening a workbook that has passed the zip checks, and reading its sheets as rows of raw values.

Workbooks are opened read-only (streamed) and with formulas left as their text: nothing is evaluated. Every part is
read through a ``BoundedZipFile``, so however the zip directory lies, no part expands past the configured limits.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from auditapp.importers.records import ImportFailed, Source, fail
from auditapp.importers.safety import BoundedZipFile, check_xlsx, current_xlsx_limits

if TYPE_CHECKING:  # openpyxl (0.2 s to import) loads when a workbook is first opened
    from openpyxl.workbook.workbook import Workbook


def open_workbook(source: Source) -> Workbook:
    """Check the container, then open it; raises ImportFailed if it cannot be read as a workbook.

    The sheets are streamed later, as they are iterated: they stay bounded by the limits in force now.
    """
    from openpyxl.reader.excel import ExcelReader

    limits = current_xlsx_limits()
    check_xlsx(source, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            # openpyxl's load_workbook, with its zip swapped for one that bounds what each part expands to
            reader = ExcelReader(io.BytesIO(source.data), read_only=True, data_only=False, keep_links=False)
            reader.archive.close()
            reader.archive = BoundedZipFile(io.BytesIO(source.data), name=source.name, limits=limits)
            reader.read()
            return reader.wb
    except ImportFailed:
        raise
    except Exception:  # openpyxl raises many kinds; the user only needs to know the file is unreadable
        raise fail(
            source.name, "The workbook could not be read: open it in Excel, save it as .xlsx and upload it again"
        ) from None


def sheet_rows(workbook: Workbook, title: str) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(spreadsheet row number, cell values) for each row of a sheet, blank rows included."""
    yield from enumerate(workbook[title].iter_rows(values_only=True), start=1)


def is_blank(values: Sequence[object]) -> bool:
    """True when every cell is empty or only whitespace."""
    for value in values:  # noqa: SIM110 - a plain loop: all() and a generator cost more, on every row
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True
