"""Answers: reading them, and writing one or many with the revision each was based on."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import PersonField, revision_field

# More than an instrument has questions, few enough for one transaction.
MAX_ANSWERS_PER_WRITE = 500


class AnswerSerializer(serializers.Serializer):
    """A question's answer; revision 0 and empty fields where it has none yet."""

    question = serializers.CharField(source="question.key")
    number = serializers.CharField()
    domain = serializers.CharField(source="question.domain.key")
    value = serializers.CharField()
    comment = serializers.CharField()
    evidence = serializers.CharField()
    # Send it back with a write: a write based on an older revision is refused (409).
    revision = serializers.IntegerField()
    answered_by = PersonField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    carried_over = serializers.BooleanField()


class AnswerWriteSerializer(serializers.Serializer):
    """One answer as the questionnaire posts it. A field left out keeps its current text."""

    value = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text='An option value, "na" (not applicable) or the text of a free-text '
        'question; "" clears the answer.',
    )
    comment = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    evidence = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    revision = revision_field(
        help_text="The answer's revision this write is based on (0 for an unanswered "
        "question). A newer one means someone else changed it: 409, nothing saved for it."
    )


class AnswerItemWriteSerializer(AnswerWriteSerializer):
    question = serializers.CharField(max_length=120, help_text="The question's key.")


class AnswersWriteSerializer(serializers.Serializer):
    answers = AnswerItemWriteSerializer(many=True, min_length=1, max_length=MAX_ANSWERS_PER_WRITE)


class AnswersSavedSerializer(serializers.Serializer):
    """After a write: every answer it named, as stored now."""

    answers = AnswerSerializer(many=True)
