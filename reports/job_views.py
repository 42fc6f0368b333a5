"""Pages of the background report jobs: a report being prepared, batch exports, /healthz.

No request waits on rendering: a PDF not yet stored is queued and the browser is shown
"Preparing your report", which polls its status (static/js/job_progress.js) and starts the
download when it is ready. Only when the broker cannot be reached does the request render
the PDF itself, as before, so that a report is never refused.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from assessments import access
from assessments.caching import cache_get, cache_set
from assessments.display import display_name, file_size
from assessments.http import AuthenticatedHttpRequest, private_no_store
from assessments.models import Assessment, Membership
from reports import batches, jobs, queue, report_store
from reports.job_services import report_batch_create, stored_report_request
from reports.models import ReportBatch, ReportBatchItem, StoredReport
from reports.report_options import ReportOptions, report_options_for_request
from reports.services import export_record_create, report_export_log

logger = logging.getLogger(__name__)

# Seconds a report may wait for a worker before its page says none seems to be running.
NO_WORKER_SECONDS = 30


def _filename(assessment: Assessment) -> str:
    from reports.views import pdf_filename

    return pdf_filename(assessment)


def _serve_stored(
    request: HttpRequest, assessment: Assessment, stored: StoredReport
) -> HttpResponseBase:
    report_export_log(assessment=assessment, user_id=request.user.pk, subject="report-pdf")
    # A report is a few hundred kilobytes: read at once, it frees the file handle at once.
    response = HttpResponse(report_store.read_stored(stored), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(assessment)}"'
    return private_no_store(response)


def stored_pdf_response(
    request: HttpRequest, assessment: Assessment, options: ReportOptions
) -> HttpResponseBase:
    """The PDF download: the stored file now, else queued and "Preparing your report".

    Called by `reports.views.gap_report_pdf` once it has checked access and the options.
    """
    key = report_store.report_key(assessment, options)
    stored = report_store.ready_report(key)
    if stored is not None:
        return _serve_stored(request, assessment, stored)
    params = report_store.variant_request(options, user_id=request.user.pk).as_params()
    stored, ask = stored_report_request(assessment=assessment, key=key, params=params)
    if ask and not queue.enqueue("reports.tasks.report_render", stored.pk):
        # No broker: render here, as before workers existed, and keep the file.
        logger.warning("Rendering report %s in the request: the broker is unreachable", key)
        jobs.render_stored(stored.pk)
        stored.refresh_from_db()
        return _serve_stored(request, assessment, stored)
    url = reverse("reports:report-preparing", args=[assessment.pk])
    query = request.GET.urlencode()
    return private_no_store(redirect(f"{url}?{query}" if query else url))


def _report_state(stored: StoredReport | None) -> dict[str, Any]:
    """What the preparing page shows: a label, a progress percentage, and whether done."""
    if stored is None:
        return {"state": "missing", "label": "Not requested yet.", "progress": 0}
    if stored.status == StoredReport.Status.READY:
        return {"state": "ready", "label": "Ready: the download starts now.", "progress": 100}
    if stored.status == StoredReport.Status.FAILED:
        return {
            "state": "failed",
            "label": "The report could not be rendered. Try again; if it fails again, "
            "tell your administrator.",
            "progress": 0,
        }
    if stored.status == StoredReport.Status.RENDERING:
        return {"state": "rendering", "label": "Rendering the report…", "progress": 60}
    waited = (timezone.now() - stored.requested_at).total_seconds()
    label = "Waiting for a report worker…"
    if waited > NO_WORKER_SECONDS:
        label = (
            "No report worker has taken this up yet. It starts as soon as one runs; you can "
            "leave this page and download the report later."
        )
    return {"state": "queued", "label": label, "progress": 20}


def _variant(request: AuthenticatedHttpRequest, pk: int) -> tuple[Assessment, Membership, str]:
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk, "report")
    options, _ = report_options_for_request(request, assessment, membership)
    return assessment, membership, report_store.report_key(assessment, options)


@login_required
@require_GET
def report_preparing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    assessment, membership, key = _variant(request, pk)
    stored = StoredReport.objects.filter(key=key).first()
    query = request.GET.urlencode()
    pdf_url = reverse("reports:gap-report-pdf", args=[pk]) + (f"?{query}" if query else "")
    if stored is None or (
        stored.status == StoredReport.Status.READY and report_store.stored_file_exists(stored)
    ):
        return private_no_store(redirect(pdf_url))
    context = {
        "current_membership": membership,
        "assessment": assessment,
        "pdf_url": pdf_url,
        "status_url": reverse("reports:report-status", args=[pk]) + (f"?{query}" if query else ""),
        "report_url": reverse("reports:gap-report", args=[pk]),
        **_report_state(stored),
    }
    return private_no_store(render(request, "reports/report_preparing.html", context))


@login_required
@require_GET
def report_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _, _, key = _variant(request, pk)
    stored = StoredReport.objects.filter(key=key).first()
    ready = stored is not None and stored.status == StoredReport.Status.READY
    if ready and not report_store.stored_file_exists(stored):  # type: ignore[arg-type]
        stored = None
    return private_no_store(JsonResponse(_report_state(stored)))


# --- batch exports ----------------------------------------------------------------------------


def _batch_for_user(
    request: AuthenticatedHttpRequest, slug: str, pk: int
) -> tuple[ReportBatch, Membership]:
    membership = access.get_organisation_for_user(request.user.pk, slug, "batch-export")
    batch = (
        ReportBatch.objects.select_related("started_by")
        .filter(pk=pk, organisation_id=membership.organisation_id)
        .first()
    )
    if batch is None:
        raise Http404
    return batch, membership


def _batch_state(batch: ReportBatch) -> dict[str, Any]:
    counts = _item_counts(batch)
    done = counts.get(ReportBatchItem.Status.DONE, 0) + counts.get(ReportBatchItem.Status.FAILED, 0)
    waiting = batch.status == ReportBatch.Status.QUEUED or (
        batch.status == ReportBatch.Status.RUNNING and done == 0
    )
    stalled = (timezone.now() - batch.heartbeat_at).total_seconds() > NO_WORKER_SECONDS
    if batch.finished:
        label = batch.get_status_display()
    elif batch.status == ReportBatch.Status.EXPIRED:
        label = "Expired: the file was deleted."
    elif waiting and stalled:
        label = (
            "Waiting for a report worker: none has taken this up yet. It starts as soon as "
            "one runs; you can leave this page."
        )
    elif waiting:
        label = "Waiting for a report worker…"
    else:
        label = f"Rendering reports: {done} of {batch.total} done."
    return {
        "state": batch.status,
        "label": label,
        "done": done,
        "total": batch.total,
        "progress": 100
        if batch.finished
        else round(100 * done / batch.total)
        if batch.total
        else 0,
        "finished": batch.finished,
        "size": file_size(batch.size) if batch.finished else "",
        "failures": batch.failures,
    }


def _item_counts(batch: ReportBatch) -> dict[str, int]:
    rows = batch.items.order_by().values_list("status").annotate(n=Count("pk"))
    return {status: n for status, n in rows}


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Batch exports of the organisation; POST starts one (from the comparison's filters,
    passed in the query string, or from a round)."""
    membership = access.get_organisation_for_user(request.user.pk, slug, "batch-export")
    organisation = membership.organisation
    if request.method == "POST":
        selection = _selection(request, slug, membership)
        if selection is None:
            messages.error(request, "Choose a round, or use the filters of the comparison page.")
        elif not selection.assessment_ids:
            messages.error(request, "No submitted assessment matches: nothing to export.")
        else:
            batch = report_batch_create(
                organisation=organisation,
                user=request.user,
                title=selection.title,
                filters=selection.filters,
                assessment_ids=selection.assessment_ids,
            )
            queue.enqueue_on_commit("reports.tasks.report_batch_run", batch.pk)
            return redirect("reports:batch", slug, batch.pk)
    rounds = list(
        Assessment.objects.filter(
            site__in=access.visible_sites(membership), status=Assessment.Status.SUBMITTED
        )
        .order_by("-round_date")
        .values_list("round_label", flat=True)
        .distinct()[:200]
    )
    context = {
        "current_membership": membership,
        "organisation": organisation,
        "batches": ReportBatch.objects.filter(organisation=organisation).select_related(
            "started_by"
        )[:50],
        "rounds": list(dict.fromkeys(rounds)),
    }
    status = 422 if request.method == "POST" else 200
    return private_no_store(render(request, "reports/batch_list.html", context, status=status))


