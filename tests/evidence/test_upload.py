"""Attaching, listing, downloading and deleting evidence files through the questionnaire."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.models import AuditEntry
from assessments.services import AnswerChange, answers_save, assessment_submit
from evidence.checks import MAX_FILES_PER_ANSWER
from evidence.models import EvidenceFile
from evidence.services import EvidenceError, evidence_upload
from tests.evidence import samples
from tests.evidence.conftest import follow_upload, signed_in, state, stored, upload

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _domain_url(assessment, key="gov"):
    return reverse("assessments:domain", args=[assessment.pk, key])


def _card(html: str, key: str) -> str:
    """The HTML of one question's card on the domain page."""
    start = html.index(f'id="q-{key}"')
    end = html.find('class="question-card', start + 1)
    return html[start : end if end != -1 else len(html)]


def test_a_file_is_attached_stored_under_the_apps_name_and_audited(world, draft, media):
    client = signed_in(world.sam)
    before = draft.revision
    response = upload(client, draft, "gov.q03", "Committee minutes.pdf", samples.PDF)
    assert response.status_code == 302
    assert response["Location"] == _domain_url(draft) + "#q-gov.q03"
    evidence = EvidenceFile.objects.get()
    assert (evidence.question_key, evidence.name, evidence.size) == (
        "gov.q03",
        "Committee minutes.pdf",
        len(samples.PDF),
    )
    assert evidence.content_type == "application/pdf"
    assert evidence.status == EvidenceFile.Status.UNSCANNED  # no scanner configured
    assert (evidence.uploaded_by, evidence.uploader_name) == (world.sam, "Sam Site")
    # Stored under evidence/<uuid>: nothing of the uploader's name reaches storage.
    assert re.fullmatch(r"evidence/[0-9a-f]{32}", evidence.stored_name)
    assert stored(media) == [evidence.stored_name.split("/")[1]]
    assert (media / evidence.stored_name).read_bytes() == samples.PDF
    import hashlib

    assert evidence.sha256 == hashlib.sha256(samples.PDF).hexdigest()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_ADDED)
    assert (entry.user, entry.subject) == (world.sam, "gov.q03")
    assert entry.new["file"] == "Committee minutes.pdf"
    assert entry.new["sha256"] == evidence.sha256
    draft.refresh_from_db()
    assert draft.revision == before + 1  # the report's PDF cache key moves


def test_the_question_lists_its_files_and_says_what_happened_next_to_it(world, draft):
    client = signed_in(world.sam)
    html = follow_upload(client, draft, "gov.q03", "minutes.pdf", samples.PDF)
    card = _card(html, "gov.q03")
    evidence = EvidenceFile.objects.get()
    assert "“minutes.pdf” is attached." in card
    assert reverse("evidence:download", args=[evidence.pk]) in card
    assert reverse("evidence:delete", args=[evidence.pk]) in card
    # Said once, beside the question, not again at the top of the page.
    assert html.count("“minutes.pdf” is attached.") == 1
    # The upload form sits outside the questionnaire's form (forms cannot nest).
    assert (
        f'<form id="files-upload-gov.q03" method="post" enctype="multipart/form-data" action="{reverse("evidence:upload", args=[draft.pk, "gov.q03"])}"'
        in html
    )
    assert 'form="files-upload-gov.q03"' in card


BAD_UPLOADS = [
    ("mistyped", "chart.pdf", samples.PNG, "its name says a PDF but its content is a PNG image"),
    ("empty", "empty.pdf", b"", "“empty.pdf” is empty"),
    ("renamed executable", "invoice.pdf", samples.EXE, "it is a program, not a document"),
    ("renamed script", "notes.txt", samples.SCRIPT, "it is a program"),
    ("legacy word", "minutes.doc", samples.OLE, "can carry macros"),
    ("legacy excel as xlsx", "budget.xlsx", samples.OLE, "can carry macros"),
    ("macros", "policy.docx", samples.with_macros(), "contains macros"),
    ("archive", "bundle.zip", samples.plain_zip(), "archives cannot be attached"),
    ("unknown type", "photo.gif", b"GIF89a" + bytes(30), "not one of the types accepted"),
    ("no extension", "policy", samples.PDF, "its name has no extension"),
]


