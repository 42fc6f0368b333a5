"""Whether one file may be attached: name, size, content against the name. Pure."""

from __future__ import annotations

import io

import pytest

from evidence.checks import FileRefused, check_file, clean_name
from tests.evidence import samples

LIMIT = 10 * 1024 * 1024


def _check(name: str, data: bytes, size: int | None = None):  # type: ignore[no-untyped-def]
    return check_file(name, io.BytesIO(data), len(data) if size is None else size, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("BAA.pdf", samples.PDF, "application/pdf"),
        ("chart.PNG", samples.PNG, "image/png"),
        ("photo.jpg", samples.JPEG, "image/jpeg"),
        ("photo.jpeg", samples.JPEG, "image/jpeg"),
        (
            "policy.docx",
            samples.docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "register.xlsx",
            samples.xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("users.csv", samples.CSV, "text/csv"),
        ("log.txt", samples.TEXT, "text/plain"),
        ("log.txt", samples.CSV, "text/plain"),  # CSV content named .txt is text
        ("users.csv", samples.TEXT, "text/csv"),  # any text named .csv is CSV
    ],
)
def test_an_acceptable_file_is_described_by_its_content(name, data, content_type):
    checked = _check(name, data)
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "data", "code", "words"),
    [
        ("scan.pdf", samples.EXE, "program", "“scan.pdf” was refused: it is a program"),
        (
            "minutes.doc",
            samples.OLE,
            "legacy_office",
            "legacy Word and Excel files (.doc, .xls) can carry macros",
        ),
        ("budget.xls", samples.OLE, "legacy_office", "can carry macros"),
        ("policy.docx", samples.with_macros(), "macros", "contains macros"),
        (
            "policy.pdf",
            samples.PNG,
            "mismatch",
            "its name says a PDF but its content is a PNG image",
        ),
        ("notes.pdf", samples.TEXT, "mismatch", "its content is plain text"),
        ("policy.exe", samples.PDF, "extension", "files ending “.exe” cannot be attached"),
        ("policy", samples.PDF, "extension", "has no extension"),
        (".pdf", samples.PDF, "extension", "has no extension"),
        ("empty.pdf", b"", "empty", "“empty.pdf” is empty"),
        ("bundle.zip", samples.plain_zip(), "archive", "archives cannot be attached"),
    ],
)
def test_each_refusal_names_the_file_and_says_why(name, data, code, words):
    with pytest.raises(FileRefused) as refused:
        _check(name, data)
    assert refused.value.code == code
    assert words in refused.value.message


def test_an_oversized_file_is_refused_before_its_content_is_read():
    with pytest.raises(FileRefused, match=r"“big.pdf” is 12 MB; files up to 10 MB can be attached"):
        _check("big.pdf", b"", size=12 * 1024 * 1024)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("../../etc/passwd.pdf", "folder path"),
        ("C:\\Users\\me\\BAA.pdf", "folder path"),
        ("reports/BAA.pdf", "folder path"),
        ("..", "folder path"),
        ("   ", "has no name"),
        ("evil\u202efdp.exe", "control or invisible characters"),
        ("line\nbreak.pdf", "control or invisible characters"),
        ("x" * 201 + ".pdf", "too long"),
    ],
)
def test_names_with_paths_or_hidden_characters_are_refused(raw, words):
    with pytest.raises(FileRefused, match=words):
        clean_name(raw)


def test_names_are_trimmed_and_normalised():
    assert clean_name("  Cafe\u0301 policy.pdf ") == "Caf\u00e9 policy.pdf"
