"""Evidence files follow the blind rule of independent answers on every path (respondents/
blind.py): the domain page, the page's download, the JSON export and the export with
evidence (ZIP), the report's appendix (page, PDF/Word options) and the History.

Victor (viewer) and Carla (consultant) answer both domains; Alice (org admin) coordinates and
answers none. Each attaches one file to a question of "gov". A respondent still answering
sees only their own file there; anyone else sees a respondent's file once that respondent
marked the domain done, and Alice's (who answers none) unless still answering "gov".
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from assessments.models import AuditEntry
from evidence.models import EvidenceFile
from evidence.services import evidence_delete, evidence_upload
from reports.report import build_report
from reports.report_docx import report_docx
from reports.report_options import report_options
from respondents.independent import independent_mode_set, respondent_domain_done
from respondents.services import assignment_create
from tests import factories

NAMES = {"carla": "carla-k7.txt", "victor": "victor-k8.txt", "alice": "alice-k9.txt"}
QUESTION = {"carla": "gov.q01", "victor": "gov.q01", "alice": "gov.q03"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def assessment(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    for person in (world.victor, world.carla):
        for domain in ("gov", "ops"):
            assignment_create(
                assessment=assessment,
                domain_key=domain,
                respondent=person,
                due_date=None,
                user=world.alice,
            )
    for who in ("carla", "victor", "alice"):
        content = f"Minutes kept by {who}\n".encode()
        evidence_upload(
            assessment=assessment,
            question_key=QUESTION[who],
            name=NAMES[who],
            stream=io.BytesIO(content),
            size=len(content),
            user=getattr(world, who),
        )
    return assessment


def _names(text: str) -> set[str]:
    return {who for who, name in NAMES.items() if name in text}


def _domain_page(world, assessment, user) -> set[str]:
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    return _names(_client(user).get(url).content.decode())


def _downloads(world, assessment, user) -> set[str]:
    client = _client(user)
    seen = set()
    for evidence in EvidenceFile.objects.filter(assessment=assessment):
        response = client.get(reverse("evidence:download", args=[evidence.pk]))
        assert response.status_code in (200, 404), (evidence.name, response.status_code)
        if response.status_code == 200:
            seen |= _names(evidence.name)
    return seen


def _json_export(world, assessment, user) -> set[str]:
    response = _client(user).get(reverse("assessments:export-json", args=[assessment.pk]))
    data = json.loads(response.content)
    listed = [f["name"] for entry in data["answers"].values() for f in entry.get("files", [])]
    return _names(" ".join(listed))


def _zip_export(world, assessment, user) -> set[str]:
    response = _client(user).get(reverse("evidence:export-zip", args=[assessment.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.namelist()
    return _names(" ".join(m for m in members if m.startswith("evidence/")))


def _report_page(world, assessment, user) -> set[str]:
    response = _client(user).get(reverse("reports:gap-report", args=[assessment.pk]))
    assert response.status_code == 200
    return _names(response.content.decode())


def _word_cells(data: bytes) -> set[str]:
    document = Document(io.BytesIO(data))
    return _names(" ".join(c.text for t in document.tables for row in t.rows for c in row.cells))


def _history(world, assessment, user) -> set[str]:
    response = _client(user).get(reverse("assessments:history", args=[assessment.pk]))
    return _names(response.content.decode())


PATHS = [_domain_page, _downloads, _json_export, _zip_export, _report_page, _history]


def _seen(path, world, assessment) -> dict[str, set[str]]:
    return {who: path(world, assessment, getattr(world, who)) for who in NAMES}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__.strip("_"))
def test_each_path_shows_a_respondents_file_only_once_they_are_done(world, assessment, path):
    # Nobody is done: each respondent sees only their own; Alice only hers.
    assert _seen(path, world, assessment) == {
        "carla": {"carla"},
        "victor": {"victor"},
        "alice": {"alice"},
    }
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    # Carla done: the coordinator sees her file; Victor, still answering, still only his;
    # Carla sees Alice's, not Victor's (he is not done).
    assert _seen(path, world, assessment) == {
        "carla": {"carla", "alice"},
        "victor": {"victor"},
        "alice": {"alice", "carla"},
    }
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    everything = {"carla", "victor", "alice"}
    assert _seen(path, world, assessment) == {who: everything for who in NAMES}


def test_a_respondent_who_answers_another_domain_only_is_blind_there_only(world, assessment):
    """Sam (site admin) answers "ops" only: for "gov" he is anyone else."""
    assignment_create(
        assessment=assessment,
        domain_key="ops",
        respondent=world.sam,
        due_date=None,
        user=world.alice,
    )
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assert _downloads(world, assessment, world.sam) == {"alice", "carla"}


def test_report_files_show_done_respondents_and_others_and_withhold_open_domains(world, assessment):
    """A report file (PDF, Word, HTML file) is made for nobody at hand: a batch export or
    `export_report` sees as someone who answers nothing; one made for a person still answering
    a domain shows none of that domain's files, their own neither (the PDF is cached and
    shared by everyone with the same open domains)."""
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    nobody = report_options(assessment=assessment)
    report = build_report(assessment, charts_mode="none", options=nobody)
    assert _names(" ".join(row.name for row in report.evidence_files)) == {"alice", "carla"}
    assert _word_cells(report_docx(assessment, options=nobody)) == {"alice", "carla"}
    for_victor = report_options(assessment=assessment, user=world.victor)
    assert for_victor.blind_domains == ("gov", "ops")
    assert build_report(assessment, charts_mode="none", options=for_victor).evidence_files == []
    assert _word_cells(report_docx(assessment, options=for_victor)) == set()
    # Through the page's Word download too.
    response = _client(world.victor).get(reverse("reports:gap-report-docx", args=[assessment.pk]))
    assert response.status_code == 200
    assert _word_cells(response.content) == set()
    response = _client(world.alice).get(reverse("reports:gap-report-docx", args=[assessment.pk]))
    assert _word_cells(response.content) == {"alice", "carla"}


def test_a_hidden_file_cannot_be_deleted_either(world, assessment):
    """Deleting needs the file: one the blind rule hides is a 404, and stays."""
    carla_file = EvidenceFile.objects.get(name=NAMES["carla"])
    response = _client(world.alice).post(reverse("evidence:delete", args=[carla_file.pk]))
    assert response.status_code == 404
    assert EvidenceFile.objects.filter(pk=carla_file.pk).exists()


def test_the_history_hides_a_hidden_files_deletion_and_the_scanners_lines(world, assessment):
    carla_file = EvidenceFile.objects.get(name=NAMES["carla"])
    evidence_delete(evidence=carla_file, user=world.carla)
    deleted = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_DELETED)
    assert deleted.user == world.carla
    assert "carla" not in _history(world, assessment, world.alice)
    assert "carla" in _history(world, assessment, world.carla)
    # A line of the virus scanner (nobody's) is hidden from whoever still answers the domain.
    AuditEntry.objects.create(
        assessment=assessment,
        user=None,
        action=AuditEntry.Action.EVIDENCE_DELETED,
        subject="gov.q02",
        old={"file": "scanner-k6.txt", "size": "1 KB", "sha256": "0" * 64},
    )
    assert (
        "scanner-k6.txt"
        in _client(world.alice)
        .get(reverse("assessments:history", args=[assessment.pk]))
        .content.decode()
    )
    assert (
        "scanner-k6.txt"
        not in _client(world.victor)
        .get(reverse("assessments:history", args=[assessment.pk]))
        .content.decode()
    )


def test_outside_the_independent_mode_everyone_sees_every_file(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    shared = factories.make_assessment(world.clinic, world.instrument)
    content = b"Minutes\n"
    evidence_upload(
        assessment=shared,
        question_key="gov.q01",
        name=NAMES["carla"],
        stream=io.BytesIO(content),
        size=len(content),
        user=world.carla,
    )
    assignment_create(
        assessment=shared,
        domain_key="gov",
        respondent=world.victor,
        due_date=None,
        user=world.alice,
    )
    for path in PATHS:
        assert path(world, shared, world.victor) == {"carla"}, path.__name__
