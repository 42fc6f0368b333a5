"""Celery tasks: thin wrappers around reports/jobs.py, which holds the bodies.

Every task is acknowledged late (a worker that dies mid-task gives it back), idempotent, time
limited by the CELERY_TASK_*_TIME_LIMIT settings, and retried on failure; a report that keeps
failing is recorded as failed rather than retried for ever.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from reports import job_services, jobs, queue

logger = logging.getLogger(__name__)

RETRIES = 2
RETRY_SECONDS = 5
TASK_OPTIONS: dict[str, Any] = {"bind": True, "acks_late": True, "max_retries": RETRIES}


def _last_line(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


@shared_task(**TASK_OPTIONS)
def report_render(self: Any, stored_id: int) -> None:
    try:
        jobs.render_stored(stored_id)
    except Exception as exc:
        if self.request.retries >= RETRIES:
            logger.exception("Report %s failed %d times", stored_id, RETRIES + 1)
            job_services.stored_report_fail(stored_id=stored_id, error=_last_line(exc))
            return
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc


@shared_task(**TASK_OPTIONS)
def report_charts(self: Any, task_name: str, arg: int) -> None:
    """The charts of a report, on the charts queue; then its layout, `task_name(arg)`."""
    if task_name not in queue.LAYOUT_TASKS:
        # Only what queue.enqueue sends: a message naming any other task is not passed on.
        logger.error("report_charts was asked to send %r on: refused", task_name)
        return
    try:
        if not jobs.charts_draw(task_name, arg):
            return  # done or gone meanwhile: no layout to send on
    except Exception:
        # The layout does without: it draws what is missing itself, or shows tables.
        logger.exception("Drawing the charts for %s(%s) failed", task_name, arg)
    if not queue.send(task_name, arg):
        raise self.retry(countdown=RETRY_SECONDS)


@shared_task(**TASK_OPTIONS)
def report_batch_run(self: Any, batch_id: int) -> None:
    jobs.batch_run(batch_id)


@shared_task(**TASK_OPTIONS)
def report_batch_item(self: Any, item_id: int) -> None:
    try:
        jobs.batch_item(item_id)
    except Exception as exc:
        if self.request.retries >= RETRIES:
            logger.exception("Batch report %s failed %d times", item_id, RETRIES + 1)
            jobs.batch_item_failed(item_id, _last_line(exc))
            return
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc


@shared_task(**TASK_OPTIONS)
def report_batch_assemble(self: Any, batch_id: int) -> None:
    try:
        jobs.batch_assemble(batch_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc


@shared_task(**TASK_OPTIONS)
def report_files_expire(self: Any) -> None:
    zips, pdfs = jobs.files_expire()
    logger.info("Expired %d batch ZIPs and %d stored reports", zips, pdfs)


@shared_task(**TASK_OPTIONS)
def report_jobs_resume(self: Any, stalled_seconds: int = 600) -> None:
    jobs.jobs_resume(stalled_after=datetime.timedelta(seconds=stalled_seconds))


@worker_ready.connect
def _resume_on_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker starting (again, after a crash) takes up the jobs nobody is working on."""
    try:
        report_jobs_resume.delay(stalled_seconds=0)
    except Exception:
        logger.warning("Could not queue the resume of unfinished jobs", exc_info=True)


@worker_ready.connect
def _warn_without_chromium(sender: Any = None, **kwargs: Any) -> None:
    """The one system check a worker needs (readiness/celery.py skips Django's)."""
    from reports.checks import check_chromium

    for message in check_chromium():
        logger.warning("%s %s", message.msg, message.hint)


@shared_task(**TASK_OPTIONS)
def report_organisation_prerender(self: Any, organisation_id: int) -> None:
    from reports.prerender import organisation_prerender

    organisation_prerender(organisation_id)
