"""Independent answers (issue 15): respondents' own answers and the coordinator's consensus."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.answers import AnswerItemWriteSerializer, AnswerSerializer
from api.serializers.common import PersonField

MAX_PER_WRITE = 500


class OwnAnswerSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.key")
    number = serializers.CharField()
    domain = serializers.CharField(source="question.domain.key")
    value = serializers.CharField()
    comment = serializers.CharField()
    evidence = serializers.CharField()
    revision = serializers.IntegerField()
    answered_at = serializers.DateTimeField(allow_null=True)


class RespondentSerializer(serializers.Serializer):
    """A respondent with the answers the asker may see (blind until they marked done)."""

    user = PersonField()
    removed = serializers.BooleanField()
    done = serializers.BooleanField()
    answers = OwnAnswerSerializer(many=True, source="rows")


class RespondentWriteSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=80)
    answers = AnswerItemWriteSerializer(many=True, min_length=1, max_length=MAX_PER_WRITE)


class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=80)


class ConsensusItemSerializer(AnswerItemWriteSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The coordinator's note on the consensus; left out, it stays.",
    )


class ConsensusWriteSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=80)
    answers = ConsensusItemSerializer(many=True, min_length=1, max_length=MAX_PER_WRITE)


class ConsensusAnswerSerializer(AnswerSerializer):
    note = serializers.CharField()
