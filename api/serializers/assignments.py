"""Assignments of an assessment's domains to members."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import PersonField


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id")
    domain = serializers.CharField(source="domain_key")
    user = PersonField()
    due_date = serializers.DateField(allow_null=True)
    assigned_by = PersonField(allow_null=True)
    created_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True)
    # Independent answers: when the respondent marked their part done.
    done_at = serializers.DateTimeField(allow_null=True)


class MyAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="assignment.pk")
    assessment = serializers.IntegerField(source="assignment.assessment_id")
    site = serializers.CharField(source="assignment.assessment.site.name")
    round_label = serializers.CharField(source="assignment.assessment.round_label")
    domain = serializers.CharField(source="assignment.domain_key")
    domain_title = serializers.CharField()
    due_date = serializers.DateField(source="assignment.due_date", allow_null=True)
    overdue = serializers.BooleanField()
    answered = serializers.IntegerField()
    total = serializers.IntegerField()


class AssignSerializer(serializers.Serializer):
    """The assignments page's form: a domain, a member (user id), an optional due date."""

    domain = serializers.CharField(max_length=80)
    user = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    due_date = serializers.DateField(required=False, allow_null=True)