@pytest.mark.parametrize(
    ("case", "name", "data", "words"), BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS]
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(
    world, draft, media, case, name, data, words
):
    client = signed_in(world.sam)
    before = state(draft)
    html = follow_upload(client, draft, "gov.q03", name, data)
    assert words in _card(html, "gov.q03")
    assert state(draft) == before
    assert stored(media) == []


def test_an_oversized_file_is_refused_without_keeping_it(world, draft, media, settings):
    settings.EVIDENCE_MAX_BYTES = 4096
    client = signed_in(world.sam)
    before = state(draft)
    html = follow_upload(client, draft, "gov.q03", "scan.pdf", samples.PDF + b"%" * 10_000)
    assert "“scan.pdf” is over 4 KB; files up to 4 KB can be attached." in _card(html, "gov.q03")
    assert state(draft) == before
    assert stored(media) == []


def test_a_post_without_a_file_asks_for_one(world, draft):
    client = signed_in(world.sam)
    response = client.post(reverse("evidence:upload", args=[draft.pk, "gov.q03"]), follow=True)
    assert "Choose a file to attach." in _card(response.content.decode(), "gov.q03")
    assert not EvidenceFile.objects.exists()


def test_a_path_in_a_name_is_refused_by_the_service_and_stripped_by_the_browser_post(
    world, draft, media
):
    import io

    with pytest.raises(EvidenceError, match="may not contain a folder path") as refused:
        evidence_upload(
            assessment=draft,
            question_key="gov.q03",
            name="../../etc/BAA.pdf",
            stream=io.BytesIO(samples.PDF),
            size=len(samples.PDF),
            user=world.sam,
        )
    assert refused.value.code == "name"
    assert stored(media) == []
    # A multipart post naming a path: Django keeps only the last part; storage never sees it.
    client = signed_in(world.sam)
    upload(client, draft, "gov.q03", "../../etc/BAA.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    assert evidence.name == "BAA.pdf"
    assert ".." not in evidence.stored_name


def test_a_duplicate_name_in_one_answer_is_refused_whatever_its_case(world, draft, media):
    client = signed_in(world.sam)
    upload(client, draft, "gov.q03", "Minutes.pdf", samples.PDF)
    before = state(draft)
    html = follow_upload(client, draft, "gov.q03", "minutes.PDF", samples.PDF)
    assert "A file named “Minutes.pdf” is already attached to this answer." in _card(
        html, "gov.q03"
    )
    assert state(draft) == before
    assert len(stored(media)) == 1
    # Another answer may have a file of the same name.
    upload(client, draft, "gov.q01", "Minutes.pdf", samples.PDF)
    assert EvidenceFile.objects.count() == 2


def test_the_21st_file_of_an_answer_is_refused(world, draft, media):
    client = signed_in(world.sam)
    for n in range(MAX_FILES_PER_ANSWER):
        upload(client, draft, "gov.q03", f"log-{n}.csv", samples.CSV)
    assert EvidenceFile.objects.count() == MAX_FILES_PER_ANSWER
    before = state(draft)
    html = follow_upload(client, draft, "gov.q03", "one-more.csv", samples.CSV)
    assert "at most 20 can be attached to one answer" in _card(html, "gov.q03")
    assert state(draft) == before
    assert len(stored(media)) == MAX_FILES_PER_ANSWER


def test_a_file_can_be_attached_before_the_question_is_answered(world, draft):
    # No Answer row is needed: files belong to the question of the assessment.
    upload(signed_in(world.sam), draft, "ops.q02", "review-log.txt", samples.TEXT)
    assert EvidenceFile.objects.get().content_type == "text/plain"
    assert not draft.answers.exists()


def test_an_unknown_question_is_a_404(world, draft):
    response = upload(signed_in(world.sam), draft, "gov.q99", "x.pdf", samples.PDF)
    assert response.status_code == 404


def test_a_viewer_may_download_but_not_attach_or_delete(world, draft):
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    viewer = signed_in(world.victor)
    assert upload(viewer, draft, "gov.q03", "x.pdf", samples.PDF).status_code == 403
    assert viewer.post(reverse("evidence:delete", args=[evidence.pk])).status_code == 403
    assert viewer.get(reverse("evidence:download", args=[evidence.pk])).status_code == 200
    page = viewer.get(_domain_url(draft)).content.decode()
    card = _card(page, "gov.q03")
    assert "minutes.pdf" in card
    assert 'type="file"' not in card
    assert "files-delete" not in card
    assert EvidenceFile.objects.count() == 1


def test_another_organisations_file_is_a_404_for_everyone_outside_it(world, draft):
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    outsider = signed_in(world.oscar)
    assert outsider.get(reverse("evidence:download", args=[evidence.pk])).status_code == 404
    assert outsider.post(reverse("evidence:delete", args=[evidence.pk])).status_code == 404
    assert upload(outsider, draft, "gov.q03", "x.pdf", samples.PDF).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("minutes.pdf", samples.PDF, "application/pdf"),
        ("policy.docx", samples.docx(), DOCX),
        ("users.csv", samples.CSV, "text/csv; charset=utf-8"),
        ("page.txt", b"<html><script>alert(1)</script></html>", "text/plain; charset=utf-8"),
    ],
)
def test_a_download_is_an_attachment_of_the_stored_type_never_sniffed(
    world, draft, name, data, content_type
):
    upload(signed_in(world.sam), draft, "gov.q03", name, data)
    evidence = EvidenceFile.objects.get()
    response = signed_in(world.victor).get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == data


