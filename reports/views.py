"""Results page, gap report (HTML and PDF) and report branding."""

from __future__ import annotations

import re
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from assessments import access
from assessments.http import private_no_store
from assessments.models import Assessment, Membership
from reports import job_views, services
from reports.forms import BrandingForm, ConsultantBrandingForm
from reports.models import ConsultantBranding
from reports.report import build_report
from reports.report_options import branding_for, report_options_for_request
from reports.report_page import report_body, results_parts


def _user_id(request: HttpRequest) -> int:
    # Every view here is behind login_required, so there is a user with a primary key.
    return cast(int, request.user.pk)


@login_required
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    parts = results_parts(assessment, viewer_id=_user_id(request))
    services.report_view_log(assessment=assessment, user_id=_user_id(request), subject="results")
    context = {"current_membership": membership, "assessment": assessment, "results": parts}
    return private_no_store(render(request, "reports/results.html", context))


@login_required
@require_GET
def gap_report(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    options, export_form = report_options_for_request(
        request, assessment, membership, for_file=False
    )
    body = report_body(assessment, options, viewer_id=_user_id(request))
    services.report_view_log(
        assessment=assessment, user_id=_user_id(request), subject="report-html"
    )
    context = {
        "current_membership": membership,
        "assessment": assessment,
        "export_form": export_form,
        "report_body": body,
    }
    status = 422 if export_form.is_bound and export_form.errors else 200
    return private_no_store(render(request, "reports/gap_report.html", context, status=status))


@login_required
@require_GET
def chart_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The plotly.js figures of the results page's and the report's charts, by chart id:
    static/js/charts.js fetches them when someone asks for an interactive chart. The pages
    show each chart as a picture and a table, and build no figure themselves."""
    assessment, _ = access.get_assessment_for_user(_user_id(request), pk, "report")
    report = build_report(assessment, charts_mode="interactive", viewer_id=_user_id(request))
    return private_no_store(JsonResponse({chart.id: chart.payload for chart in report.charts}))


def pdf_filename(assessment: Assessment) -> str:
    raw = f"gap-report-{assessment.site.name}-{assessment.round_label}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-").lower()[:120] + ".pdf"


@login_required
@require_GET
def gap_report_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    options, form = report_options_for_request(request, assessment, membership)
    if form.is_bound and form.errors:
        # The report page shows what is wrong, next to the export options.
        url = reverse("reports:gap-report", args=[assessment.pk])
        return redirect(f"{url}?{request.GET.urlencode()}")
    # The stored file at once, else a worker renders it while "Preparing your report" waits.
    return job_views.stored_pdf_response(request, assessment, options)


@login_required
@require_GET
def gap_report_docx(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The gap report as an editable Word file, with the same export options as the PDF."""
    # Imported here: python-docx is only needed by this download.
    from reports.report_docx import DOCX_CONTENT_TYPE, report_docx

    assessment, membership = access.get_assessment_for_user(_user_id(request), pk, "report")
    options, form = report_options_for_request(request, assessment, membership)
    if form.is_bound and form.errors:
        url = reverse("reports:gap-report", args=[assessment.pk])
        return redirect(f"{url}?{request.GET.urlencode()}")
    data = report_docx(assessment, options=options)
    services.report_export_log(
        assessment=assessment, user_id=_user_id(request), subject="report-docx"
    )
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    filename = pdf_filename(assessment).removesuffix(".pdf") + ".docx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return private_no_store(response)


def _consultant_branding(
    request: HttpRequest, membership: Membership, logo_url: str
) -> HttpResponse:
    """A consultant edits their own branding, which follows them to every client."""
    own = ConsultantBranding.objects.filter(user_id=_user_id(request)).first()
    instance = own or ConsultantBranding(user_id=_user_id(request))
    form = ConsultantBrandingForm(instance=instance, logo_url=logo_url)
    status = 200
    if request.method == "POST":
        form = ConsultantBrandingForm(
            request.POST, request.FILES, instance=instance, logo_url=logo_url
        )
        if form.is_valid():
            services.consultant_branding_update(
                user=cast(User, request.user),
                report_title=form.cleaned_data["report_title"],
                report_logo=form.cleaned_data["report_logo"],
                report_signoff=form.cleaned_data["report_signoff"],
            )
            messages.success(request, "Your report branding is saved. Reports you export show it.")
            return redirect("reports:branding", membership.organisation.slug)
        status = 422
        messages.error(request, "Your branding was not saved: see the messages below.")
        if own is not None:
            own.refresh_from_db(fields=["report_title", "report_logo", "report_signoff"])
    return render(
        request,
        "reports/branding.html",
        {
            "current_membership": membership,
            "organisation": membership.organisation,
            "form": form,
            "consultant": True,
            "branding": own,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def branding(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(_user_id(request), slug, "brand")
    organisation = membership.organisation
    logo_url = reverse("reports:branding-logo", args=[organisation.slug])
    if membership.role == Membership.Role.CONSULTANT:
        return _consultant_branding(request, membership, logo_url)
    form = BrandingForm(instance=organisation, logo_url=logo_url)
    status = 200
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES, instance=organisation, logo_url=logo_url)
        if form.is_valid():
            services.organisation_branding_update(
                organisation=organisation,
                report_title=form.cleaned_data["report_title"],
                report_logo=form.cleaned_data["report_logo"],
                report_page_size=form.cleaned_data["report_page_size"],
            )
            messages.success(request, "Report branding saved. New reports show it.")
            return redirect("reports:branding", organisation.slug)
        status = 422
        messages.error(request, "The branding was not saved: see the messages below.")
        # A rejected form must not show the rejected upload as the current logo.
        organisation.refresh_from_db(fields=["report_title", "report_logo", "report_page_size"])
    return render(
        request,
        "reports/branding.html",
        {"current_membership": membership, "organisation": organisation, "form": form},
        status=status,
    )


@login_required
@require_GET
def branding_logo(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The logo of the branding this member's reports carry (the organisation's, or a
    consultant's own), for members only (media files are not served publicly)."""
    membership = access.get_organisation_for_user(_user_id(request), slug, "view")
    logo = branding_for(request.user, membership).logo
    if not logo:
        raise Http404
    try:
        handle = logo.storage.open(str(logo.name), "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    # The organisation's own file: no cache keeps it (PrivateNoStoreMiddleware says so too).
    return private_no_store(response)
