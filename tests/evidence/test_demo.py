"""The demo's evidence files: generated here, acceptable as any upload, attached once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from evidence import sniffing
from evidence.demo import FILES, demo_evidence_seed, tiny_pdf, tiny_png
from evidence.models import EvidenceFile

pytestmark = pytest.mark.django_db


def test_the_generated_files_are_what_their_names_say():
    assert sniffing.sniff(io.BytesIO(tiny_pdf("Title", ("a line",)))) is sniffing.PDF
    assert sniffing.sniff(io.BytesIO(tiny_png((10, 90)))) is sniffing.PNG


def test_seed_demo_attaches_the_files_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert f"Demo evidence files: {len(FILES)} attached." in out.getvalue()
    files = EvidenceFile.objects.all()
    assert {f.content_type for f in files} == {"application/pdf", "text/csv", "image/png"}
    for evidence in files:
        assert (tmp_path / evidence.stored_name).stat().st_size == evidence.size
        assert evidence.uploader_name  # the person who answered the question
    assert demo_evidence_seed() == 0
    assert EvidenceFile.objects.count() == len(FILES)
