"""The periodic virus scan as a Celery beat task (evidence/tasks.py): the body of
`manage.py scan_evidence`, a no-op without CLAMD_SOCKET, and on the beat schedule."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from assessments.models import AuditEntry
from evidence.models import EvidenceFile
from evidence.tasks import NO_SCANNER, evidence_scan_waiting
from tests.evidence import samples
from tests.evidence.conftest import signed_in, stored, upload

pytestmark = pytest.mark.django_db
Status = EvidenceFile.Status


def test_the_task_scans_waiting_files_as_the_command_does(
    world, draft, media, settings, tmp_path, clamd_daemon, django_capture_on_commit_callbacks
):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    upload(signed_in(world.sam), draft, "gov.q01", "log.txt", samples.EICAR)
    assert set(EvidenceFile.objects.values_list("status", flat=True)) == {Status.PENDING}
    # The scanner is still out of reach: the files keep waiting, nothing else changes.
    assert evidence_scan_waiting() == (
        "Scanned 2 file(s): 0 clean, 0 infected (content deleted), 2 still waiting, "
        "0 could not be scanned."
    )
    assert set(EvidenceFile.objects.values_list("status", flat=True)) == {Status.PENDING}
    settings.CLAMD_SOCKET = str(clamd_daemon.path)
    revision = draft.revision
    with django_capture_on_commit_callbacks(execute=True):
        summary = evidence_scan_waiting.apply().get()  # as a worker runs it
    assert summary == (
        "Scanned 2 file(s): 1 clean, 1 infected (content deleted), 0 still waiting, "
        "0 could not be scanned."
    )
    statuses = dict(EvidenceFile.objects.values_list("name", "status"))
    assert statuses == {"minutes.pdf": Status.CLEAN, "log.txt": Status.INFECTED}
    assert len(stored(media)) == 1  # the virus's content is deleted
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EVIDENCE_DELETED).count() == 1
    draft.refresh_from_db()
    assert draft.revision > revision
    # Scanned files are not asked about again: the next run has nothing to do.
    assert evidence_scan_waiting().startswith("Scanned 0 file(s)")
    assert len(clamd_daemon.scanned) == 2


def test_without_a_scanner_the_task_does_nothing(world, draft, media, settings):
    settings.CLAMD_SOCKET = ""
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    before = list(EvidenceFile.objects.values_list("pk", "status", "scanned_at"))
    assert before[0][1] == Status.UNSCANNED
    assert evidence_scan_waiting() == NO_SCANNER
    assert list(EvidenceFile.objects.values_list("pk", "status", "scanned_at")) == before


def test_the_task_is_on_the_beat_schedule():
    schedule = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["evidence.tasks.evidence_scan_waiting"] <= 15 * 60
    assert evidence_scan_waiting.name == "evidence.tasks.evidence_scan_waiting"
