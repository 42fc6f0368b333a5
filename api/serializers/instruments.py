"""Instrument versions: the list, and the full content of one version."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class InstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    default_target = serializers.DecimalField(
        max_digits=5, decimal_places=1, coerce_to_string=False
    )
    blocker_below = serializers.DecimalField(max_digits=3, decimal_places=2, coerce_to_string=False)
    source_name = serializers.CharField()
    # True for the organisation's own upload, false for an instrument shipped with the app.
    own = serializers.SerializerMethodField()
    loaded_at = serializers.DateTimeField()

    def get_own(self, instrument: Any) -> bool:
        return instrument.organisation_id is not None


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    score = serializers.FloatField()


class ShowIfSerializer(serializers.Serializer):
    question = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField())


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    number = serializers.CharField()
    type = serializers.CharField()
    text = serializers.CharField()
    help = serializers.CharField()
    weight = serializers.DecimalField(max_digits=8, decimal_places=3, coerce_to_string=False)
    critical = serializers.BooleanField()
    allow_na = serializers.BooleanField()
    recommendation = serializers.CharField()
    references = serializers.JSONField()
    show_if = ShowIfSerializer(allow_null=True)
    options = OptionSerializer(many=True)


class DomainSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.DecimalField(max_digits=8, decimal_places=3, coerce_to_string=False)
    target = serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=False)
    questions = QuestionSerializer(many=True)


class InstrumentContentSerializer(InstrumentSerializer):
    # Set by the view from the cached content (assessments/content.py): no query per question.
    domains = DomainSerializer(many=True, source="content_domains")
