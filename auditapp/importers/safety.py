"""Checks made on a file's bytes before any parser sees them: size, kind of content, text encoding, DTDs in XML, and the
zip container of an .xlsx workbook (entry count, uncompressed size, compression ratio, DTDs).

Declared zip sizes are trustworthy enough here: Python's zipfile stops reading an entry at its declared
size and fails the CRC check if the data goes on, so a bomb that lies about its sizes cannot expand further.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePath

from auditapp.importers.records import ImportFailed, Source, fail

MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
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


def check_xlsx(source: Source) -> None:
    """Check an .xlsx zip container before it is opened: raises ImportFailed if it is damaged or hostile."""
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            _check_entries(source.name, archive)
    except ImportFailed:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise fail(
            source.name, "The workbook is damaged or incomplete: open it in Excel, save it as .xlsx and upload it again"
        ) from None


def _check_entries(name: str, archive: zipfile.ZipFile) -> None:
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
    if total > MAX_UNCOMPRESSED_BYTES:
        raise fail(
            name, f"The workbook would unpack to {_mb(total)}, more than the {_mb(MAX_UNCOMPRESSED_BYTES)} allowed"
        )
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")):
            with archive.open(entry) as part:
                _check_xml_prolog(name, part.read(PROLOG_BYTES), entry.filename)


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
