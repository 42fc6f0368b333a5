"""Assessments: the list, one with its results, creating one, targets."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import PersonField


class SiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class InstrumentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()


class StoredResultSerializer(serializers.Serializer):
    """The overall result stored at submission (all null before)."""

    score = serializers.FloatField(source="result_score", allow_null=True)
    level = serializers.IntegerField(source="result_level", allow_null=True)
    verdict = serializers.CharField(source="result_verdict")
    provisional = serializers.BooleanField(source="result_provisional")
    completeness = serializers.FloatField(source="result_completeness", allow_null=True)


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="site.organisation.slug")
    site = SiteRefSerializer()
    instrument = InstrumentRefSerializer()
    round_label = serializers.CharField()
    round_date = serializers.DateField()
    status = serializers.CharField()
    # Bumped by every change to answers, targets or status.
    revision = serializers.IntegerField()
    previous = serializers.IntegerField(source="previous_id", allow_null=True)
    created_by = PersonField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    result = StoredResultSerializer(source="*")


class DomainTargetSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    target = serializers.FloatField()
    # False: the instrument's target, not one set for this assessment.
    own = serializers.BooleanField()


class AssessmentDetailSerializer(AssessmentSerializer):
    """One assessment: stored results once submitted, else live ones from its answers."""

    # "stored" (at submission) or "live" (from the current answers).
    results_source = serializers.CharField()
    results = serializers.JSONField(source="results_data")
    targets = DomainTargetSerializer(many=True, source="targets_list")
    review_flags = serializers.ListField(child=serializers.CharField())
    may = serializers.DictField(child=serializers.BooleanField())


class AssessmentCreateSerializer(serializers.Serializer):
    """The site page's "Start an assessment" form, as JSON."""

    site = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    instrument = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    round_label = serializers.CharField(max_length=100, allow_blank=True)
    round_date = serializers.DateField()
    carry_over = serializers.BooleanField(
        default=True,
        help_text="Start from the site's latest submitted round of the same questionnaire "
        "(each answer marked until confirmed); ignored where there is none.",
    )


class TargetsWriteSerializer(serializers.Serializer):
    """New targets by domain key (0 to 100, one decimal); domains left out keep theirs."""

    # Numbers or numeric strings: the targets form of the page checks them.
    targets = serializers.DictField(
        child=serializers.CharField(max_length=40, allow_blank=True), allow_empty=False
    )
