"""Evidence files and the ClamAV daemon (a fake one on a temporary unix socket)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import AuditEntry
from assessments.transfer_export import export_assessment
from evidence.models import EvidenceFile
from tests.evidence import samples
from tests.evidence.conftest import follow_upload, signed_in, state, stored, upload

pytestmark = pytest.mark.django_db
Status = EvidenceFile.Status


def _card(html: str, key: str) -> str:
    start = html.index(f'id="q-{key}"')
    end = html.find('class="question-card', start + 1)
    return html[start : end if end != -1 else len(html)]


def _domain(client, assessment) -> str:
    return client.get(reverse("assessments:domain", args=[assessment.pk, "gov"])).content.decode()


def test_a_clean_file_is_scanned_before_it_is_stored(world, draft, clamd_daemon):
    html = follow_upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    assert "It was scanned: no virus found." in _card(html, "gov.q03")
    evidence = EvidenceFile.objects.get()
    assert evidence.status == Status.CLEAN
    assert evidence.scanned_at is not None
    assert clamd_daemon.scanned == [samples.PDF]
    assert "minutes.pdf" in _card(_domain(signed_in(world.victor), draft), "gov.q03")


def test_an_infected_file_is_refused_and_nothing_is_kept(world, draft, media, clamd_daemon):
    before = state(draft)
    html = follow_upload(signed_in(world.sam), draft, "gov.q03", "log.txt", samples.EICAR)
    assert (
        "“log.txt” was refused: the virus scanner found Eicar-Test-Signature in it. "
        "It was not stored." in _card(html, "gov.q03")
    )
    assert state(draft) == before
    assert stored(media) == []


def test_a_file_the_daemon_cannot_scan_is_seen_by_its_uploader_only(world, draft, clamd_daemon):
    clamd_daemon.max_stream = 100
    html = follow_upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    assert "could not be scanned for viruses (INSTREAM size limit exceeded.)" in html
    evidence = EvidenceFile.objects.get()
    assert evidence.status == Status.FAILED
    assert "Could not be scanned" in _card(_domain(signed_in(world.sam), draft), "gov.q03")
    assert "minutes.pdf" not in _domain(signed_in(world.alice), draft)
    url = reverse("evidence:download", args=[evidence.pk])
    assert signed_in(world.alice).get(url).status_code == 404


def test_without_a_daemon_a_file_waits_unseen_until_scan_evidence_finds_it_clean(
    world, draft, settings, tmp_path, clamd_daemon
):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    html = follow_upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    assert "The virus scanner could not be reached" in _card(html, "gov.q03")
    evidence = EvidenceFile.objects.get()
    assert evidence.status == Status.PENDING
    # Its uploader sees it waiting and may open it; nobody else sees it anywhere.
    assert "Waiting for the virus scan" in _card(_domain(signed_in(world.sam), draft), "gov.q03")
    url = reverse("evidence:download", args=[evidence.pk])
    assert signed_in(world.sam).get(url).status_code == 200
    assert signed_in(world.alice).get(url).status_code == 404
    assert "minutes.pdf" not in _domain(signed_in(world.alice), draft)
    assert "files" not in str(export_assessment(draft)["answers"])
    report = signed_in(world.alice).get(reverse("reports:gap-report", args=[draft.pk]))
    assert "minutes.pdf" not in report.content.decode()

    settings.CLAMD_SOCKET = str(clamd_daemon.path)
    revision = draft.revision
    call_command("scan_evidence")
    evidence.refresh_from_db()
    assert evidence.status == Status.CLEAN
    draft.refresh_from_db()
    assert draft.revision > revision  # the report shows it now
    assert signed_in(world.alice).get(url).status_code == 200


def test_a_virus_found_later_deletes_the_content_and_tells_the_uploader(
    world, draft, media, settings, tmp_path, clamd_daemon, django_capture_on_commit_callbacks
):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    upload(signed_in(world.sam), draft, "gov.q03", "log.txt", samples.EICAR)
    assert len(stored(media)) == 1
    settings.CLAMD_SOCKET = str(clamd_daemon.path)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("scan_evidence")
    evidence = EvidenceFile.objects.get()
    assert (evidence.status, evidence.scan_detail) == (Status.INFECTED, "Eicar-Test-Signature")
    assert stored(media) == []
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_DELETED)
    assert entry.user is None
    assert "Eicar-Test-Signature" in entry.new["note"]
    card = _card(_domain(signed_in(world.sam), draft), "gov.q03")
    assert "Virus found, deleted: Eicar-Test-Signature" in card
    assert f'href="{reverse("evidence:download", args=[evidence.pk])}"' not in card
    # The uploader may clear it away; its name is free again.
    response = signed_in(world.sam).post(reverse("evidence:delete", args=[evidence.pk]))
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()


def test_scan_evidence_needs_a_scanner(settings):
    settings.CLAMD_SOCKET = ""
    with pytest.raises(CommandError, match="CLAMD_SOCKET is not set"):
        call_command("scan_evidence")
