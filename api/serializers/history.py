"""An assessment's audit trail, and its assignment events."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import PersonField
from respondents.history import event_line


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = PersonField(allow_null=True)
    action = serializers.CharField()
    action_display = serializers.CharField(source="get_action_display")
    # The question key, domain key or report name the entry is about.
    subject = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
    # "api" for a change made through the API, "" for the app's pages.
    via = serializers.CharField()


class AssignmentEventSerializer(serializers.Serializer):
    """An assignment event (respondents.models.AssignmentEvent), with the History page's words
    for it (`context["content"]`: the assessment's instrument content)."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = PersonField(allow_null=True)
    # assigned, changed (due date), removed, mode, done, answered (own answer), reopened,
    # note (consensus note).
    action = serializers.CharField()
    action_display = serializers.CharField(source="get_action_display")
    # What happened, as the History page says it (who did it is `user`).
    summary = serializers.SerializerMethodField()
    # The domain key ("" for the answering mode) and the person it concerns.
    domain = serializers.CharField(source="domain_key")
    respondent = PersonField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    # For a changed due date: the one it replaced.
    previous_due_date = serializers.DateField(source="previous_due", allow_null=True)
    # answered and note: {"question", "old", "new"}; mode: {"independent"}; reopened:
    # {"done_at"}; {} otherwise.
    detail = serializers.JSONField()
    via = serializers.CharField()

    def get_summary(self, event: Any) -> str:
        return event_line(event, self.context["content"]).what