def test_a_name_that_needs_quoting_is_sent_safely(world, draft):
    upload(signed_in(world.sam), draft, "gov.q03", 'Café "final"; v2.pdf', samples.PDF)
    evidence = EvidenceFile.objects.get()
    response = signed_in(world.sam).get(reverse("evidence:download", args=[evidence.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert '"' not in disposition.removeprefix("attachment; ")
    assert "\n" not in disposition


def test_a_file_missing_from_storage_says_so_instead_of_failing(world, draft, media):
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    (media / evidence.stored_name).unlink()
    response = signed_in(world.sam).get(
        reverse("evidence:download", args=[evidence.pk]), follow=True
    )
    assert "is missing from storage" in response.content.decode()


def test_deleting_a_file_is_audited_removes_its_content_and_shows_in_the_history(
    world, draft, media, django_capture_on_commit_callbacks
):
    client = signed_in(world.sam)
    upload(client, draft, "gov.q03", "minutes.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence:delete", args=[evidence.pk]), follow=True)
    assert "“minutes.pdf” was deleted." in _card(response.content.decode(), "gov.q03")
    assert not EvidenceFile.objects.exists()
    assert stored(media) == []
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_DELETED)
    assert (entry.user, entry.subject, entry.old["file"]) == (world.sam, "gov.q03", "minutes.pdf")
    history = signed_in(world.victor).get(reverse("assessments:history", args=[draft.pk]))
    html = history.content.decode()
    assert "Evidence file deleted" in html
    assert "Evidence file added" in html
    assert html.count("minutes.pdf") >= 2


def test_a_submitted_assessments_files_are_read_only(world, draft, media):
    client = signed_in(world.sam)
    upload(client, draft, "gov.q03", "minutes.pdf", samples.PDF)
    evidence = EvidenceFile.objects.get()
    answers_save(assessment=draft, user=world.sam, changes=[AnswerChange(key="gov.q03", value="2")])
    assessment_submit(assessment=draft, user=world.alice)
    before = state(draft)
    html = follow_upload(client, draft, "gov.q03", "more.pdf", samples.PDF)
    assert "This assessment is submitted: its files are read-only" in html
    response = client.post(reverse("evidence:delete", args=[evidence.pk]), follow=True)
    assert "This assessment is submitted: its files are read-only" in response.content.decode()
    assert state(draft) == before
    assert len(stored(media)) == 1
    # The page offers neither an upload nor a delete button, and still the file.
    card = _card(client.get(_domain_url(draft)).content.decode(), "gov.q03")
    assert "minutes.pdf" in card
    assert 'type="file"' not in card


def test_the_domain_page_stays_within_its_query_budget_with_files(
    world, draft, django_assert_max_num_queries
):
    client = signed_in(world.sam)
    for key in ("gov.q01", "gov.q03", "gov.q04"):
        for n in range(3):
            upload(client, draft, key, f"file-{n}.pdf", samples.PDF)
    client.get(_domain_url(draft))  # warm the instrument cache, take the messages
    with django_assert_max_num_queries(8):
        response = client.get(_domain_url(draft))
    assert response.content.decode().count(">file-2.pdf</a>") == 3
