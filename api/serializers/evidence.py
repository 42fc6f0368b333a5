"""Evidence files of answers (issue 14): what a file is, and the upload's body."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import PersonField
from evidence.models import EvidenceFile


class EvidenceFileSerializer(serializers.Serializer):
    """One file attached to an answer. Others' files are listed once available (not scanned,
    or scanned clean); one's own in every state, so that the uploader learns what became of
    them."""

    id = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id")
    question = serializers.CharField(source="question_key")
    name = serializers.CharField(help_text="What the file is called, and its download's name.")
    size = serializers.IntegerField(help_text="In bytes.")
    content_type = serializers.CharField(
        help_text="Read from the content when attached; the download is sent as this type."
    )
    sha256 = serializers.CharField(help_text="The content's SHA-256, in hex.")
    uploaded_by = PersonField(allow_null=True)
    uploader_name = serializers.CharField(
        help_text="The uploader's name when the file was attached (kept if their account "
        "is closed; an imported file's as its file names them)."
    )
    uploaded_at = serializers.DateTimeField()
    status = serializers.ChoiceField(
        choices=EvidenceFile.Status.choices,
        help_text="The virus scan: unscanned (no scanner configured), pending, clean, "
        "infected (content deleted) or failed.",
    )
    status_display = serializers.CharField(source="get_status_display")
    scan_detail = serializers.CharField(help_text="The virus found, or why the scan failed.")
    scanned_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_url(self, evidence: EvidenceFile) -> str:
        return reverse("api:evidence-file", args=[evidence.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, evidence: EvidenceFile) -> str | None:
        """None once a virus scan deleted the content."""
        if not evidence.has_content:
            return None
        return reverse("api:evidence-file-download", args=[evidence.pk])


class EvidenceUploadSerializer(serializers.Serializer):
    """multipart/form-data with one file in the field `file`."""

    file = serializers.FileField(
        help_text="PDF, Word (.docx), Excel (.xlsx), PNG, JPEG, CSV or text, up to the "
        "server's limit (the setting EVIDENCE_MAX_BYTES); its type is read from the content, "
        "not the name. At most 20 files per answer, each name once."
    )
