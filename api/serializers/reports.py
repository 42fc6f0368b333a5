"""Report jobs (a gap report PDF being rendered) and batch exports (a ZIP of many)."""

from __future__ import annotations

from rest_framework import serializers


class ReportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id")
    # queued, rendering, ready or failed.
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    size = serializers.IntegerField()
    error = serializers.CharField()
    download = serializers.CharField(
        source="download_url", allow_null=True, help_text="Where the PDF is, once ready."
    )


class ReportRequestSerializer(serializers.Serializer):
    """What goes into the report, as the report page's export options."""

    preset = serializers.ChoiceField(choices=["full", "board"], default="full")
    sections = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=20,
        help_text="The sections of a full report; none: every section.",
    )
    sign = serializers.BooleanField(default=False, help_text="Sign it (a submitted assessment).")


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    filters = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    # queued, running, done, errors (done with errors) or expired.
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField(source="done_count")
    size = serializers.IntegerField()
    failures = serializers.JSONField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
    download = serializers.CharField(source="download_url", allow_null=True)


class BatchRequestSerializer(serializers.Serializer):
    """A round's reports, or the reports the comparison's filters select (its filters are
    then given in the query string, as for the comparison)."""

    source = serializers.ChoiceField(choices=["round", "comparison"], default="round")
    round = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text='The round\'s label; "" for the latest round of each site.',
    )
