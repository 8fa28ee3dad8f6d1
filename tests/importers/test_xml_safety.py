"""The CIN census reader's own guard: the standard library's C parser is used only on XML that has no DTD
anywhere and an encoding in which a DTD cannot hide. These call the reader directly, past format detection,
so the guard is shown to hold on its own."""

from __future__ import annotations

import pytest

from auditapp.importers import ImportFailed, Source
from auditapp.importers.cin_census import parse_cin_census, root_name
from auditapp.importers.records import Issues
from tests.importers.generators import cin_census, cin_child
from tests.importers.hostile import (
    billion_laughs,
    doctype_after_short_comment,
    doctype_far_down,
    doctype_in_ebcdic,
    doctype_in_utf7,
    doctype_in_utf16,
    late_doctype,
    undeclared_entity,
    xxe,
)

HOSTILE = {
    "billion_laughs": (billion_laughs(), "DOCTYPE"),
    "xxe": (xxe(), "DOCTYPE"),
    "doctype_after_long_comment": (late_doctype(), "DOCTYPE"),
    "doctype_after_short_comment": (doctype_after_short_comment(), "DOCTYPE"),
    "doctype_far_down": (doctype_far_down(), "DOCTYPE"),
    "doctype_in_utf16": (doctype_in_utf16(), "UTF-16"),
    "doctype_in_utf16_without_bom": (doctype_in_utf16(bom=False), "UTF-16"),
    "doctype_in_utf7": (doctype_in_utf7(), "UTF-7 encoding"),
    "doctype_in_ebcdic": (doctype_in_ebcdic(), "cp500 encoding"),
    "entity_declared_outside_a_doctype": (
        cin_census([cin_child("K1")]).replace(b"<Children>", b'<Children><!ENTITY a "b">'),
        "DOCTYPE",
    ),
    "declaration_that_cannot_be_read": (
        cin_census([cin_child("K1")]).replace(b'encoding="utf-8"', b"encoding=utf-8"),
        "XML declaration",
    ),
    "utf8_bom_declaring_latin1": (
        b"\xef\xbb\xbf" + cin_census([cin_child("K1")]).replace(b"utf-8", b"iso-8859-1"),
        "iso-8859-1 encoding",
    ),
}


@pytest.mark.parametrize("data, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_census_reader_refuses_hostile_xml_before_parsing(data: bytes, message: str):
    source = Source("cin.xml", data)
    for read in (lambda: parse_cin_census(source, Issues()), lambda: root_name(source)):
        with pytest.raises(ImportFailed) as failure:
            read()
        assert message in failure.value.issues[0].message


def test_entity_reference_without_a_doctype_is_refused_not_fetched():
    with pytest.raises(ImportFailed) as failure:
        parse_cin_census(Source("cin.xml", undeclared_entity()), Issues())
    assert "not well formed" in failure.value.issues[0].message


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + cin_census([cin_child("K1")]),
        cin_census([cin_child("K1")]).replace(b' encoding="utf-8"', b""),
        cin_census([cin_child("K1")]).replace(b"utf-8", b"ISO-8859-1").replace(b"K1", "K\xe91".encode("latin-1")),
        cin_census([cin_child("K1")]).replace(b"utf-8", b"windows-1252").replace(b"K1", b"K\x801"),
        cin_census([cin_child("K1")]).replace(b'"1.0" encoding="utf-8"', b"'1.0' encoding='US-ASCII' standalone='yes'"),
        cin_census([cin_child("K1")], prolog="<!-- a comment --><?xml-stylesheet href='x.xsl'?>"),
    ],
    ids=["utf8_bom", "no_encoding", "latin1", "windows_1252", "ascii_standalone", "comment_and_pi"],
)
def test_census_in_a_safe_encoding_is_read(data: bytes):
    records = parse_cin_census(Source("cin.xml", data), Issues())
    assert len(records) == 1
    assert records[0].case_ref in {"K1", "K\xe91", "K\u20ac1"}


def test_entities_the_xml_standard_defines_are_still_understood():
    data = cin_census([cin_child("K&amp;1&#65;")])
    assert parse_cin_census(Source("cin.xml", data), Issues())[0].case_ref == "K&1A"
