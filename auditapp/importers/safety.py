"""Checks made on a file's bytes before any parser sees them: size, kind of content, text encoding, DTDs in XML, and the
zip container of an .xlsx workbook (entry count, uncompressed size of each part and of the whole, compression ratio,
DTDs).

The uncompressed sizes are first checked as the zip directory declares them, before any XML is parsed. A directory
can lie, so the workbook is then read through ``BoundedZipFile``, which counts the bytes each part really expands to
and stops at the same limits (Python's zipfile also stops an entry at its declared size and fails its CRC check).
The limits are configured (``MAX_UNCOMPRESSED_PART_MB``, ``MAX_UNCOMPRESSED_TOTAL_MB``) and set for one parse with
``xlsx_limits``.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Literal

from defusedxml.ElementTree import fromstring

from auditapp.importers.records import ImportFailed, Source, fail

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

MAX_ZIP_ENTRIES = 2000
# An Annex A list of 100,000 children with 20 columns is about 105 MB of sheet XML as Excel writes it (13 columns:
# 67 MB); a whole workbook of ~100,000 rows across its lists stays well under the total. 400 MB of XML took 9 s and
# 0.43 GB to parse.
DEFAULT_MAX_PART_BYTES = 150 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 300 * 1024 * 1024
NAMING_PART_BYTES = 1024 * 1024  # xl/workbook.xml and its rels are read to name a sheet only when this small
MAX_RATIO = 200  # deflate rarely beats 20:1 on real sheets; bombs reach 1000:1 and more
RATIO_FLOOR_BYTES = 1024 * 1024  # tiny entries compress absurdly well and are harmless
PROLOG_BYTES = 4096

KIND_LABELS = {
    "zip": "an Excel .xlsx workbook",
    "xml": "XML",
    "text": "CSV text",
    "ole": "an old-style Excel (.xls) or password-protected workbook",
    "utf16": "UTF-16 text",
    "binary": "binary data",
    "pdf": "a PDF document",
}
_EXTENSION_KINDS = {".xlsx": "zip", ".xlsm": "zip", ".xml": "xml", ".csv": "text", ".txt": "text"}
_BINARY_HINT = "save it as 'CSV UTF-8' in Excel and upload it again"


def sniff(data: bytes) -> str:
    """What the bytes are, from their content alone: one of the KIND_LABELS keys, or 'empty'."""
    head = data[:PROLOG_BYTES]
    if not head.strip() and not data.strip():  # strip() copies the data: only when the start is blank
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        return "utf16"
    if b"\x00" in data:
        return "binary"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return "xml"
    return "text"


def _looks_utf16(head: bytes) -> bool:
    # UTF-16 without a BOM: ASCII characters leave every other byte zero.
    return len(head) > 3 and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4


def check_basics(source: Source, *, max_bytes: int) -> str:
    """Check size, emptiness and that the content is the kind its file name claims; return the kind."""
    size = len(source.data)
    if size > max_bytes:
        raise fail(source.name, f"The file is {_mb(size)}: the largest file you can import is {_mb(max_bytes)}")
    kind = sniff(source.data)
    if kind == "empty":
        raise fail(source.name, "The file is empty")
    if kind == "ole":
        raise fail(
            source.name,
            "The file is an old-style Excel (.xls) or password-protected workbook: "
            "remove any password, save it as an Excel Workbook (.xlsx) and upload it again",
        )
    if kind == "utf16":
        raise fail(source.name, f"The file is saved as UTF-16 text: {_BINARY_HINT}")
    if kind == "binary":
        raise fail(source.name, f"The file contains NUL bytes, so it is not CSV or XML text: {_BINARY_HINT}")
    if kind == "pdf":
        raise fail(source.name, "The file is a PDF document: upload the spreadsheet, CSV or XML file instead")
    claimed = _EXTENSION_KINDS.get(PurePath(source.name).suffix.lower())
    if claimed is not None and claimed != kind:
        raise fail(
            source.name,
            f"The file name ends {PurePath(source.name).suffix} but the file holds "
            f"{KIND_LABELS[kind]}: check you chose the right file",
        )
    return kind


def _mb(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def text_encoding(source: Source) -> str:
    """The encoding of a CSV file: UTF-8 (with or without BOM), otherwise Windows-1252 as Excel saves it."""
    data = source.data
    if b"\x00" in data:
        raise fail(source.name, f"The file contains NUL bytes, so it is not CSV text: {_BINARY_HINT}")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=True)  # validates without keeping the text
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        head = data[:PROLOG_BYTES].decode("cp1252")
        data.decode("cp1252")
    except UnicodeDecodeError:
        raise fail(source.name, f"The file is not readable text in UTF-8 or Windows-1252: {_BINARY_HINT}") from None
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\r\n\t")
    if control > 8:
        raise fail(source.name, f"The file does not look like CSV text: {_BINARY_HINT}")
    return "cp1252"


def text_lines(source: Source) -> io.TextIOWrapper:
    """The CSV file as a stream of text lines, decoded as it is read (csv module newline handling)."""
    encoding = text_encoding(source)
    return io.TextIOWrapper(io.BytesIO(source.data), encoding=encoding, newline="")


@dataclass(frozen=True)
class XlsxLimits:
    """The most a workbook may expand to when uncompressed: each part (zip member) and the whole, in bytes."""

    part_bytes: int = DEFAULT_MAX_PART_BYTES
    total_bytes: int = DEFAULT_MAX_TOTAL_BYTES


_LIMITS: ContextVar[XlsxLimits | None] = ContextVar("xlsx_limits", default=None)


@contextmanager
def xlsx_limits(limits: XlsxLimits) -> Iterator[None]:
    """Apply ``limits`` to the workbooks checked and read inside the block (this thread or task only)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


