"""An assessment's history: its audit trail, newest first, each entry saying whether it
came through the API; in independent mode without the evidence files' lines and the
consensus answers' lines the blind rule hides (respondents/blind.py), as on the History page. Its assignment events likewise, the
History's "Assignments and respondents" (respondents/history.py, the same blind rule)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.serializers.history import AssignmentEventSerializer, AuditEntrySerializer
from assessments import access
from assessments.content import instrument_content
from assessments.models import AuditEntry
from respondents.blind import audit_visible
from respondents.history import events_of


class HistoryView(ApiView):
    @extend_schema(
        responses=AuditEntrySerializer(many=True),
        summary="The audit trail: changes to answers, targets and status, reads of reports",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        entries = audit_visible(
            AuditEntry.objects.filter(assessment=assessment), assessment, viewer_id=self.user_id
        ).select_related("user")
        return self.page_of(entries.order_by("-at", "-pk"), AuditEntrySerializer)


class AssignmentEventsView(ApiView):
    @extend_schema(
        responses=AssignmentEventSerializer(many=True),
        summary="Assignments and respondents: assigned, due dates, removed, the answering mode, "
        "parts done and reopened, own answers and consensus notes (blind rule applied)",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        events = events_of(assessment, viewer_id=self.user_id)
        page = self.paginate_queryset(events)
        content = instrument_content(assessment.instrument)
        data = AssignmentEventSerializer(page, many=True, context={"content": content}).data
        return self.get_paginated_response(data)
