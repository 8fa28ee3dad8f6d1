"""Generators of hostile files: entity expansion, external entities, zip bombs and their relatives."""

from __future__ import annotations

import io
import zipfile

from tests.importers.generators import cin_census, cin_child, workbook_bytes


def billion_laughs() -> bytes:
    """The classic exponential entity expansion."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)
    )
    return cin_census([cin_child("&lol9;")], prolog=f"<!DOCTYPE Message [{entities}]>")


def xxe() -> bytes:
    """An external entity reading a local file."""
    return cin_census([cin_child("&xxe;")], prolog='<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')


def late_doctype() -> bytes:
    """A DTD hidden behind a long comment, past the prolog check: defusedxml must still refuse it."""
    return cin_census([cin_child("K1")], prolog="<!--" + "x" * 9000 + '--><!DOCTYPE Message [<!ENTITY a "b">]>')


def zip_bomb() -> bytes:
    """An .xlsx whose sheet unpacks to 30 MB of nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return buffer.getvalue()


def many_entries_zip(count: int = 2500) -> bytes:
    """An .xlsx-looking zip with thousands of parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for index in range(count):
            archive.writestr(f"xl/part{index}.bin", b"")
    return buffer.getvalue()


def xlsx_with_doctype() -> bytes:
    """A workbook whose shared strings declare entities."""
    good = workbook_bytes({"Cases": [["case_ref", "status"], ["C1", "cin"]]})
    source, target = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "b">]>' + data
            archive.writestr(item, data)
    return target.getvalue()


def _body_after_declaration() -> str:
    """The census without its XML declaration, so a test can put its own in front."""
    text = cin_census([cin_child("K1")]).decode()
    return text[text.index("?>") + 2 :]


def doctype_in_utf16(*, bom: bool = True) -> bytes:
    """A DTD with entities, the whole file saved as UTF-16: a byte scan for '<!DOCTYPE' would not find it."""
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Message [<!ENTITY a "b">]>' + _body_after_declaration()
    return text.encode("utf-16" if bom else "utf-16-le")


def doctype_after_short_comment() -> bytes:
    """A DTD right after a comment at the top, inside the first few kilobytes."""
    return cin_census([cin_child("K1")], prolog='<!-- exported --><!DOCTYPE Message [<!ENTITY a "b">]>')


def doctype_far_down() -> bytes:
    """A DTD behind a comment longer than the reader's first chunk (64 KB), far past the prolog check."""
    return cin_census([cin_child("K1")], prolog="<!--" + "x" * 70_000 + '--><!DOCTYPE Message [<!ENTITY a "b">]>')


def doctype_in_utf7() -> bytes:
    """A document declaring UTF-7, in which '<!DOCTYPE' is spelt '+ADw-!DOCTYPE'."""
    return ('<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE Message +AFs-+ADw-!ENTITY a "b"+AD4-+AF0-+AD4-'
            + _body_after_declaration()).encode()  # fmt: skip


def doctype_in_ebcdic() -> bytes:
    """A document declaring an EBCDIC code page, where the DTD's bytes are nothing like ASCII."""
    declaration = b'<?xml version="1.0" encoding="cp500"?>'
    return declaration + ('<!DOCTYPE Message [<!ENTITY a "b">]>' + _body_after_declaration()).encode("cp500")


def undeclared_entity() -> bytes:
    """An entity reference with no DTD to declare it: the parser must refuse, not fetch or guess."""
    return cin_census([cin_child("&xxe;")])
