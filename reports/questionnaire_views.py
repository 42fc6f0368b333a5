"""The printable blank questionnaire of an instrument version, as a PDF download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from assessments import access
from assessments.http import AuthenticatedHttpRequest, private_no_store
from reports.questionnaire import blank_questionnaire_filename, blank_questionnaire_pdf


@login_required
@require_GET
def blank_questionnaire(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Any member of the organisation may print the questions of a version it can use: the
    questions hold no answers and nothing of another organisation."""
    instrument, membership = access.get_instrument_for_user(request.user.pk, slug, pk)
    data = blank_questionnaire_pdf(instrument, membership.organisation)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{blank_questionnaire_filename(instrument)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return private_no_store(response)
