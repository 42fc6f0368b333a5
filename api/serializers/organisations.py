"""Organisations (through the person's memberships) and sites."""

from __future__ import annotations

from rest_framework import serializers


class OrganisationSerializer(serializers.Serializer):
    """One of the person's organisations, with their role in it (read from a Membership)."""

    slug = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")


class SiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    archived = serializers.BooleanField()
    organisation = serializers.CharField(source="organisation.slug")


class MeSerializer(serializers.Serializer):
    """Who the request acts as, and how: the token's name and limits, or the session."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    authenticated_by = serializers.ChoiceField(choices=["token", "session"])
    token = serializers.DictField(allow_null=True)
