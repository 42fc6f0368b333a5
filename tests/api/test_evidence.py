"""Evidence files through the API: list an answer's files, attach one (multipart), download
it (an attachment of its stored type, never sniffed), delete it (audited as via the API), with
the questionnaire's rules: a viewer only on a domain assigned to them, a submitted assessment
is a 409, every refusal a problem document with the service's code, the blind rule of
independent answers, and as many queries for 1 file as for 12."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assessments.models import AuditEntry
from assessments.services import assessment_submit
from evidence.models import EvidenceFile
from evidence.services import evidence_upload
from respondents.independent import independent_mode_set, respondent_domain_done
from respondents.models import Assignment
from respondents.services import assignment_create
from tests import factories
from tests.api.conftest import api_client
from tests.evidence import samples

PROBLEM = "application/problem+json"


@pytest.fixture
def draft(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return factories.make_assessment(world.clinic, world.instrument)


def _files_url(assessment, key: str = "gov.q01") -> str:
    return f"/api/v1/assessments/{assessment.pk}/answers/{key}/files/"


def _attach(assessment, user, name: str, data: bytes = samples.PDF, key: str = "gov.q01"):
    return evidence_upload(
        assessment=assessment,
        question_key=key,
        name=name,
        stream=io.BytesIO(data),
        size=len(data),
        user=user,
    ).evidence


def _post(client, assessment, name: str, data: bytes, key: str = "gov.q01"):
    return client.post(_files_url(assessment, key), {"file": SimpleUploadedFile(name, data)})


def _state() -> tuple:
    return (
        list(EvidenceFile.objects.order_by("pk").values_list("pk", "name", "status")),
        list(AuditEntry.objects.order_by("pk").values_list("pk", "action")),
    )


def test_an_answers_files_are_listed_with_their_details(world, draft):
    pdf = _attach(draft, world.sam, "baa-signed.pdf")
    _attach(draft, world.alice, "other-question.csv", samples.CSV, key="gov.q03")
    body = api_client(world.victor).get(_files_url(draft)).json()
    assert body["count"] == 1
    listed = body["results"][0]
    assert listed == {
        "id": pdf.pk,
        "assessment": draft.pk,
        "question": "gov.q01",
        "name": "baa-signed.pdf",
        "size": len(samples.PDF),
        "content_type": "application/pdf",
        "sha256": pdf.sha256,
        "uploaded_by": {"id": world.sam.pk, "name": "Sam Site"},
        "uploader_name": "Sam Site",
        "uploaded_at": listed["uploaded_at"],
        "status": "unscanned",
        "status_display": "Not scanned",
        "scan_detail": "",
        "scanned_at": None,
        "url": f"/api/v1/evidence-files/{pdf.pk}/",
        "download_url": f"/api/v1/evidence-files/{pdf.pk}/download/",
    }
    assert len(pdf.sha256) == 64
    assert listed["uploaded_at"].startswith(pdf.uploaded_at.date().isoformat())
    one = api_client(world.victor).get(listed["url"])
    assert one.json() == listed


def test_a_multipart_upload_attaches_the_file_and_is_audited_via_the_api(world, draft):
    response = _post(api_client(world.sam), draft, "ai-policy.docx", samples.docx())
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = EvidenceFile.objects.get()
    assert response["Location"] == f"/api/v1/evidence-files/{evidence.pk}/"
    assert body["id"] == evidence.pk
    assert body["content_type"] == evidence.content_type
    assert "wordprocessingml" in body["content_type"]
    assert body["uploaded_by"]["id"] == world.sam.pk
    assert "ai-policy.docx" in body["message"]
    assert body["message"].endswith(" is attached.")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_ADDED)
    assert (entry.user, entry.subject, entry.via) == (world.sam, "gov.q01", "api")
    assert entry.new["sha256"] == evidence.sha256


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("virus.exe", samples.EXE, 400, "program"),
        ("empty.txt", b"", 400, "empty"),
        ("macros.docx", samples.with_macros(), 400, "macros"),
        ("renamed.pdf", samples.PNG, 400, "mismatch"),
    ],
)
def test_a_refused_file_is_a_problem_naming_the_field_and_changes_nothing(
    world, draft, name, data, status, code
):
    before = _state()
    response = _post(api_client(world.alice), draft, name, data)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"].startswith("urn:clinical-ai-readiness:problem:evidence-")
    assert problem["code"] == code
    assert problem["errors"]["file"] == [problem["detail"]]
    assert name in problem["detail"]
    assert _state() == before


def test_duplicates_missing_files_json_bodies_and_big_files_are_problems(world, draft, settings):
    client = api_client(world.alice)
    _attach(draft, world.alice, "Minutes.pdf")
    before = _state()
    duplicate = _post(client, draft, "minutes.PDF", samples.PDF)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate"
    missing = client.post(_files_url(draft), {"other": "x"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "no_file"
    assert missing.json()["errors"] == {"file": [missing.json()["detail"]]}
    as_json = client.post_json(_files_url(draft), {"file": "aGVsbG8="})
    assert as_json.status_code == 415
    assert as_json["Content-Type"] == PROBLEM
    settings.EVIDENCE_MAX_BYTES = 1024
    big = _post(client, draft, "big.csv", b"a,b\r\n" * 1000)
    assert big.status_code == 413
    assert big.json()["code"] == "too_big"
    # Cut short while it was read (evidence/uploads.py), before anything held all of it.
    assert big.json()["detail"] == "“big.csv” is over 1 KB; files up to 1 KB can be attached."
    unknown = _post(client, draft, "x.pdf", samples.PDF, key="nope.q1")
    assert unknown.status_code == 404
    assert _state() == before


def test_the_apps_own_session_uploads_too(world, draft):
    client = Client()
    client.force_login(world.sam)
    response = client.post(_files_url(draft), {"file": SimpleUploadedFile("s.csv", samples.CSV)})
    assert response.status_code == 201
    assert EvidenceFile.objects.get().uploaded_by == world.sam


def test_viewers_write_only_on_a_domain_assigned_to_them(world, draft):
    victor = api_client(world.victor)
    assert _post(victor, draft, "victor.pdf", samples.PDF).status_code == 403
    Assignment.objects.create(assessment=draft, domain_key="gov", user=world.victor)
    response = _post(victor, draft, "victor.pdf", samples.PDF)
    assert response.status_code == 201
    assert _post(victor, draft, "ops.pdf", samples.PDF, key="ops.q01").status_code == 403
    own = EvidenceFile.objects.get(name="victor.pdf")
    assert victor.delete(f"/api/v1/evidence-files/{own.pk}/").status_code == 204
    # A read-only token reads, never writes.
    read_only = api_client(world.alice, read_only=True)
    assert _post(read_only, draft, "ro.pdf", samples.PDF).status_code == 403
    assert read_only.get(_files_url(draft)).status_code == 200


def test_a_submitted_assessment_refuses_uploads_and_deletions_with_409_locked(world, draft):
    evidence = _attach(draft, world.alice, "baa.pdf")
    assessment_submit(assessment=draft, user=world.alice)
    before = _state()
    client = api_client(world.alice)
    for response in (
        _post(client, draft, "late.pdf", samples.PDF),
        client.delete(f"/api/v1/evidence-files/{evidence.pk}/"),
    ):
        assert response.status_code == 409
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        assert problem["type"] == "urn:clinical-ai-readiness:problem:locked"
        assert problem["code"] == "locked"
        assert "read-only" in problem["detail"]
    # A viewer is refused for their role first.
    assert _post(api_client(world.victor), draft, "v.pdf", samples.PDF).status_code == 403
    assert _state() == before


def test_a_download_is_an_attachment_of_its_stored_type_never_sniffed(world, draft):
    evidence = _attach(draft, world.sam, "training-log.txt", samples.TEXT)
    url = f"/api/v1/evidence-files/{evidence.pk}/download/"
    for accept in ("", "application/json", "text/plain", "application/octet-stream"):
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        response = api_client(world.victor).get(url, **extra)
        assert response.status_code == 200, (accept, response.content[:200])
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="training-log.txt"'
        assert "sandbox" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == samples.TEXT


def test_a_file_whose_content_a_virus_scan_deleted_is_gone(world, draft):
    evidence = _attach(draft, world.sam, "bad.pdf")
    EvidenceFile.objects.filter(pk=evidence.pk).update(status="infected", scan_detail="Eicar")
    sam = api_client(world.sam)  # its uploader still sees the row, and why
    listed = sam.get(_files_url(draft)).json()["results"][0]
    assert (listed["status"], listed["scan_detail"], listed["download_url"]) == (
        "infected",
        "Eicar",
        None,
    )
    response = sam.get(f"/api/v1/evidence-files/{evidence.pk}/download/")
    assert response.status_code == 410
    assert response.json()["code"] == "infected"
    # Anyone else: not there at all.
    assert api_client(world.alice).get(_files_url(draft)).json()["count"] == 0
    assert api_client(world.alice).get(f"/api/v1/evidence-files/{evidence.pk}/").status_code == 404


def test_a_deletion_is_audited_via_the_api_and_the_history_says_so(world, draft):
    evidence = _attach(draft, world.sam, "old-policy.pdf")
    client = api_client(world.sam)
    assert client.delete(f"/api/v1/evidence-files/{evidence.pk}/").status_code == 204
    assert not EvidenceFile.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_DELETED)
    assert (entry.user, entry.via, entry.old["file"]) == (world.sam, "api", "old-policy.pdf")
    added = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_ADDED)
    assert added.via == ""  # attached on the pages (the service called directly)
    history = client.get(f"/api/v1/assessments/{draft.pk}/history/").json()["results"]
    assert [(e["action"], e["via"]) for e in history[:2]] == [
        ("evidence_deleted", "api"),
        ("evidence_added", ""),
    ]
    again = client.delete(f"/api/v1/evidence-files/{evidence.pk}/")
    assert again.status_code == 404


def test_another_organisations_file_is_a_404_on_every_route(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    theirs = factories.make_assessment(world.other_site, world.instrument)
    evidence = _attach(theirs, world.oscar, "theirs.pdf")
    alice = api_client(world.alice)
    for response in (
        alice.get(_files_url(theirs)),
        _post(alice, theirs, "mine.pdf", samples.PDF),
        alice.get(f"/api/v1/evidence-files/{evidence.pk}/"),
        alice.get(f"/api/v1/evidence-files/{evidence.pk}/download/"),
        alice.delete(f"/api/v1/evidence-files/{evidence.pk}/"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()


def test_the_blind_rule_holds_for_the_apis_files(world, draft):
    independent_mode_set(assessment=draft, user=world.alice, enabled=True)
    for person in (world.victor, world.carla):
        assignment_create(
            assessment=draft, domain_key="gov", respondent=person, due_date=None, user=world.alice
        )
    carla_file = _attach(draft, world.carla, "carla-k7.pdf")
    alice_file = _attach(draft, world.alice, "alice-k9.pdf")
    victor, alice = api_client(world.victor), api_client(world.alice)

    def names(client) -> set[str]:
        return {f["name"] for f in client.get(_files_url(draft)).json()["results"]}

    assert names(victor) == set()
    assert names(alice) == {"alice-k9.pdf"}
    for pk in (carla_file.pk, alice_file.pk):
        assert victor.get(f"/api/v1/evidence-files/{pk}/download/").status_code == 404
        assert victor.get(f"/api/v1/evidence-files/{pk}/").status_code == 404
    assert alice.get(f"/api/v1/evidence-files/{carla_file.pk}/download/").status_code == 404
    assert alice.delete(f"/api/v1/evidence-files/{carla_file.pk}/").status_code == 404
    history = alice.get(f"/api/v1/assessments/{draft.pk}/history/").json()["results"]
    assert [e["new"]["file"] for e in history if e["action"] == "evidence_added"] == [
        "alice-k9.pdf"
    ]
    respondent_domain_done(assessment=draft, user=world.carla, domain_key="gov")
    assert names(alice) == {"alice-k9.pdf", "carla-k7.pdf"}
    assert alice.get(f"/api/v1/evidence-files/{carla_file.pk}/download/").status_code == 200
    assert names(victor) == set()  # still answering
    respondent_domain_done(assessment=draft, user=world.victor, domain_key="gov")
    assert names(victor) == {"alice-k9.pdf", "carla-k7.pdf"}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("independent", [False, True])
def test_listing_costs_the_same_queries_for_1_file_or_12(world, draft, independent):
    if independent:
        independent_mode_set(assessment=draft, user=world.alice, enabled=True)
        Assignment.objects.create(assessment=draft, domain_key="gov", user=world.carla)
        respondent_domain_done(assessment=draft, user=world.carla, domain_key="gov")
    _attach(draft, world.sam, "first.pdf")
    client = api_client(world.alice)
    client.get("/api/v1/me/")  # the token's first use is recorded once
    url = _files_url(draft)
    small = _count(client, url)
    uploaders = [world.alice, world.sam, world.carla]
    for i in range(11):
        _attach(draft, uploaders[i % 3], f"more-{i}.csv", samples.CSV)
    assert client.get(url).json()["count"] == 12
    assert _count(client, url) == small
    assert small <= 7, small


def test_the_schema_documents_the_upload_as_multipart_and_the_download_as_a_file(db):
    schema = Client().get("/api/v1/schema/?format=json").json()
    upload = schema["paths"]["/api/v1/assessments/{id}/answers/{key}/files/"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    ref = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert body["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": body["properties"]["file"]["description"],
    }
    assert body["required"] == ["file"]
    assert {"201", "400", "409", "413"} <= set(upload["responses"])
    download = schema["paths"]["/api/v1/evidence-files/{id}/download/"]["get"]
    assert download["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
    files = schema["paths"]["/api/v1/evidence-files/{id}/"]
    assert set(files) >= {"get", "delete"}
