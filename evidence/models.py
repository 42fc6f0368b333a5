"""One evidence file attached to one answer of an assessment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.display import file_size
from assessments.models import Assessment


class EvidenceFile(models.Model):
    """A file kept as proof of an answer, e.g. the signed business associate agreement.

    Attached to the answer by (assessment, question key), not by the Answer row: a draft moved
    to a newer version of its instrument gets new Answer rows, while question keys are stable
    across versions (PRODUCT.md), so the files stay with their question. The content lives in
    storage under a name the app chose (`stored_name`, evidence/<uuid>), never the uploader's;
    `name` is only what people see and what a download is called.
    """

    class Status(models.TextChoices):
        # No virus scanner is configured (CLAMD_SOCKET empty): available, marked as such.
        UNSCANNED = "unscanned", "Not scanned"
        # Waiting for the scanner, which could not be reached: only its uploader sees it.
        PENDING = "pending", "Waiting for the virus scan"
        CLEAN = "clean", "Scanned, no virus found"
        # The content was deleted; the row stays so that the uploader learns why.
        INFECTED = "infected", "Virus found, deleted"
        # The scanner refused it (e.g. over its stream limit): only its uploader sees it.
        FAILED = "failed", "Could not be scanned"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="evidence_files"
    )
    question_key = models.CharField(max_length=120)
    name = models.CharField(max_length=200)
    # casefold() of the name: "Policy.pdf" and "policy.PDF" are one name per answer, as they
    # are on the file systems people unpack an export onto.
    name_key = models.CharField(max_length=600, editable=False)
    stored_name = models.CharField(max_length=255, unique=True, editable=False)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The uploader's name when the file was attached (or as an imported file names them):
    # lists and reports read it without a join, and it outlives a deleted account.
    uploader_name = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices)
    # The virus's name, or why the scan failed.
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["assessment", "question_key"])]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key", "name_key"],
                condition=~Q(status="infected"),
                name="one_evidence_name_per_answer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_key}: {self.name}"

    @property
    def available(self) -> bool:
        """Whether people other than its uploader may see and download it."""
        return self.status in AVAILABLE

    @property
    def has_content(self) -> bool:
        return self.status != self.Status.INFECTED

    @property
    def size_text(self) -> str:
        return file_size(self.size)

    @property
    def content_type_header(self) -> str:
        """The stored type as a download sends it: text is always UTF-8 here."""
        return (
            f"{self.content_type}; charset=utf-8"
            if self.content_type.startswith("text/")
            else self.content_type
        )


AVAILABLE = frozenset({EvidenceFile.Status.UNSCANNED, EvidenceFile.Status.CLEAN})


def visible_to(user_id: int | None) -> Q:
    """The files a person sees: the available ones, and their own whatever their state."""
    shown = Q(status__in=AVAILABLE)
    return shown | Q(uploaded_by_id=user_id) if user_id is not None else shown
