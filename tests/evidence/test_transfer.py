"""Evidence files in the assessment JSON, the export with evidence, and importing it again."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Assessment, AuditEntry
from assessments.transfer_export import export_assessment
from evidence import transfer
from evidence.models import EvidenceFile
from tests.evidence import samples
from tests.evidence.conftest import signed_in, stored, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_files(world, draft):  # type: ignore[no-untyped-def]
    client = signed_in(world.sam)
    upload(client, draft, "gov.q03", "minutes.pdf", samples.PDF)
    upload(client, draft, "gov.q03", "attendance.csv", samples.CSV)
    upload(client, draft, "ops.q02", "policy.docx", samples.docx())  # an unanswered question
    return draft


def _export_zip(client, assessment) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(reverse("evidence:export-zip", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in {"id", "exported_at"}}


def test_the_json_lists_each_answers_files_with_their_sha256(world, with_files):
    data = export_assessment(with_files)
    files = data["answers"]["gov.q03"]["files"]
    assert [f["name"] for f in files] == ["minutes.pdf", "attendance.csv"]
    assert files[0] == {
        "name": "minutes.pdf",
        "size": len(samples.PDF),
        "content_type": "application/pdf",
        "sha256": hashlib.sha256(samples.PDF).hexdigest(),
        "uploaded_by": "Sam Site",
        "uploaded_at": files[0]["uploaded_at"],
    }
    # A file keeps a question with no answer in the file: its work is not lost.
    assert data["answers"]["ops.q02"]["value"] == ""
    assert data["answers"]["ops.q02"]["files"][0]["name"] == "policy.docx"
    # Without files an answer has no "files" key, as before.
    assert "gov.q01" not in data["answers"]


def test_the_export_with_evidence_holds_the_json_and_each_file(world, with_files):
    members = _members(_export_zip(signed_in(world.victor), with_files))
    assert sorted(members) == [
        "assessment.json",
        "evidence/gov.q03/attendance.csv",
        "evidence/gov.q03/minutes.pdf",
        "evidence/ops.q02/policy.docx",
    ]
    assert members["evidence/gov.q03/minutes.pdf"] == samples.PDF
    data = json.loads(members["assessment.json"])
    assert _comparable(data) == _comparable(export_assessment(with_files))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORTED, subject="zip")
    assert entry.user == world.victor


def test_an_export_with_evidence_imports_again_with_the_same_files(world, with_files, media):
    exported = _export_zip(signed_in(world.alice), with_files)
    before = _comparable(export_assessment(with_files))
    # Into the other organisation (its admin may add the site the file names).
    response = signed_in(world.oscar).post(
        reverse("assessments:import-json", args=[world.other_org.slug]),
        {"file": SimpleUploadedFile("export.zip", exported)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    copy = Assessment.objects.exclude(pk=with_files.pk).get()
    assert copy.site.organisation == world.other_org
    files = EvidenceFile.objects.filter(assessment=copy).order_by("pk")
    assert [(f.question_key, f.name) for f in files] == [
        ("gov.q03", "minutes.pdf"),
        ("gov.q03", "attendance.csv"),
        ("ops.q02", "policy.docx"),
    ]
    for evidence, original in zip(
        files, EvidenceFile.objects.filter(assessment=with_files).order_by("pk"), strict=True
    ):
        assert evidence.sha256 == original.sha256
        assert evidence.stored_name != original.stored_name
        assert (
            hashlib.sha256((media / evidence.stored_name).read_bytes()).hexdigest()
            == evidence.sha256
        )
        assert (evidence.uploader_name, evidence.uploaded_at) == (
            original.uploader_name,
            original.uploaded_at.replace(microsecond=0),
        )
        assert evidence.uploaded_by == world.oscar
    notes = AuditEntry.objects.filter(assessment=copy, action=AuditEntry.Action.EVIDENCE_ADDED)
    assert [e.new["note"] for e in notes] == ["imported"] * 3
    again = _comparable(export_assessment(copy))
    assert again["answers"] == before["answers"]


def test_the_commands_export_with_evidence_and_import_it(world, with_files, tmp_path, capsys):
    path = tmp_path / "out.zip"
    call_command("export_assessment", str(with_files.pk), "--with-evidence", "-o", str(path))
    assert "with 3 evidence file(s)" in capsys.readouterr().err
    with_files.delete()
    out = io.StringIO()
    call_command("import_assessment", str(path), stdout=out)
    new_id = int(out.getvalue().strip().splitlines()[-1])
    assert EvidenceFile.objects.filter(assessment_id=new_id).count() == 3


def test_the_export_command_wants_a_file_for_a_zip(world, with_files):
    with pytest.raises(CommandError, match="-o FILE.zip"):
        call_command("export_assessment", str(with_files.pk), "--with-evidence")


def test_a_json_import_says_it_left_the_files_out(world, with_files):
    text = json.dumps(export_assessment(with_files))
    response = signed_in(world.oscar).post(
        reverse("assessments:import-json", args=[world.other_org.slug]),
        {"file": SimpleUploadedFile("export.json", text.encode())},
        follow=True,
    )
    html = response.content.decode()
    assert (
        "The file lists 3 evidence files; their content travels only in an export with evidence (ZIP)"
        in html
    )
    copy = Assessment.objects.exclude(pk=with_files.pk).get()
    assert not EvidenceFile.objects.filter(assessment=copy).exists()


# --- bad ZIPs: a clear message, and nothing changed -------------------------------------------


def _spoil(exported: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    members = _members(exported)
    data = json.loads(members["assessment.json"])
    change(members, data)
    if "assessment.json" in members:
        members["assessment.json"] = json.dumps(data).encode()
    return samples.zip_of(members)


def _replace(member: str, content: bytes, *, relist: bool = False):  # type: ignore[no-untyped-def]
    def change(members: dict[str, bytes], data: dict[str, Any]) -> None:
        members[member] = content
        if relist:
            key, name = member.split("/")[1:]
            for entry in data["answers"][key]["files"]:
                if entry["name"] == name:
                    entry["size"] = len(content)
                    entry["sha256"] = hashlib.sha256(content).hexdigest()

    return change


def _drop(member: str):  # type: ignore[no-untyped-def]
    return lambda members, data: members.pop(member)


def _add(member: str, content: bytes):  # type: ignore[no-untyped-def]
    return lambda members, data: members.__setitem__(member, content)


def _listing(key: str, index: int, **fields: Any):  # type: ignore[no-untyped-def]
    return lambda members, data: data["answers"][key]["files"][index].update(fields)


def _bomb(members: dict[str, bytes], data: dict[str, Any]) -> None:
    content = b"0" * (3 * 1024 * 1024)
    members["evidence/gov.q03/zeros.csv"] = content
    data["answers"]["gov.q03"]["files"].append(
        {"name": "zeros.csv", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    )


BAD_ZIPS = [
    (
        "zip bomb",
        _bomb,
        "evidence/gov.q03/zeros.csv: unpacks to more than 100 times its packed size: refused as a possible zip bomb",
    ),
    (
        "path traversal",
        _add("../../etc/cron.d/evil", b"x"),
        "../../etc/cron.d/evil: is not a safe path inside the ZIP",
    ),
    (
        "absolute path",
        _add("/etc/evil.txt", b"x"),
        "/etc/evil.txt: is not a safe path inside the ZIP",
    ),
    ("backslash path", _add("evidence\\..\\evil.txt", b"x"), "is not a safe path inside the ZIP"),
    (
        "missing file",
        _drop("evidence/gov.q03/minutes.pdf"),
        "answers.gov.q03.files[0]: lists evidence/gov.q03/minutes.pdf, which is not in the ZIP",
    ),
    (
        "unexpected member",
        _add("evidence/gov.q03/extra.pdf", samples.PDF),
        "evidence/gov.q03/extra.pdf: is not listed in assessment.json",
    ),
    (
        "changed content",
        _replace("evidence/gov.q03/minutes.pdf", samples.PDF + b"\n"),
        "evidence/gov.q03/minutes.pdf: does not match assessment.json",
    ),
    (
        "renamed executable",
        _replace("evidence/gov.q03/minutes.pdf", samples.EXE, relist=True),
        "evidence/gov.q03/minutes.pdf: “minutes.pdf” was refused: it is a program, not a document.",
    ),
    (
        "legacy office",
        _replace("evidence/gov.q03/minutes.pdf", samples.OLE, relist=True),
        "can carry macros",
    ),
    (
        "empty file",
        _replace("evidence/gov.q03/attendance.csv", b"", relist=True),
        "answers.gov.q03.files[1].size: must be a whole number of bytes, at least 1, not 0",
    ),
    (
        "bad sha256",
        _listing("gov.q03", 0, sha256="abc"),
        "answers.gov.q03.files[0].sha256: must be the SHA-256 of the content",
    ),
    (
        "unknown file field",
        _listing("gov.q03", 0, owner="me"),
        "answers.gov.q03.files[0].owner: is not a file field",
    ),
    (
        "duplicate name",
        _listing("gov.q03", 1, name="MINUTES.pdf"),
        "answers.gov.q03.files[1].name: “MINUTES.pdf” is listed twice for this answer",
    ),
    ("no json", _drop("assessment.json"), "file: has no assessment.json"),
]


@pytest.mark.parametrize(("case", "change", "words"), BAD_ZIPS, ids=[c[0] for c in BAD_ZIPS])
def test_a_bad_zip_is_refused_naming_what_is_wrong_and_changes_nothing(
    world, with_files, media, case, change, words
):
    archive = _spoil(_export_zip(signed_in(world.alice), with_files), change)
    _refused(world, media, archive, words)


def _refused(world, media: Path, archive: bytes, words: str) -> None:  # type: ignore[no-untyped-def]
    assessments = Assessment.objects.count()
    files = EvidenceFile.objects.count()
    kept = stored(media)
    response = signed_in(world.oscar).post(
        reverse("assessments:import-json", args=[world.other_org.slug]),
        {"file": SimpleUploadedFile("export.zip", archive)},
    )
    assert response.status_code == 422
    html = (
        response.content.decode()
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    assert words in html, html[
        html.find("invalid-feedback") - 200 : html.find("invalid-feedback") + 800
    ]
    assert Assessment.objects.count() == assessments
    assert EvidenceFile.objects.count() == files
    assert stored(media) == kept


def test_a_zip_over_its_size_limit_is_refused(world, with_files, media, settings):
    archive = _export_zip(signed_in(world.alice), with_files)
    settings.EVIDENCE_ZIP_MAX_BYTES = len(archive) - 1
    _refused(world, media, archive, "an export with evidence up to")


def test_a_zip_that_would_unpack_too_big_is_refused(world, with_files, media, settings):
    archive = _spoil(_export_zip(signed_in(world.alice), with_files), _bomb)
    settings.EVIDENCE_ZIP_MAX_BYTES = 1024 * 1024  # the ZIP fits, 3 MB unpacked does not
    _refused(world, media, archive, "file: would unpack to 3 MB, more than the 2 MB allowed")


def test_a_zip_with_too_many_members_is_refused(world, with_files, media, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_MEMBERS", 3)
    archive = _export_zip(signed_in(world.alice), with_files)
    _refused(world, media, archive, "file: holds 4 entries; an export with evidence has at most 3")


def test_a_damaged_zip_is_refused(world, with_files, media):
    _refused(world, media, b"PK\x03\x04" + b"garbage" * 20, "file: is not a readable ZIP file")


def test_a_file_over_the_size_limit_inside_a_zip_is_refused(world, with_files, media, settings):
    settings.EVIDENCE_MAX_BYTES = 2048
    archive = _spoil(
        _export_zip(signed_in(world.alice), with_files),
        _replace("evidence/gov.q03/attendance.csv", b"a,b\n" * 1000, relist=True),
    )
    _refused(world, media, archive, "evidence/gov.q03/attendance.csv: is over 2 KB")


def test_an_infected_file_in_a_zip_is_refused(world, with_files, media, clamd_daemon):
    archive = _spoil(
        _export_zip(signed_in(world.alice), with_files),
        _replace("evidence/gov.q03/attendance.csv", samples.EICAR, relist=True),
    )
    _refused(world, media, archive, "the virus scanner found Eicar-Test-Signature in it")
