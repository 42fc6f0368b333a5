"""Fuzz the evidence upload (issue 14): no file or name gives a 500; a refused one keeps
nothing (no row, no audit entry, no stored content); an accepted one is what its name says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import AuditEntry
from evidence import sniffing
from evidence.models import EvidenceFile
from tests.evidence import samples
from tests.fuzz.common import FUZZ, assessment_with_work, rolled_back, signed_in, values

pytestmark = pytest.mark.django_db

KNOWN = [
    samples.PDF,
    samples.PNG,
    samples.JPEG,
    samples.CSV,
    samples.TEXT,
    samples.OLE,
    samples.EXE,
    samples.ELF,
    samples.SCRIPT,
    samples.docx(),
    samples.xlsx(),
    samples.with_macros(),
    samples.macro_type_only(),
    samples.plain_zip(),
    b"",
    b"PK\x03\x04",
    b"%PDF",
    b"\x89PNG",
]
EXTENSIONS = [".pdf", ".docx", ".xlsx", ".png", ".jpg", ".csv", ".txt", ".doc", ".exe", ".html", ""]


def _contents() -> st.SearchStrategy[bytes]:
    def mutate(base: bytes, index: int, junk: bytes) -> bytes:
        cut = index % (len(base) + 1)
        return base[:cut] + junk + base[cut + len(junk) :]

    return st.one_of(
        st.sampled_from(KNOWN),
        st.binary(max_size=400),
        st.builds(mutate, st.sampled_from(KNOWN), st.integers(0, 5000), st.binary(max_size=40)),
    )


def _names() -> st.SearchStrategy[str]:
    return st.one_of(
        values(),
        st.builds(lambda stem, ext: stem + ext, values(), st.sampled_from(EXTENSIONS)),
        st.builds(lambda ext: "evidence" + ext, st.sampled_from(EXTENSIONS)),
    )


def _stored(media: Path) -> list[Path]:
    folder = media / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_MAX_BYTES = 64 * 1024
    return settings.MEDIA_ROOT


@FUZZ
@given(
    content=_contents(),
    name=_names(),
    key=st.one_of(st.sampled_from(["gov.q01", "gov.q03", "ops.q02"]), st.text(max_size=20)),
    field=st.sampled_from(["file", "file", "other"]),
)
def test_fuzz_the_evidence_upload(world, media, content, name, key, field):
    with rolled_back():
        assessment = assessment_with_work(world)
        # The test client sends only a plain name (Django's File refuses others before a request).
        plain = re.sub(r"[/\\\x00]", "_", name)[:250].strip()
        upload = SimpleUploadedFile(plain if plain not in {"", ".", ".."} else "x", content)
        before_files = list(EvidenceFile.objects.values_list("pk", flat=True))
        before_audit = AuditEntry.objects.count()
        before_stored = _stored(media)
        try:
            url = reverse("evidence:upload", args=[assessment.pk, key])
        except Exception:  # noqa: BLE001 - a key no URL can carry ("/" in it): nothing to post
            return
        response = signed_in(world.sam).post(url, {field: upload})
        # 400: a part header over Django's limit (a name of hundreds of 4-byte characters).
        assert response.status_code in (302, 400, 404), response.status_code
        created = EvidenceFile.objects.exclude(pk__in=before_files)
        if created.exists():
            evidence = created.get()
            assert response.status_code == 302
            assert evidence.size == len(content) > 0
            kind = sniffing.BY_EXTENSION["." + evidence.name.rsplit(".", 1)[-1].lower()]
            assert evidence.content_type == kind.content_type
            assert re.fullmatch(r"evidence/[0-9a-f]{32}", evidence.stored_name)
            assert (media / evidence.stored_name).read_bytes() == content
            assert AuditEntry.objects.count() == before_audit + 1
        else:
            assert AuditEntry.objects.count() == before_audit
            assert _stored(media) == before_stored
