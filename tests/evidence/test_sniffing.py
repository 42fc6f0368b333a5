"""What a file is, from its content: pure, no database."""

from __future__ import annotations

import io

import pytest

from evidence import sniffing
from tests.evidence import samples


def _sniff(data: bytes) -> sniffing.Kind:
    return sniffing.sniff(io.BytesIO(data))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.PDF, sniffing.PDF),
        (samples.PNG, sniffing.PNG),
        (samples.JPEG, sniffing.JPEG),
        (samples.docx(), sniffing.DOCX),
        (samples.xlsx(), sniffing.XLSX),
        (samples.CSV, sniffing.TEXT),
        (samples.TEXT, sniffing.TEXT),
        ("\ufeffa,b\n".encode(), sniffing.TEXT),  # a byte order mark is fine
        (b"MZ Hospital, 12 beds\n", sniffing.TEXT),  # text that starts with "MZ"
    ],
)
def test_it_knows_each_accepted_kind_from_its_content(data, kind):
    assert _sniff(data) is kind


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty", "empty"),
        (samples.OLE, "legacy_office", "can carry macros"),
        (samples.EXE, "program", "program"),
        (samples.ELF, "program", "program"),
        (samples.SCRIPT, "program", "program"),
        (samples.with_macros(), "macros", "macros"),
        (samples.macro_type_only(), "macros", "macros"),
        (samples.plain_zip(), "archive", "ZIP archive"),
        (b"PK\x03\x04 cut short", "damaged", "damaged"),
        (b"GIF89a" + bytes(20), "type", "not one of the types accepted"),
        ("caf\u00e9".encode("latin-1"), "type", "not one of the types accepted"),
        (b"text with a NUL \x00 byte", "type", "not one of the types accepted"),
    ],
)
def test_it_refuses_what_may_not_be_attached(data, code, words):
    with pytest.raises(sniffing.NotAccepted) as refused:
        _sniff(data)
    assert refused.value.code == code
    assert words in refused.value.reason


def test_a_powerpoint_file_is_not_taken_for_word_or_excel():
    pptx = samples.zip_of(
        {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"}
    )
    with pytest.raises(sniffing.NotAccepted, match="Office file of a kind"):
        _sniff(pptx)


def test_the_stream_is_left_at_its_start():
    stream = io.BytesIO(samples.docx())
    sniffing.sniff(stream)
    assert stream.tell() == 0
