"""Reading the case population from the files local authorities already hold.

Pure parsing: no Flask, no database. `parse_sources` turns uploaded files into `CaseRecord`s or raises
`ImportFailed` listing every problem found, each located by file, sheet, row and column.

Formats (detected from content; `format=` forces one):
- annex_a: Ofsted ILACS Annex A workbook (see annex_a.py for how lists become cases and statuses);
- cin_census: DfE Children in Need census XML (cin_census.py);
- ssda903: SSDA903 header and episodes CSVs given together; other files of the return are skipped (ssda903.py);
- generic_csv / generic_xlsx: the documented generic format (generic.py), also what export_generic_csv writes.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from auditapp.importers.annex_a import parse_annex_a
from auditapp.importers.cin_census import parse_cin_census
from auditapp.importers.detect import FORMAT_LABELS, FORMATS, Detected, detect
from auditapp.importers.export import export_generic_csv
from auditapp.importers.generic import parse_generic_csv, parse_generic_xlsx
from auditapp.importers.records import (
    CASE_FIELDS,
    STATUSES,
    CaseRecord,
    ImportFailed,
    ImportIssue,
    Issues,
    ParseResult,
    Source,
    fail,
)
from auditapp.importers.safety import XlsxLimits, xlsx_limits
from auditapp.importers.ssda903 import parse_ssda903

__all__ = [
    "CASE_FIELDS", "FORMATS", "STATUSES", "CaseRecord", "ImportFailed", "ImportIssue", "ParseResult", "Source",
    "XlsxLimits", "collector_paused", "export_generic_csv", "parse_sources",
]  # fmt: skip

logger = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_SINGLE_FILE_PARSERS: dict[str, Callable[[Source, Issues], list[CaseRecord]]] = {
    "annex_a": parse_annex_a,
    "cin_census": parse_cin_census,
    "generic_csv": parse_generic_csv,
    "generic_xlsx": parse_generic_xlsx,
}


def parse_sources(
    sources: list[Source],
    *,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: XlsxLimits | None = None,
) -> ParseResult:
    """Parse one upload (one file, or the files of one SSDA903 return) into case records.

    The format is detected from each file's content unless `format` forces it. `max_bytes` bounds each file as
    uploaded, `limits` what an .xlsx workbook may expand to (default: `XlsxLimits()`). Raises ImportFailed with
    every problem found in the whole upload; never any other exception.
    """
    try:
        with collector_paused(), xlsx_limits(limits or XlsxLimits()):
            return _parse(sources, format, max_bytes)
    except ImportFailed:
        raise
    except Exception:  # the promise is: no stack trace reaches the user, whatever the file holds
        names = ", ".join(source.name for source in sources) or "the upload"
        logger.exception("Unexpected failure reading %s", names, extra={"import_format": format})
        raise fail(
            names,
            "The file could not be read. Check it is an Annex A workbook, CIN census XML, "
            "SSDA903 CSV or generic CSV/XLSX file, and export it again",
        ) from None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while files are read, and restore it afterwards.

    Reading a large file allocates millions of short-lived objects (XML elements, parser events, row dicts),
    and the collector kept scanning them: about 15% of the time of a 100,000-child census. Reference
    counting still frees every object as soon as it is done with; the few that form cycles (an openpyxl
    workbook and its sheets) are collected once the pause ends. The pause is process-wide but lasts only as
    long as the parse, whose size `max_bytes` bounds, and is only lifted if the collector was on before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(sources: list[Source], forced: str | None, max_bytes: int) -> ParseResult:
    if forced is not None and forced not in FORMATS:
        raise fail("", f"'{forced}' is not a format: use one of {', '.join(FORMATS)}")
    if not sources:
        raise fail("", "Choose a file to import")
    detected = _detect_all(sources, forced, max_bytes)
    formats = {item.format for item in detected}
    if len(formats) > 1:
        described = "; ".join(f"{item.source.name} is {FORMAT_LABELS[item.format]}" for item in detected)
        raise fail(
            detected[0].source.name, f"The files are in different formats ({described}): import them one at a time"
        )
    issues = Issues()
    (format_,) = formats
    if format_ == "ssda903":
        result = _parse_903(detected, issues)
    else:
        result = ParseResult(format_, [item.source.name for item in detected], _parse_each(detected, issues))
    issues.raise_if_any()
    return result


def _detect_all(sources: list[Source], forced: str | None, max_bytes: int) -> list[Detected]:
    found, problems = [], []
    for source in sources:
        try:
            found.append(detect(source, forced=forced, max_bytes=max_bytes))
        except ImportFailed as failure:
            problems.extend(failure.issues)
    if problems:
        raise ImportFailed(problems)
    return found


def _parse_each(detected: list[Detected], issues: Issues) -> list[CaseRecord]:
    records: list[CaseRecord] = []
    first_file: dict[str, str] = {}
    for item in detected:
        name = item.source.name
        for record in _SINGLE_FILE_PARSERS[item.format](item.source, issues):
            other = first_file.setdefault(record.case_ref, name)
            if other != name:
                issues.add(name, f"Case reference '{record.case_ref}' is also in {other}: each case must appear once")
            else:
                records.append(record)
    return records


def _parse_903(detected: list[Detected], issues: Issues) -> ParseResult:
    parts: dict[str, list[Detected]] = {"header": [], "episodes": [], "other": []}
    for item in detected:
        parts[item.part or "other"].append(item)
    for part in ("header", "episodes"):
        if len(parts[part]) > 1:
            names = " and ".join(item.source.name for item in parts[part])
            raise fail(parts[part][1].source.name, f"Both {names} are SSDA903 {part} files: give one return at a time")
    if not parts["header"] and not parts["episodes"]:
        names = ", ".join(item.source.name for item in parts["other"])
        raise fail(
            names,
            "These SSDA903 files hold nothing this service imports: upload the header and episodes files of the return",
        )
    header = parts["header"][0].source if parts["header"] else None
    episodes = parts["episodes"][0].source if parts["episodes"] else None
    records = parse_ssda903(header, episodes, issues)
    used = [source.name for source in (header, episodes) if source is not None]
    return ParseResult("ssda903", used, records, skipped=[item.source.name for item in parts["other"]])
