"""The bodies of the background tasks, as plain functions (reports/tasks.py wraps them).

Each is idempotent: run twice, or again after its worker was killed, it ends in the same
state. Tests call them directly; the round trip through a real worker is tested apart.
"""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from reports import batches, job_services, queue, report_store
from reports.models import ReportBatch, ReportBatchItem, StoredReport

logger = logging.getLogger(__name__)


def charts_draw(task_name: str, arg: int) -> bool:
    """Draw the charts of the report that layout task `task_name(arg)` will render, into the
    shared cache (reports/queue.py: the charts queue). False when there is nothing to draw:
    the report or batch item is gone or done."""
    from assessments.models import Assessment
    from reports.report import build_report

    if task_name == "reports.tasks.report_batch_item":
        assessment_id = (
            ReportBatchItem.objects.filter(pk=arg, status=ReportBatchItem.Status.PENDING)
            .values_list("assessment_id", flat=True)
            .first()
        )
    else:
        assessment_id = (
            StoredReport.objects.filter(pk=arg)
            .exclude(status=StoredReport.Status.READY)
            .values_list("assessment_id", flat=True)
            .first()
        )
    if assessment_id is None:
        return False
    assessment = Assessment.objects.with_context().filter(pk=assessment_id).first()
    if assessment is None:
        return False
    # The charts depend on the scores and targets only, not on a variant's options: the
    # figures, hence the cached SVGs, are the same whoever's report is laid out.
    build_report(assessment, charts_mode="svg")
    return True


def render_stored(stored_id: int) -> None:
    """Render one stored report variant unless it is ready already."""
    stored = job_services.stored_report_start(stored_id=stored_id)
    if stored is None:
        return
    name, size = report_store.render_to_store(stored)
    job_services.stored_report_finish(stored=stored, file=name, size=size)


def stored_for(item: ReportBatchItem) -> StoredReport:
    """The item's default report variant: the one submitting pre-rendered, when current."""
    assessment = item.assessment
    options = report_store.variant_options(assessment, report_store.VariantRequest())
    key = report_store.report_key(assessment, options)
    stored, _ = job_services.stored_report_request(assessment=assessment, key=key, params={})
    return stored


def batch_run(batch_id: int) -> int:
    """Queue a render of each pending report of the batch; the number queued.

    With nothing pending (every report already done), the ZIP is assembled at once.
    """
    batch = ReportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status not in (ReportBatch.Status.QUEUED, ReportBatch.Status.RUNNING):
        return 0
    job_services.report_batch_start(batch_id=batch_id)
    pending = list(
        batch.items.filter(status=ReportBatchItem.Status.PENDING).values_list("pk", flat=True)
    )
    if not pending:
        queue.enqueue("reports.tasks.report_batch_assemble", batch_id)
        return 0
    for item_id in pending:
        queue.enqueue("reports.tasks.report_batch_item", item_id)
    return len(pending)


def batch_item(item_id: int, *, assemble: bool = True) -> None:
    """Render one report of a batch into the store; the last one queues the ZIP."""
    item = (
        ReportBatchItem.objects.select_related("assessment__site__organisation", "batch")
        .filter(pk=item_id)
        .first()
    )
    if item is None or item.batch.finished or item.status != ReportBatchItem.Status.PENDING:
        return
    stored = stored_for(item)
    render_stored(stored.pk)
    left = job_services.report_batch_item_finish(item_id=item_id, stored_id=stored.pk)
    if left == 0 and assemble:
        queue.enqueue("reports.tasks.report_batch_assemble", item.batch_id)


def batch_item_failed(item_id: int, error: str) -> None:
    """The report kept failing: the batch goes on without it and names it at the end."""
    left = job_services.report_batch_item_finish(item_id=item_id, stored_id=None, error=error)
    item = ReportBatchItem.objects.filter(pk=item_id).first()
    if item is not None and left == 0:
        queue.enqueue("reports.tasks.report_batch_assemble", item.batch_id)


def batch_assemble(batch_id: int) -> None:
    """Write the ZIP of a batch whose reports are all done or failed, and publish it."""
    batch = ReportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.finished or batch.status == ReportBatch.Status.EXPIRED:
        return
    if batch.items.filter(status=ReportBatchItem.Status.PENDING).exists():
        return  # another report's task will assemble it
    name, size, failures = batches.write_zip(batch, report_store.read_stored)
    if not job_services.report_batch_finish(
        batch_id=batch_id, file=name, size=size, failures=failures
    ):
        logger.info("Batch %s was assembled by another run meanwhile", batch_id)


def batch_run_here(batch_id: int) -> ReportBatch:
    """The whole batch in this process, for `manage.py export_reports` (no broker needed)."""
    job_services.report_batch_start(batch_id=batch_id)
    for item_id in ReportBatchItem.objects.filter(
        batch_id=batch_id, status=ReportBatchItem.Status.PENDING
    ).values_list("pk", flat=True):
        try:
            batch_item(item_id, assemble=False)
        except Exception as exc:
            logger.exception("Report of batch item %s failed", item_id)
            job_services.report_batch_item_finish(
                item_id=item_id, stored_id=None, error=f"{type(exc).__name__}: {exc}"
            )
    batch_assemble(batch_id)
    return ReportBatch.objects.get(pk=batch_id)


def files_expire(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Remove expired batch ZIPs and stored reports nobody asked for within the same time."""
    from django.conf import settings

    now = now or timezone.now()
    zips = job_services.report_batches_expire(now=now)
    before = now - datetime.timedelta(days=settings.REPORT_BATCH_DAYS)
    pdfs = job_services.stored_reports_expire(before=before)
    return zips, pdfs


def jobs_resume(*, stalled_after: datetime.timedelta) -> int:
    """Queue again the work of batches and reports that made no progress for a while.

    The broker gives back the task of a killed worker (late acknowledgement), but not every
    transport does so at once; this makes sure such a job is redone. Running work twice is
    harmless: every step is idempotent.
    """
    cutoff = timezone.now() - stalled_after
    count = 0
    for batch in ReportBatch.objects.filter(
        status__in=[ReportBatch.Status.QUEUED, ReportBatch.Status.RUNNING],
        heartbeat_at__lte=cutoff,
    ):
        batches.remove_partials(batch.pk)
        queue.enqueue("reports.tasks.report_batch_run", batch.pk)
        count += 1
    for stored_id in StoredReport.objects.filter(
        status__in=[StoredReport.Status.QUEUED, StoredReport.Status.RENDERING],
        requested_at__lte=cutoff,
    ).values_list("pk", flat=True):
        queue.enqueue("reports.tasks.report_render", stored_id)
        count += 1
    return count
