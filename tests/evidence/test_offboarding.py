"""Offboarding an organisation takes its evidence files along: exported, then deleted."""

from __future__ import annotations

import io
import zipfile

import pytest

from evidence.models import EvidenceFile
from offboarding.services import organisation_delete, organisation_export
from tests.evidence import samples
from tests.evidence.conftest import signed_in, stored, upload

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_files_and_the_deletion_removes_them(
    world, draft, media, django_capture_on_commit_callbacks
):
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    export = organisation_export(organisation=world.org, user=world.alice, via="test")
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        member = f"assessments/{draft.pk}/evidence/gov.q03/minutes.pdf"
        assert archive.read(member) == samples.PDF
    assert export.counts["evidence_files"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        organisation_delete(
            organisation=world.org, confirm_name=world.org.name, user=world.alice, via="test"
        )
    assert not EvidenceFile.objects.exists()
    assert stored(media) == []
