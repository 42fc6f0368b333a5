"""An assessment's audit trail."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import PersonField


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