def current_xlsx_limits() -> XlsxLimits:
    return _LIMITS.get() or XlsxLimits()


_TOO_BIG_HINT = "Split the workbook or ask your administrator."


def _part_too_big(name: str, label: str, limit: int, size: int | None = None) -> ImportFailed:
    """``size`` as the zip directory declares it; None when reading the part passed the limit (the directory lied)."""
    expands = f"would be {_mb(size)} when uncompressed, more" if size is not None else "expands to more"
    return fail(name, f"{label} {expands} than the limit of {_mb(limit)}. {_TOO_BIG_HINT}")


def _whole_too_big(name: str, limit: int, size: int | None = None) -> ImportFailed:
    expands = f"would be {_mb(size)} when uncompressed, more" if size is not None else "expands to more"
    return fail(name, f"The workbook {expands} than the limit of {_mb(limit)} for a whole workbook. {_TOO_BIG_HINT}")


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip member -> sheet title, from xl/workbook.xml and its relationships; {} when they are missing or odd."""
    try:
        texts = []
        for member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            with zipfile.ZipFile.open(archive, member) as part:  # the plain reader: this is bounded by its own read
                text = part.read(NAMING_PART_BYTES + 1)
            if len(text) > NAMING_PART_BYTES:
                return {}
            texts.append(text)
        workbook, rels = (fromstring(text, forbid_dtd=True) for text in texts)
    except Exception:  # naming the sheet is a courtesy: the part's path is given instead
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = path
    found = {}
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            if rel_id in targets:
                found[targets[rel_id]] = element.get("name", "")
    return found


def _part_label(archive: zipfile.ZipFile, member: str) -> str:
    """How a QA coordinator would know the part: the sheet's title when it is a sheet."""
    if member.startswith("xl/worksheets/"):
        title = _sheet_parts(archive).get(member)
        if title:
            return f"The sheet '{title}'"
    if member == "xl/sharedStrings.xml":
        return "The text shared by the workbook's sheets (xl/sharedStrings.xml)"
    return f"The workbook part {member}"


