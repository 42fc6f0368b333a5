"""Evidence files (issue 14): list an answer's files, attach one (multipart), download one,
delete one. The questionnaire's rules, through the same code: access from
assessments/access.py (answering the question's domain to attach or delete), every check in
evidence/services.py, and in independent mode the blind rule of respondents/blind.py (a file
it hides is a 404). A refusal is a problem document carrying the service's `code`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import Problem, conflict_problem
from api.serializers.evidence import EvidenceFileSerializer, EvidenceUploadSerializer
from api.views.reports import FileRenderer
from assessments import access
from assessments.content import instrument_content
from assessments.display import file_size
from assessments.models import Assessment, Question
from evidence.checks import quoted
from evidence.models import EvidenceFile
from evidence.services import (
    EvidenceError,
    EvidenceLocked,
    evidence_delete,
    evidence_open,
    evidence_seen,
    evidence_upload,
)
from evidence.uploads import SizeLimitHandler
from respondents.blind import blind_rule

# A refusal's HTTP status by the service's code; any other code is a bad file (400).
STATUS_BY_CODE = {
    "locked": status.HTTP_409_CONFLICT,
    "version": status.HTTP_409_CONFLICT,
    "duplicate": status.HTTP_409_CONFLICT,
    "too_many": status.HTTP_409_CONFLICT,
    "too_big": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "gone": status.HTTP_404_NOT_FOUND,
    "missing": status.HTTP_404_NOT_FOUND,
    # A virus scan deleted the content; the row stays so that its uploader learns why.
    "infected_content": status.HTTP_410_GONE,
}
TITLES = {
    status.HTTP_409_CONFLICT: "The answer's files cannot take this change now",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The file is too large",
    status.HTTP_404_NOT_FOUND: "The file is not there",
    status.HTTP_410_GONE: "The file's content was deleted",
    status.HTTP_400_BAD_REQUEST: "The file was refused",
}


def evidence_problem(error: EvidenceError, *, reading: bool = False) -> Problem:
    """The service's refusal as a problem: its message as `detail`, its `code`; a bad file
    names the field (`errors.file`). `reading`: a download (a virus's deletion is a 410)."""
    code = "infected_content" if reading and error.code == "infected" else error.code
    if code == "locked":
        return conflict_problem(error.message, kind="locked", code=error.code)
    status_code = STATUS_BY_CODE.get(code, status.HTTP_400_BAD_REQUEST)
    extra: dict[str, Any] = {"code": error.code}
    if status_code in (status.HTTP_400_BAD_REQUEST, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE):
        extra["errors"] = {"file": [error.message]}
    return Problem(
        status_code=status_code,
        kind=f"evidence-{error.code.replace('_', '-')}",
        title=TITLES[status_code],
        detail=error.message,
        **extra,
    )


def _question(assessment: Assessment, key: str) -> Question:
    question = instrument_content(assessment.instrument).by_key.get(key)
    if question is None:
        raise Http404
    return question


def _seen_files(assessment: Assessment, user_id: int) -> Any:
    return evidence_seen(
        assessment=assessment,
        user_id=user_id,
        blind=blind_rule(assessment, viewer_id=user_id),
    ).select_related("uploaded_by")


class AnyFileRenderer(FileRenderer):
    """A download answers whatever `Accept` asks for: the file has the type it was stored
    with. (JSON comes first: errors, and requests that accept anything, get JSON.)"""

    media_type = "*/*"


class AnswerFilesView(ApiView):
    parser_classes = [parsers.MultiPartParser]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Before anything reads the body (the session's CSRF check does): a file over the
        # limit is never written to disk in full, as on the questionnaire page.
        self.size_limit = SizeLimitHandler(request, limit=settings.EVIDENCE_MAX_BYTES)
        if request.method == "POST":
            request.upload_handlers.insert(0, self.size_limit)
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        responses=EvidenceFileSerializer(many=True),
        summary="The files attached to one question's answer, oldest first",
    )
    def get(self, request: Request, pk: int, key: str) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        _question(assessment, key)
        files = _seen_files(assessment, self.user_id).filter(question_key=key)
        return self.page_of(files.order_by("uploaded_at", "pk"), EvidenceFileSerializer)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: EvidenceFileSerializer,
            400: OpenApiResponse(description="The file was refused (`code`, `errors.file`)."),
            409: OpenApiResponse(
                description="The assessment is submitted (`locked`), a file of that name is "
                "attached already (`duplicate`), or the answer has 20 files (`too_many`)."
            ),
            413: OpenApiResponse(description="The file is over the size limit (`too_big`)."),
        },
        summary="Attach a file to one question's answer (multipart, field `file`)",
    )
    def post(self, request: Request, pk: int, key: str) -> Response:
        assessment, membership = access.get_assessment_for_user(self.user_id, pk)
        question = _question(assessment, key)
        access.require_domain_edit(membership, assessment, question.domain.key)
        if not assessment.is_editable:
            raise evidence_problem(EvidenceLocked())
        upload = request.FILES.get("file")
        limit = file_size(settings.EVIDENCE_MAX_BYTES)
        if upload is not None and "file" in self.size_limit.too_big:
            raise evidence_problem(
                EvidenceError(
                    f"{quoted(upload.name or 'The file')} is over {limit}; files up to {limit} "
                    "can be attached.",
                    "too_big",
                )
            )
        if upload is None:
            raise evidence_problem(
                EvidenceError(
                    "Send the file as multipart/form-data in the field 'file'.", "no_file"
                )
            )
        try:
            result = evidence_upload(
                assessment=assessment,
                question_key=key,
                name=upload.name or "",
                stream=upload,  # type: ignore[arg-type]
                size=upload.size or 0,
                user=request.user,  # type: ignore[arg-type]
            )
        except EvidenceError as refused:
            raise evidence_problem(refused) from refused
        evidence = result.evidence
        # The message says whether others can see it yet (a scan pending, or failed).
        data = {**EvidenceFileSerializer(evidence).data, "message": result.message}
        location = reverse("api:evidence-file", args=[evidence.pk])
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


def _file(user_id: int, pk: int, *, change: bool = False) -> EvidenceFile:
    evidence, _ = access.get_evidence_file_for_user(user_id, pk, change=change)
    return evidence


class EvidenceFileView(ApiView):
    @extend_schema(responses=EvidenceFileSerializer, summary="One evidence file's details")
    def get(self, request: Request, pk: int) -> Response:
        return Response(EvidenceFileSerializer(_file(self.user_id, pk)).data)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted (recorded in the history, via the API)."),
            409: OpenApiResponse(description="The assessment is submitted (`locked`)."),
        },
        summary="Delete one evidence file (who may answer its question)",
    )
    def delete(self, request: Request, pk: int) -> Response:
        evidence = _file(self.user_id, pk, change=True)
        try:
            evidence_delete(evidence=evidence, user=request.user)  # type: ignore[arg-type]
        except EvidenceError as refused:
            raise evidence_problem(refused) from refused
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceDownloadView(ApiView):
    renderer_classes = [renderers.JSONRenderer, AnyFileRenderer]

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiTypes.BINARY,
            410: OpenApiResponse(description="A virus scan deleted the content."),
        },
        summary="Download one evidence file (an attachment of its stored type)",
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        evidence = _file(self.user_id, pk)
        try:
            handle = evidence_open(evidence=evidence)
        except EvidenceError as missing:
            raise evidence_problem(missing, reading=True) from missing
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.name,
            content_type=evidence.content_type_header,
        )
        response["X-Content-Type-Options"] = "nosniff"
        # Should anything render it anyway: no script, no plugin, no request anywhere.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
