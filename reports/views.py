"""Results page, gap report (HTML and PDF) and report branding."""

from __future__ import annotations

import re
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from assessments import access
from assessments.http import private_no_store
from assessments.models import Assessment
from reports import services
from reports.forms import BrandingForm
from reports.report import build_report, report_context
from reports.report_files import report_pdf


def _user_id(request: HttpRequest) -> int:
    # Every view here is behind login_required, so there is a user with a primary key.
    return cast(int, request.user.pk)


@login_required
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    report = build_report(assessment, charts_mode="html")
    services.report_view_log(assessment=assessment, user_id=_user_id(request), subject="results")
    context = {"current_membership": membership, **report_context(report, pdf=False)}
    return private_no_store(render(request, "reports/results.html", context))


@login_required
@require_GET
def gap_report(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    report = build_report(assessment, charts_mode="html")
    services.report_view_log(
        assessment=assessment, user_id=_user_id(request), subject="report-html"
    )
    context = {"current_membership": membership, **report_context(report, pdf=False)}
    return private_no_store(render(request, "reports/gap_report.html", context))


def pdf_filename(assessment: Assessment) -> str:
    raw = f"gap-report-{assessment.site.name}-{assessment.round_label}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-").lower()[:120] + ".pdf"


@login_required
@require_GET
def gap_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, _ = access.get_assessment_for_user(_user_id(request), pk, "report")
    data = report_pdf(assessment)
    services.report_export_log(
        assessment=assessment, user_id=_user_id(request), subject="report-pdf"
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(assessment)}"'
    return private_no_store(response)


@login_required
@require_http_methods(["GET", "POST"])
def branding(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(_user_id(request), slug, "brand")
    organisation = membership.organisation
    logo_url = reverse("reports:branding-logo", args=[organisation.slug])
    form = BrandingForm(instance=organisation, logo_url=logo_url)
    status = 200
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES, instance=organisation, logo_url=logo_url)
        if form.is_valid():
            services.organisation_branding_update(
                organisation=organisation,
                report_title=form.cleaned_data["report_title"],
                report_logo=form.cleaned_data["report_logo"],
                report_signoff=form.cleaned_data["report_signoff"],
            )
            messages.success(request, "Report branding saved. New reports show it.")
            return redirect("reports:branding", organisation.slug)
        status = 422
        messages.error(request, "The branding was not saved: see the messages below.")
        # A rejected form must not show the rejected upload as the current logo.
        organisation.refresh_from_db(fields=["report_title", "report_logo", "report_signoff"])
    return render(
        request,
        "reports/branding.html",
        {"current_membership": membership, "organisation": organisation, "form": form},
        status=status,
    )


@login_required
@require_GET
def branding_logo(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The organisation's logo, for its members only (media files are not served publicly)."""
    membership = access.get_organisation_for_user(_user_id(request), slug, "view")
    logo = membership.organisation.report_logo
    if not logo:
        raise Http404
    try:
        handle = logo.storage.open(str(logo.name), "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    # The organisation's own file: no cache keeps it (PrivateNoStoreMiddleware says so too).
    return private_no_store(response)
