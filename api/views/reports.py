"""Report jobs and batch exports: start one, ask its status, download the file.

A report is rendered by a Celery worker, as for the pages (reports/job_views.py): the start
answers at once (202) with the job, and the job says when its PDF is ready. Where no broker
answers, the request renders the report itself, as the page does, and the job is ready at
once. The options are the report page's export form; the stored variant and its key are
reports/report_store.py's, so a page and a script asking for one report share its file.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import conflict_problem, form_problem, validation_problem
from api.serializers.reports import (
    BatchRequestSerializer,
    BatchSerializer,
    ReportJobSerializer,
    ReportRequestSerializer,
)
from api.views.comparison import PARAMETERS as COMPARISON_PARAMETERS
from assessments import access
from reports import batches, jobs, queue, report_store
from reports.forms import ReportExportForm
from reports.job_services import report_batch_create, stored_report_request
from reports.models import ReportBatch, ReportBatchItem, StoredReport
from reports.report_options import branding_for, report_options
from reports.services import export_record_create, report_export_log
from reports.views import pdf_filename


class FileRenderer(renderers.BaseRenderer):
    """Lets a download answer `Accept: application/pdf` or `application/zip`; an error is
    still a problem document (JSON)."""

    media_type = "application/octet-stream"
    format = "file"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return renderers.JSONRenderer().render(data)


class PdfRenderer(FileRenderer):
    media_type = "application/pdf"


class ZipRenderer(FileRenderer):
    media_type = "application/zip"


def _job(stored: StoredReport) -> dict[str, Any]:
    ready = stored.status == StoredReport.Status.READY and report_store.stored_file_exists(stored)
    return {
        "id": stored.pk,
        "assessment_id": stored.assessment_id,
        "status": stored.status,
        "requested_at": stored.requested_at,
        "finished_at": stored.finished_at,
        "size": stored.size,
        "error": "The report could not be rendered." if stored.error else "",
        "download_url": reverse("api:report-job-download", args=[stored.pk]) if ready else None,
    }


def _stored_for_user(user_id: int, pk: int) -> StoredReport:
    stored = StoredReport.objects.filter(pk=pk).first()
    if stored is None:
        raise Http404
    # Whoever may read the assessment's report may read its jobs; others get a 404.
    access.get_assessment_for_user(user_id, stored.assessment_id, "report")
    return stored


class ReportStartView(ApiView):
    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportJobSerializer, 200: ReportJobSerializer},
        summary="Start rendering the gap report PDF (200 when it is ready already)",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = ReportRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assessment, membership = access.get_assessment_for_user(self.user_id, pk, "report")
        query = QueryDict(mutable=True)
        query["preset"] = data["preset"]
        query.setlist("sections", data.get("sections", []))
        if data["sign"]:
            query["sign"] = "on"
        form = ReportExportForm(
            query,
            assessment=assessment,
            signer=branding_for(request.user, membership).signoff_name,
        )
        if not form.is_valid():
            raise form_problem(form)
        cleaned = form.cleaned_data
        options = report_options(
            assessment=assessment,
            user=request.user,
            membership=membership,
            sections=tuple(cleaned["sections"]) or None,
            board=cleaned["preset"] == "board",
            sign=bool(cleaned["sign"]),
        )
        key = report_store.report_key(assessment, options)
        stored = report_store.ready_report(key)
        if stored is not None:
            return Response(ReportJobSerializer(_job(stored)).data)
        params = report_store.variant_request(options, user_id=self.user_id).as_params()
        stored, ask = stored_report_request(assessment=assessment, key=key, params=params)
        if ask and not queue.enqueue("reports.tasks.report_render", stored.pk):
            # No broker: render here, as the page does, so that a report is never refused.
            jobs.render_stored(stored.pk)
            stored.refresh_from_db()
        response = Response(
            ReportJobSerializer(_job(stored)).data,
            status=status.HTTP_200_OK
            if stored.status == StoredReport.Status.READY
            else status.HTTP_202_ACCEPTED,
        )
        response["Location"] = reverse("api:report-job", args=[stored.pk])
        return response


class ReportJobView(ApiView):
    @extend_schema(responses=ReportJobSerializer, summary="A report job's status")
    def get(self, request: Request, pk: int) -> Response:
        return Response(ReportJobSerializer(_job(_stored_for_user(self.user_id, pk))).data)


class ReportDownloadView(ApiView):
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="Not ready yet: ask the job's status."),
        },
        summary="Download the report's PDF (recorded as an export)",
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        stored = _stored_for_user(self.user_id, pk)
        if not (
            stored.status == StoredReport.Status.READY and report_store.stored_file_exists(stored)
        ):
            raise conflict_problem(
                f"The report is not ready ({stored.status}): ask its status until it is.",
                kind="not-ready",
                job=ReportJobSerializer(_job(stored)).data,
            )
        assessment, _ = access.get_assessment_for_user(self.user_id, stored.assessment_id, "report")
        report_export_log(assessment=assessment, user_id=self.user_id, subject="report-pdf")
        response = HttpResponse(report_store.read_stored(stored), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf_filename(assessment)}"'
        return response


# --- batch exports ----------------------------------------------------------------------------


def _batch(batch: ReportBatch, slug: str) -> dict[str, Any]:
    batch.done_count = getattr(batch, "done_count", 0)  # type: ignore[attr-defined]
    available = batch.finished and bool(batch.file)
    batch.download_url = (  # type: ignore[attr-defined]
        reverse("api:batch-download", args=[slug, batch.pk]) if available else None
    )
    return batch  # type: ignore[return-value]


def _batches() -> Any:
    return ReportBatch.objects.annotate(
        done_count=Count(
            "items",
            filter=Q(
                items__status__in=[ReportBatchItem.Status.DONE, ReportBatchItem.Status.FAILED]
            ),
        )
    )


def _batch_for_user(user_id: int, slug: str, pk: int) -> ReportBatch:
    membership = access.get_organisation_for_user(user_id, slug, "batch-export")
    batch = _batches().filter(pk=pk, organisation_id=membership.organisation_id).first()
    if batch is None:
        raise Http404
    return batch


class BatchListView(ApiView):
    @extend_schema(responses=BatchSerializer(many=True), summary="The organisation's batch exports")
    def get(self, request: Request, slug: str) -> Response:
        membership = access.get_organisation_for_user(self.user_id, slug, "batch-export")
        found = _batches().filter(organisation_id=membership.organisation_id)
        page = self.paginate_queryset(found.order_by("-created_at", "-pk"))
        rows = [_batch(b, slug) for b in page or []]
        return self.get_paginated_response(BatchSerializer(rows, many=True).data)

    @extend_schema(
        request=BatchRequestSerializer,
        parameters=COMPARISON_PARAMETERS[:8],
        responses={202: BatchSerializer},
        summary="Start a batch export: a round's reports, or the comparison's",
    )
    def post(self, request: Request, slug: str) -> Response:
        given = BatchRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        membership = access.get_organisation_for_user(self.user_id, slug, "batch-export")
        if data["source"] == "comparison":
            # The comparison page's setup reads the filters of the query string.
            from reports.compare_views import _setup

            setup = _setup(request._request, slug)
            if setup.form.is_bound and setup.form.errors:
                raise form_problem(setup.form)
            if setup.filters is None:
                raise validation_problem(
                    {"source": ["Nothing is submitted yet: there is nothing to compare."]}
                )
            selection = batches.from_comparison(membership, setup.filters)
        else:
            selection = batches.from_round(membership, data.get("round", "").strip())
        if not selection.assessment_ids:
            raise validation_problem(
                {
                    "round" if data["source"] == "round" else "source": [
                        "No submitted assessment matches: nothing to export."
                    ]
                }
            )
        batch = report_batch_create(
            organisation=membership.organisation,
            user=request.user,
            title=selection.title,
            filters=selection.filters,
            assessment_ids=selection.assessment_ids,
        )
        queue.enqueue_on_commit("reports.tasks.report_batch_run", batch.pk)
        fresh = _batch_for_user(self.user_id, slug, batch.pk)
        response = Response(
            BatchSerializer(_batch(fresh, slug)).data, status=status.HTTP_202_ACCEPTED
        )
        response["Location"] = reverse("api:batch", args=[slug, batch.pk])
        return response


class BatchDetailView(ApiView):
    @extend_schema(responses=BatchSerializer, summary="A batch export's status")
    def get(self, request: Request, slug: str, pk: int) -> Response:
        batch = _batch_for_user(self.user_id, slug, pk)
        return Response(BatchSerializer(_batch(batch, slug)).data)


class BatchDownloadView(ApiView):
    renderer_classes = [renderers.JSONRenderer, ZipRenderer]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="Not finished yet, or expired."),
        },
        summary="Download the batch's ZIP (recorded as an export)",
    )
    def get(self, request: Request, slug: str, pk: int) -> HttpResponseBase:
        batch = _batch_for_user(self.user_id, slug, pk)
        if not batch.finished or not batch.file or not default_storage.exists(batch.file):
            raise conflict_problem(
                f"The batch is not ready to download ({batch.status}).",
                kind="not-ready",
                batch=BatchSerializer(_batch(batch, slug)).data,
            )
        membership = access.get_organisation_for_user(self.user_id, slug, "batch-export")
        export_record_create(
            organisation=membership.organisation,
            user=request.user,
            kind="report-batch",
            rows=batch.total,
            filters=[(name, value) for name, value in batch.filters],
        )
        # Streamed: a batch of many reports can be large.
        return FileResponse(
            default_storage.open(batch.file, "rb"),
            content_type="application/zip",
            as_attachment=True,
            filename=batch.file.rsplit("/", 1)[-1],
        )
