"""Writes of the background report jobs: stored report PDFs and batch exports.

Apart from reports/services.py because these rows are written by workers as much as by
views; the same rules hold: `<entity>_<action>`, keyword-only, one transaction each. Every
write is idempotent, so a task that runs twice (its worker died before acknowledging it)
changes nothing the first run did not.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, Organisation
from reports.models import ReportBatch, ReportBatchItem, StoredReport

Status = StoredReport.Status


@transaction.atomic
def stored_report_request(
    *, assessment: Assessment, key: str, params: dict[str, Any]
) -> tuple[StoredReport, bool]:
    """The stored report of `key`, and whether a worker must be asked to render it.

    A failed one is asked for again: asking is what "try again" means.
    """
    stored, created = StoredReport.objects.select_for_update().get_or_create(
        key=key, defaults={"assessment": assessment, "params": params}
    )
    if created:
        return stored, True
    if stored.status == Status.FAILED:
        stored.status = Status.QUEUED
        stored.error = ""
        stored.requested_at = timezone.now()
        stored.save(update_fields=["status", "error", "requested_at"])
        return stored, True
    return stored, stored.status == Status.QUEUED


def stored_report_start(*, stored_id: int) -> StoredReport | None:
    """Mark the report as rendering; None when it is already done (nothing to do)."""
    with transaction.atomic():
        stored = StoredReport.objects.select_for_update().filter(pk=stored_id).first()
        if stored is None or stored.status == Status.READY and default_storage.exists(stored.file):
            return None
        stored.status = Status.RENDERING
        stored.started_at = timezone.now()
        stored.save(update_fields=["status", "started_at"])
        return stored


@transaction.atomic
def stored_report_finish(*, stored: StoredReport, file: str, size: int) -> StoredReport:
    stored.status = Status.READY
    stored.file = file
    stored.size = size
    stored.error = ""
    stored.finished_at = timezone.now()
    stored.save(update_fields=["status", "file", "size", "error", "finished_at"])
    return stored


@transaction.atomic
def stored_report_fail(*, stored_id: int, error: str) -> None:
    StoredReport.objects.filter(pk=stored_id).exclude(status=Status.READY).update(
        status=Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def stored_reports_expire(*, before: datetime.datetime) -> int:
    """Delete stored reports (rows and files) not rendered or asked for since `before`."""
    old = list(StoredReport.objects.filter(requested_at__lt=before, finished_at__lt=before))
    for stored in old:
        if stored.file:
            default_storage.delete(stored.file)
    StoredReport.objects.filter(pk__in=[s.pk for s in old]).delete()
    return len(old)


# --- batch exports ----------------------------------------------------------------------------


@transaction.atomic
def report_batch_create(
    *,
    organisation: Organisation,
    user: User | None,
    title: str,
    filters: Iterable[tuple[str, str]],
    assessment_ids: list[int],
) -> ReportBatch:
    """A batch of every given assessment's report, waiting for a worker."""
    now = timezone.now()
    batch = ReportBatch.objects.create(
        organisation=organisation,
        started_by=user if user is not None and user.pk else None,
        title=title[:300],
        filters=[[str(name), str(value)] for name, value in filters],
        total=len(assessment_ids),
        created_at=now,
        heartbeat_at=now,
        expires_at=now + datetime.timedelta(days=settings.REPORT_BATCH_DAYS),
    )
    ReportBatchItem.objects.bulk_create(
        ReportBatchItem(batch=batch, assessment_id=pk) for pk in assessment_ids
    )
    return batch


def report_batch_start(*, batch_id: int) -> None:
    ReportBatch.objects.filter(pk=batch_id, status=ReportBatch.Status.QUEUED).update(
        status=ReportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )


@transaction.atomic
def report_batch_item_finish(*, item_id: int, stored_id: int | None, error: str = "") -> int:
    """Record one report of a batch as done (or failed with `error`); the pending left."""
    item = ReportBatchItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        return 0
    if item.status == ReportBatchItem.Status.PENDING:
        item.status = ReportBatchItem.Status.FAILED if error else ReportBatchItem.Status.DONE
        item.stored_id = stored_id
        item.error = error[:2000]
        item.save(update_fields=["status", "stored", "error"])
        ReportBatch.objects.filter(pk=item.batch_id).update(
            heartbeat_at=timezone.now(), status=ReportBatch.Status.RUNNING
        )
    return ReportBatchItem.objects.filter(
        batch_id=item.batch_id, status=ReportBatchItem.Status.PENDING
    ).count()


@transaction.atomic
def report_batch_finish(
    *, batch_id: int, file: str, size: int, failures: list[dict[str, str]]
) -> bool:
    """Publish the complete ZIP; False when another run published it first (its file stays)."""
    updated = ReportBatch.objects.filter(
        pk=batch_id, status__in=[ReportBatch.Status.QUEUED, ReportBatch.Status.RUNNING]
    ).update(
        status=ReportBatch.Status.DONE_WITH_ERRORS if failures else ReportBatch.Status.DONE,
        file=file,
        size=size,
        failures=failures,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return updated == 1


def report_batches_expire(*, now: datetime.datetime) -> int:
    """Delete the ZIPs of batches past their expiry; the rows stay, marked expired."""
    expired = list(
        ReportBatch.objects.filter(expires_at__lte=now).exclude(status=ReportBatch.Status.EXPIRED)
    )
    for batch in expired:
        if batch.file:
            default_storage.delete(batch.file)
    ReportBatch.objects.filter(pk__in=[b.pk for b in expired]).update(
        status=ReportBatch.Status.EXPIRED, file="", size=0
    )
    return len(expired)
