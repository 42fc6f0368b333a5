"""Demo evidence files (issue 14): a few small generated files on the demo's answers.

Run by `manage.py seed_demo` after the assessments exist: a one-page PDF, a CSV and a PNG
chart, made here (nothing is downloaded), attached to the answers whose evidence notes name
them. An assessment that has files already is left as it is (running it again changes nothing).
The files go through the same checks and storage as an upload; only the read-only rule of a
submitted round is passed over, as an import does, since the demo's rounds are submitted
before their files are added.
"""

from __future__ import annotations

import datetime
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from assessments.models import Answer, Assessment
from evidence.models import EvidenceFile
from evidence.scanning import scan_content
from evidence.services import check_upload, create_row, discard_stored, store_content


def tiny_pdf(title: str, lines: tuple[str, ...]) -> bytes:
    """A one-page PDF (Letter) with a title and a few lines of Helvetica."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT", "/F1 16 Tf", "72 720 Td", f"({escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text += ["0 -22 Td", f"({escape(line)}) Tj"]
    stream = "\n".join([*text, "ET"]).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def tiny_png(values: tuple[int, ...], *, height: int = 60, bar: int = 14) -> bytes:
    """A small bar chart as an RGB PNG: one bar per value (0-100), on white."""
    width = bar * len(values) + 4 * (len(values) + 1)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            slot, offset = divmod(x - 4, bar + 4)
            inside = x >= 4 and offset < bar and slot < len(values)
            filled = inside and height - y <= values[slot] * (height - 4) // 100
            row += bytes((31, 95, 159)) if filled else bytes((255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack("!I", len(data))
            + kind
            + data
            + struct.pack("!I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class DemoFile:
    site: str
    round_label: str
    question_key: str
    name: str
    make: Callable[[], bytes]


FILES = (
    DemoFile(
        "Riverbend General Hospital",
        "2026 spring",
        "ethics.q02a",
        "BAA register 2026.pdf",
        lambda: tiny_pdf(
            "Business associate agreements: AI vendors",
            (
                "Nuance (DAX ambient scribe) - signed 2025-03-04",
                "Aidoc (radiology triage) - signed 2025-06-19",
                "Epic (sepsis model add-on) - signed 2026-01-12",
                "Kept by Legal: contracts drive / Legal / BAA",
            ),
        ),
    ),
    DemoFile(
        "Riverbend General Hospital",
        "2026 spring",
        "ethics.q03",
        "sso-mfa-coverage-2026-02.csv",
        lambda: (
            b"tool,users,sso,mfa\r\nDAX scribe,142,yes,yes\r\nAidoc,18,yes,yes\r\n"
            b"Epic sepsis model,all,yes,yes\r\n"
        ),
    ),
    DemoFile(
        "Riverbend General Hospital",
        "2026 spring",
        "patients.q08",
        "consent-audit-2026-03.png",
        lambda: tiny_png((96, 92, 98, 100, 94)),
    ),
    DemoFile(
        "Eastside Community Clinic",
        "2026 spring",
        "ethics.q02a",
        "BAA Suki renewal 2026-02.pdf",
        lambda: tiny_pdf(
            "Business associate agreement: Suki",
            ("Signed 2025-05-02, renewed 2026-02-10", "Copy in the compliance binder"),
        ),
    ),
    DemoFile(
        "Eastside Community Clinic",
        "2025 autumn",
        "ethics.q02a",
        "BAA Suki 2025.pdf",
        lambda: tiny_pdf("Business associate agreement: Suki", ("Signed 2025-05-02",)),
    ),
)


def demo_evidence_seed() -> int:
    """Attach the demo's files to assessments that have none yet; returns how many."""
    created = 0
    stored: list[str] = []
    users = get_user_model().objects
    try:
        with transaction.atomic():
            # Assessments that had files before this run are left as they are.
            done = set(EvidenceFile.objects.values_list("assessment_id", flat=True).distinct())
            for demo in FILES:
                assessment = (
                    Assessment.objects.with_context()
                    .filter(site__name=demo.site, round_label=demo.round_label)
                    .first()
                )
                if assessment is None or assessment.pk in done:
                    continue
                answer = (
                    Answer.objects.filter(assessment=assessment, question__key=demo.question_key)
                    .select_related("answered_by")
                    .first()
                )
                user = answer.answered_by if answer else users.filter(is_superuser=False).first()
                content = io.BytesIO(demo.make())
                checked = check_upload(demo.name, content, len(content.getvalue()))
                outcome = scan_content(content)
                stored.append(store_content(content))
                when = answer.answered_at if answer else None
                create_row(
                    assessment=assessment,
                    question_key=demo.question_key,
                    checked=checked,
                    stored_name=stored[-1],
                    outcome=outcome,
                    user=user,
                    uploaded_at=when + datetime.timedelta(minutes=3) if when else None,
                )
                created += 1
    except BaseException:
        discard_stored(stored)
        raise
    return created
