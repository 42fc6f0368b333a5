"""Evidence files in the app: attach one to an answer (a plain multipart form of the domain
page, so it works without JavaScript), download, delete, and the export with evidence.

Thin: access through assessments/access.py, every rule in evidence/services.py. Uploads and
deletions come back to the question's anchor on the domain page, their message beside it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from assessments import access
from assessments.content import instrument_content
from assessments.display import file_size
from assessments.http import AuthenticatedHttpRequest, private_no_store
from assessments.models import Assessment
from evidence.checks import quoted
from evidence.questionnaire import question_tag
from evidence.services import EvidenceError, evidence_delete, evidence_open, evidence_upload
from evidence.transfer import export_with_evidence
from evidence.uploads import SizeLimitHandler


def _back(assessment: Assessment, key: str) -> str:
    """The question on its domain page; the assessment's page when the question is gone."""
    question = instrument_content(assessment.instrument).by_key.get(key)
    if question is None:
        return reverse("assessments:detail", args=[assessment.pk])
    url = reverse("assessments:domain", args=[assessment.pk, question.domain.key])
    return f"{url}#q-{key}"


@csrf_exempt  # checked in _upload, once the size limit is in place to read the body
@login_required
@require_POST
def upload(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    # Django reads the body when the CSRF token is looked up: the handler must come first, so
    # that a file over the limit is never written to disk in full.
    handler = SizeLimitHandler(request, limit=settings.EVIDENCE_MAX_BYTES)
    request.upload_handlers.insert(0, handler)
    return _upload(request, pk, key, handler)


@csrf_protect
def _upload(
    request: AuthenticatedHttpRequest, pk: int, key: str, handler: SizeLimitHandler
) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    question = instrument_content(assessment.instrument).by_key.get(key)
    if question is None:
        raise Http404
    access.require_domain_edit(membership, assessment, question.domain.key)
    tag = question_tag(key)
    upload = request.FILES.get("file")
    if upload is not None and "file" in handler.too_big:
        messages.error(
            request,
            f"{quoted(upload.name or 'The file')} is over {file_size(settings.EVIDENCE_MAX_BYTES)}"
            f"; files up to {file_size(settings.EVIDENCE_MAX_BYTES)} can be attached.",
            extra_tags=tag,
        )
    elif upload is None:
        messages.error(request, "Choose a file to attach.", extra_tags=tag)
    else:
        try:
            result = evidence_upload(
                assessment=assessment,
                question_key=key,
                name=upload.name or "",
                stream=upload,  # type: ignore[arg-type]
                size=upload.size or 0,
                user=request.user,
            )
        except EvidenceError as refused:
            messages.error(request, refused.message, extra_tags=tag)
        else:
            messages.success(request, result.message, extra_tags=tag)
    return redirect(_back(assessment, key))


@login_required
@require_GET
def download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The file as an attachment of its stored type: never shown inline, never sniffed."""
    evidence, _ = access.get_evidence_file_for_user(request.user.pk, pk)
    try:
        handle = evidence_open(evidence=evidence)
    except EvidenceError as missing:
        messages.error(request, missing.message, extra_tags=question_tag(evidence.question_key))
        return redirect(_back(evidence.assessment, evidence.question_key))
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type_header,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no script, no plugin, no request anywhere.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return private_no_store(response)


@login_required
@require_POST
def delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence, _ = access.get_evidence_file_for_user(request.user.pk, pk, change=True)
    tag = question_tag(evidence.question_key)
    try:
        evidence_delete(evidence=evidence, user=request.user)
    except EvidenceError as refused:
        messages.error(request, refused.message, extra_tags=tag)
    else:
        messages.success(request, f"{quoted(evidence.name)} was deleted.", extra_tags=tag)
    return redirect(_back(evidence.assessment, evidence.question_key))


@login_required
@require_GET
def export_zip(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The assessment JSON and its files in one ZIP, for whoever may export the JSON."""
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "report")
    try:
        export = export_with_evidence(assessment=assessment, user_id=request.user.pk)
    except EvidenceError as failed:
        messages.error(request, failed.message)
        return redirect(assessment)
    return private_no_store(
        FileResponse(
            export.file,
            as_attachment=True,
            filename=export.filename,
            content_type="application/zip",
        )
    )
