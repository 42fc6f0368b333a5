"""Action items: the list, one item with its trail, an edit, tracking the plan."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import PersonField, revision_field


class ActionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    organisation = serializers.CharField(source="item.site.organisation.slug")
    site = serializers.DictField(source="site_ref")
    assessment = serializers.IntegerField(source="item.assessment_id", allow_null=True)
    instrument_slug = serializers.CharField(source="item.instrument_slug")
    instrument_version = serializers.CharField(source="item.instrument_version")
    question_key = serializers.CharField(source="item.question_key")
    question_text = serializers.CharField(source="item.question_text")
    domain_key = serializers.CharField(source="item.domain_key")
    domain_title = serializers.CharField(source="item.domain_title")
    weakness = serializers.CharField(source="item.weakness")
    title = serializers.CharField(source="item.title")
    priority = serializers.FloatField(source="item.priority")
    owner = PersonField(source="item.owner", allow_null=True)
    due_date = serializers.DateField(source="item.due_date", allow_null=True)
    status = serializers.CharField(source="item.status")
    reason = serializers.CharField(source="item.reason")
    notes = serializers.CharField(source="item.notes")
    overdue = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="item.created_at")
    updated_at = serializers.DateTimeField(source="item.updated_at")
    done_at = serializers.DateTimeField(source="item.done_at", allow_null=True)
    # Send it back with an edit: an edit from an older revision is refused (409).
    revision = serializers.IntegerField(source="item.revision")
    may_edit = serializers.BooleanField(source="rights.edit")
    may_update = serializers.BooleanField(source="rights.update")


class ActionItemEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = PersonField(allow_null=True)
    action = serializers.CharField()
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
    via = serializers.CharField()


class ActionItemDetailSerializer(ActionItemSerializer):
    events = ActionItemEventSerializer(many=True, help_text="The item's trail, newest first.")


class ActionItemWriteSerializer(serializers.Serializer):
    """An edit: the fields given change, the others stay. Owners who may not edit the item
    change status, reason and notes only."""

    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    owner = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A member's user id; null for nobody.",
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(required=False, max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    revision = revision_field(help_text="The item's revision the edit is based on.")


class TrackSerializer(serializers.Serializer):
    """Track recommendations of the assessment's action plan: one question, the top 10 or all."""

    question = serializers.CharField(required=False, allow_blank=True, max_length=200)
    scope = serializers.CharField(required=False, allow_blank=True, max_length=20)