def check_xlsx(source: Source, limits: XlsxLimits | None = None) -> None:
    """Check an .xlsx zip container before it is opened: raises ImportFailed if it is damaged or hostile.

    ``limits`` default to those set with ``xlsx_limits`` (or the defaults).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            _check_entries(source.name, archive, limits or current_xlsx_limits())
    except ImportFailed:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise fail(
            source.name, "The workbook is damaged or incomplete: open it in Excel, save it as .xlsx and upload it again"
        ) from None


def _check_entries(name: str, archive: zipfile.ZipFile, limits: XlsxLimits) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise fail(
            name,
            f"The workbook holds {len(entries)} parts, more than the {MAX_ZIP_ENTRIES} allowed: "
            "it is not an ordinary spreadsheet",
        )
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise fail(name, "The file is a zip archive but not an Excel workbook")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.flag_bits & 0x1:
            raise fail(name, "The workbook is encrypted: remove the password and upload it again")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise fail(
                name,
                f"The workbook part {entry.filename} expands {ratio:.0f} times when unpacked: "
                "it looks like a zip bomb and was not opened",
            )
    for entry in entries:
        if entry.file_size > limits.part_bytes:
            raise _part_too_big(name, _part_label(archive, entry.filename), limits.part_bytes, entry.file_size)
    if total > limits.total_bytes:
        raise _whole_too_big(name, limits.total_bytes, total)
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")):
            with archive.open(entry) as part:
                _check_xml_prolog(name, part.read(PROLOG_BYTES), entry.filename)


class BoundedZipFile(zipfile.ZipFile):
    """A workbook's zip, read for ``name`` (the uploaded file) counting what each part really expands to.

    Reading stops with ImportFailed as soon as one part passes ``limits.part_bytes`` or all of them together pass
    ``limits.total_bytes``, whatever the zip directory declared. A part read twice (openpyxl reopens a sheet on
    each pass over it) counts once, at the most read of it.
    """

    def __init__(self, file: io.BytesIO, *, name: str, limits: XlsxLimits) -> None:
        super().__init__(file)
        self.upload_name = name
        self.limits = limits
        self.expanded: dict[str, int] = {}
        self.total = 0

    def open(  # zipfile's signature; reading is what is bounded
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        return io.BufferedReader(_BoundedPart(stream, self, member), buffer_size=64 * 1024)

    def counted(self, member: str, read: int) -> None:
        """Note that ``read`` bytes of ``member`` have been expanded so far; raise once past a limit."""
        if read > self.limits.part_bytes:
            raise _part_too_big(self.upload_name, _part_label(self, member), self.limits.part_bytes)
        before = self.expanded.get(member, 0)
        if read > before:
            self.expanded[member] = read
            self.total += read - before
            if self.total > self.limits.total_bytes:
                raise _whole_too_big(self.upload_name, self.limits.total_bytes)


class _BoundedPart(io.RawIOBase):
    """One part of a ``BoundedZipFile`` as it is read."""

    def __init__(self, stream: IO[bytes], archive: BoundedZipFile, member: str) -> None:
        self._stream, self._archive, self._member, self._read = stream, archive, member, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        # Never ask for more than one byte past the limit, so the overrun is seen without expanding much further.
        room = self._archive.limits.part_bytes - self._read + 1
        whole = memoryview(buffer)
        view = whole[: max(1, min(len(whole), room))]
        data = self._stream.read(len(view))
        view[: len(data)] = data
        self._read += len(data)
        self._archive.counted(self._member, self._read)
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _check_xml_prolog(name: str, head: bytes, part: str = "") -> None:
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        where = f" (in {part})" if part else ""
        raise fail(
            name,
            f"The file declares a DOCTYPE or entities{where}, which are not allowed: "
            "export the file again from the system that produced it",
        )


# Encodings in which the bytes of "<!DOCTYPE" can only mean that text: UTF-8 (no byte of a multi-byte
# character is ASCII) and single-byte encodings that keep ASCII as it is. Anything else (UTF-16, UTF-7,
# EBCDIC code pages, ...) could spell a DTD in other bytes, so the file is refused rather than scanned.
XML_ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "utf-8", "ascii": "utf-8",
    "iso-8859-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "latin-1": "iso-8859-1", "latin1": "iso-8859-1",
    "windows-1252": "windows-1252", "cp1252": "windows-1252",
}  # fmt: skip
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_XML_DECLARATION = re.compile(
    rb"<\?xml\s+version\s*=\s*(['\"])[0-9.]+\1"
    rb"(?:\s+encoding\s*=\s*(['\"])([A-Za-z][A-Za-z0-9._\-]*)\2)?"
    rb"(?:\s+standalone\s*=\s*(['\"])(?:yes|no)\4)?\s*\?>"
)
_RESEND_AS_UTF8 = "export it again from the system that produced it, saved as UTF-8"


def check_xml_safe(source: Source) -> str:
    """Refuse XML that declares a DTD or entities anywhere, or whose encoding could hide one; return the encoding.

    With no DOCTYPE there is nowhere to declare an entity, so expat cannot expand one or fetch an external
    one: the standard library's C parser is then as safe as defusedxml, and several times faster. The scan
    is only sound when "<!DOCTYPE" cannot be spelt in other bytes, so the encoding is checked first and the
    caller must parse with the encoding returned (it overrides whatever the document declares).
    Raises ImportFailed.
    """
    name, data = source.name, source.data
    _check_xml_prolog(name, data[:PROLOG_BYTES])
    if data.startswith(_WIDE_BOMS) or b"\x00" in data:
        raise fail(name, f"The XML file holds NUL bytes or is saved as UTF-16 or UTF-32: {_RESEND_AS_UTF8}")
    encoding = _declared_encoding(name, data[:PROLOG_BYTES])
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise fail(
            name,
            "The file declares a DOCTYPE, entities or external references, which are not "
            "allowed: export the file again from the system that produced it",
        )
    return encoding


def _declared_encoding(name: str, head: bytes) -> str:
    has_bom = head.startswith(codecs.BOM_UTF8)
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not (start.startswith(b"<?xml") and start[5:6].isspace()):
        return "utf-8"  # no declaration: XML without a byte order mark is UTF-8
    declaration = _XML_DECLARATION.match(start)
    if declaration is None:
        raise fail(name, f"The XML declaration at the start of the file could not be read: {_RESEND_AS_UTF8}")
    declared = (declaration[3] or b"utf-8").decode("ascii")
    encoding = XML_ENCODINGS.get(declared.lower())
    if encoding is None or (has_bom and encoding != "utf-8"):
        raise fail(name, f"The XML file says it is in the {declared} encoding, which cannot be read: {_RESEND_AS_UTF8}")
    return encoding
