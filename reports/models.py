"""Models of the reports app: a consultant's own report branding, and the files of the
background report jobs (stored report PDFs and batch exports).

An organisation's branding (title and logo on `Organisation`) is for its own staff. A
consultant works for several client organisations and brings their own title, logo and the
name they sign with: it belongs to the person, so it lives here, one row per consultant,
and follows them to every client (reports/report_options.py picks whose branding a report
carries from who exports it).

Report files live in the media storage (MEDIA_ROOT, shared by every machine); StoredReport
and ReportBatch say which file holds what and how far its job has come. They are written by
reports/job_services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models import Assessment, Organisation


class ConsultantBranding(models.Model):
    """A consultant's own report branding, used in every client organisation they export for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultant_branding"
    )
    report_title = models.CharField(max_length=200, blank=True)
    report_logo = models.ImageField(upload_to="logos/consultants/", blank=True)
    # The name a report is signed with, e.g. "Marcus Bell, Bell Health Advisory".
    report_signoff = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"branding of {self.user_id}"


class StoredReport(models.Model):
    """One rendered variant of an assessment's gap report PDF.

    `key` covers everything the PDF shows (reports/report_store.py, `report_key`), so a row
    whose key is still current can be served as it is; a change makes a new key.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="stored_reports"
    )
    key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    file = models.CharField(max_length=300, blank=True)  # name in the default storage
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # How to rebuild the variant's options in a worker: user id, sections, board, sign.
    params = models.JSONField(default=dict)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.key} {self.status}"


class ReportBatch(models.Model):
    """A ZIP of many assessments' reports plus a CSV summary, built by workers."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Rendering"
        DONE = "done", "Finished"
        DONE_WITH_ERRORS = "errors", "Finished with errors"
        EXPIRED = "expired", "Expired"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="report_batches"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    # What was asked for, as (name, value) pairs shown on the job page and in the export log.
    filters = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True)  # set only once the ZIP is complete
    size = models.PositiveBigIntegerField(default=0)
    failures = models.JSONField(default=list)  # [{"site", "round", "error"}]
    created_at = models.DateTimeField(default=timezone.now)
    # Moves with every finished report: a job whose heartbeat stops is queued again.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]
        verbose_name_plural = "report batches"

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.title} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DONE_WITH_ERRORS)


class ReportBatchItem(models.Model):
    """One assessment of a batch; its report comes from the StoredReport of the same key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(ReportBatch, on_delete=models.CASCADE, related_name="items")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    stored = models.ForeignKey(
        StoredReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "assessment"], name="unique_batch_assessment")
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.assessment_id} {self.status}"
