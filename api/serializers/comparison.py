"""The comparison page's data as JSON rows: each site's latest round (or the round chosen)."""

from __future__ import annotations

from rest_framework import serializers


class DomainColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()


class DomainCellSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    applicable = serializers.BooleanField(allow_null=True)


class RankedSiteSerializer(serializers.Serializer):
    assessment_id = serializers.IntegerField()
    site_id = serializers.IntegerField()
    site = serializers.CharField()
    kind = serializers.CharField()
    round_label = serializers.CharField()
    round_date = serializers.DateField()
    version = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    level_name = serializers.CharField()
    verdict = serializers.CharField()
    provisional = serializers.BooleanField()
    completeness = serializers.FloatField(allow_null=True)
    blockers = serializers.IntegerField()
    previous_score = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    domains = DomainCellSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    sites = serializers.IntegerField()
    median_score = serializers.FloatField(allow_null=True)
    verdicts = serializers.DictField(child=serializers.IntegerField())
    provisional = serializers.IntegerField()
    with_blockers = serializers.IntegerField()


class ComparisonSerializer(serializers.Serializer):
    """One page of the ranking (`page`, `pages`, `per_page`; `count` sites in all)."""

    instrument = serializers.CharField(help_text="The compared instrument's slug.")
    version = serializers.CharField(help_text='"" for every version.')
    filters = serializers.DictField(child=serializers.CharField())
    domains = DomainColumnSerializer(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    per_page = serializers.IntegerField()
    sort = serializers.CharField()
    descending = serializers.BooleanField()
    summary = SummarySerializer(allow_null=True)
    results = RankedSiteSerializer(many=True)
