"""Small files of every kind, made here: what the evidence tests upload."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from openpyxl import Workbook

from evidence.demo import tiny_pdf, tiny_png

PDF = tiny_pdf("Business associate agreement", ("Signed 2026-01-12",))
PNG = tiny_png((40, 80))
# The JPEG signature and a JFIF header are what is read; the rest need not be a picture.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)
CSV = b"tool,users\r\nScribe,12\r\n"
TEXT = "Training log: 12 staff, 2026-02-03 \u2713\n".encode()
# A legacy .doc: the OLE compound file signature.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(100)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(100)
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def docx() -> bytes:
    document = Document()
    document.add_paragraph("AI acceptable use policy")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["tool", "owner"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_macros() -> bytes:
    """A .docm (Word with a VBA project), as it is when renamed .docx."""
    types = (
        b'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" '
        b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    return zip_of(
        {
            "[Content_Types].xml": types,
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\x00" * 32,
        }
    )


def macro_type_only() -> bytes:
    """Declared macro-enabled, without a VBA part in sight (still refused)."""
    return zip_of(
        {
            "[Content_Types].xml": b"<Types>application/vnd.ms-excel.sheet.macroEnabled.main+xml</Types>",
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def plain_zip() -> bytes:
    return zip_of({"notes.txt": b"hello"})