def _selection(
    request: AuthenticatedHttpRequest, slug: str, membership: Membership
) -> batches.Selection | None:
    if request.POST.get("source") == "compare":
        from reports.compare_views import _setup

        setup = _setup(request, slug)
        if setup.filters is None or (setup.form.is_bound and setup.form.errors):
            return None
        return batches.from_comparison(membership, setup.filters)
    round_label = request.POST.get("round", "").strip()
    if not round_label or len(round_label) > 100:
        return None
    return batches.from_round(membership, round_label)


@login_required
@require_GET
def batch_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    batch, membership = _batch_for_user(request, slug, pk)
    context = {
        "current_membership": membership,
        "organisation": membership.organisation,
        "batch": batch,
        "started_by": display_name(batch.started_by) if batch.started_by else "a command",
        "status_url": reverse("reports:batch-status", args=[slug, pk]),
        "download_url": reverse("reports:batch-download", args=[slug, pk]),
        **_batch_state(batch),
    }
    return private_no_store(render(request, "reports/batch_detail.html", context))


@login_required
@require_GET
def batch_status(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    batch, _ = _batch_for_user(request, slug, pk)
    return private_no_store(JsonResponse(_batch_state(batch)))


@login_required
@require_GET
def batch_download(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponseBase:
    batch, membership = _batch_for_user(request, slug, pk)
    # Only a recorded, complete ZIP: a half-written one has another name and no row.
    if not batch.finished or not batch.file or not default_storage.exists(batch.file):
        raise Http404
    export_record_create(
        organisation=membership.organisation,
        user=request.user,
        kind="report-batch",
        rows=batch.total,
        filters=[(name, value) for name, value in batch.filters],
    )
    response = FileResponse(
        default_storage.open(batch.file, "rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=batch.file.rsplit("/", 1)[-1],
    )
    return private_no_store(response)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when the database answers; cache and broker reported too."""
    state: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state["database"] = "ok"
    except Exception:
        logger.warning("Health check: the database does not answer", exc_info=True)
        state["database"] = "unreachable"
    try:
        cache_set("healthz", "ok", timeout=60)
        state["cache"] = "ok" if cache_get("healthz") == "ok" else "unavailable"
    except Exception:
        state["cache"] = "unavailable"
    state["broker"] = queue.broker_state()
    status = 200 if state["database"] == "ok" else 503
    return private_no_store(JsonResponse(state, status=status))
