"""What a file is, read from its content, never from its name. Pure: no Django.

Accepted: PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, and UTF-8 text (CSV or plain text).
Everything is decided from the bytes: a renamed program, a legacy Office file (which can carry
macros), a macro-enabled .docm/.xlsm renamed .docx, or an arbitrary ZIP is refused whatever it
is called. `checks.py` then holds the name against what was found here.
"""

from __future__ import annotations

import codecs
import lzma
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 64 * 1024
# [Content_Types].xml of a real document is a few KB; more is not read.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """A type of file that may be attached."""

    key: str
    label: str  # as a sentence names the content: "a PDF"
    content_type: str
    extensions: tuple[str, ...]  # the first is the one to suggest


PDF = Kind("pdf", "a PDF", "application/pdf", (".pdf",))
DOCX = Kind(
    "docx",
    "a Word document (.docx)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = Kind(
    "xlsx",
    "an Excel workbook (.xlsx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
PNG = Kind("png", "a PNG image", "image/png", (".png",))
JPEG = Kind("jpeg", "a JPEG image", "image/jpeg", (".jpg", ".jpeg"))
CSV = Kind("csv", "a CSV file", "text/csv", (".csv",))
TEXT = Kind("text", "plain text", "text/plain", (".txt",))

KINDS = (PDF, DOCX, XLSX, PNG, JPEG, CSV, TEXT)
BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}
# For messages: "PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, CSV or plain text (.txt)".
ACCEPTED_WORDS = "PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, CSV or plain text (.txt)"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
# Programs: Windows (MZ), Linux (ELF), macOS (Mach-O, both byte orders, and universal binaries,
# whose magic Java class files share), WebAssembly.
_PROGRAM_SIGNATURES = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
)
# Parts of an Office file that hold code: VBA projects, Excel 4.0 macro sheets, ActiveX.
_CODE_PARTS = ("vbaproject.bin", "vbadata.xml")
_CODE_FOLDERS = ("xl/macrosheets/", "word/activex/", "xl/activex/")


# What reading a damaged or crafted ZIP may raise: the zipfile module's own errors, and those of
# the decompressors underneath it (zlib, bz2, lzma), of unsupported methods and of encryption.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class NotAccepted(Exception):
    """The content is not a type that may be attached. `reason` completes "“x” was refused: "."""

    def __init__(self, reason: str, code: str) -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


def sniff(stream: BinaryIO) -> Kind:
    """The kind of the content of `stream` (seekable, read from the start); raises NotAccepted.

    Text comes back as TEXT: whether it is CSV or plain text is the name's to say (both are
    valid UTF-8 without NUL bytes).
    """
    stream.seek(0)
    head = stream.read(64)
    stream.seek(0)
    if not head:
        raise NotAccepted("the file is empty", "empty")
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_OLE_SIGNATURE):
        raise NotAccepted(
            "legacy Word and Excel files (.doc, .xls) can carry macros. Save it as .docx, "
            ".xlsx or PDF and attach that instead",
            "legacy_office",
        )
    if head.startswith(_ZIP_SIGNATURE):
        return _office_kind(stream)
    if _is_program(head):
        raise NotAccepted("it is a program, not a document", "program")
    if _is_text(stream):
        return TEXT
    raise NotAccepted(f"its content is not one of the types accepted ({ACCEPTED_WORDS})", "type")


def _is_program(head: bytes) -> bool:
    if head.startswith(_PROGRAM_SIGNATURES) or head.startswith(b"#!"):
        return True
    # A DOS/Windows executable: "MZ" then a binary header (a text that happens to start with
    # "MZ" has no NUL byte there).
    return head.startswith(b"MZ") and b"\x00" in head


def _is_text(stream: BinaryIO) -> bool:
    """Valid UTF-8 (a byte order mark allowed) with no NUL byte, read to the end."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    stream.seek(0)
    try:
        while chunk := stream.read(CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True


def _office_kind(stream: BinaryIO) -> Kind:
    """A ZIP is accepted only as an Office Open XML document (.docx, .xlsx) without code."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = {info.filename.lower(): info for info in archive.infolist()}
            if "[content_types].xml" not in infos:
                raise NotAccepted(
                    "it is a ZIP archive: archives cannot be attached (attach the files in it "
                    "one by one)",
                    "archive",
                )
            if any(name.rsplit("/", 1)[-1] in _CODE_PARTS for name in infos) or any(
                name.startswith(_CODE_FOLDERS) for name in infos
            ):
                raise NotAccepted(_MACROS, "macros")
            types = infos["[content_types].xml"]
            if types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise NotAccepted("it is a damaged Office file", "damaged")
            with archive.open(types) as handle:
                declared = handle.read(MAX_CONTENT_TYPES_BYTES + 1).lower()
    except ZIP_ERRORS as exc:
        raise NotAccepted("it is a damaged ZIP or Office file", "damaged") from exc
    finally:
        stream.seek(0)
    if b"macroenabled" in declared or b"vbaproject" in declared:
        raise NotAccepted(_MACROS, "macros")
    if "word/document.xml" in infos:
        return DOCX
    if "xl/workbook.xml" in infos:
        return XLSX
    raise NotAccepted(
        f"it is an Office file of a kind that cannot be attached ({ACCEPTED_WORDS})", "type"
    )


_MACROS = (
    "it contains macros or ActiveX controls, which can run code. Save it without macros "
    "(as .docx, .xlsx or PDF) and attach that instead"
)
