"""An assessment's history: its audit trail, newest first, each entry saying whether it
came through the API; in independent mode without the evidence files' lines the blind rule
hides (respondents/blind.py), as on the History page."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.serializers.history import AuditEntrySerializer
from assessments import access
from assessments.models import AuditEntry
from respondents.blind import audit_visible


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
