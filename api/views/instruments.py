"""The full content of one instrument version: domains, questions and their options."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.serializers.instruments import InstrumentContentSerializer
from assessments import access
from assessments.content import instrument_content
from assessments.models import Question


def _question(question: Question, number: str) -> dict[str, Any]:
    # "na" is not an option: `allow_na` says whether the question takes it.
    options = [
        {"value": str(o["value"]), "label": str(o["label"]), "score": o.get("score", 0)}
        for o in question.options
    ]
    return {
        "key": question.key,
        "number": number,
        "type": question.type,
        "text": question.text,
        "help": question.help,
        "weight": question.weight,
        "critical": question.critical,
        "allow_na": question.allow_na,
        "recommendation": question.recommendation,
        "references": question.references,
        "show_if": {"question": question.show_if_question, "values": question.show_if_values}
        if question.show_if_question
        else None,
        "options": options,
    }


class InstrumentDetailView(ApiView):
    @extend_schema(
        responses=InstrumentContentSerializer,
        summary="One instrument version in full: domains, questions, answer options",
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        instrument, _ = access.get_instrument_for_user(self.user_id, slug, pk)
        content = instrument_content(instrument)
        instrument.content_domains = [  # type: ignore[attr-defined]
            {
                "key": domain.key,
                "title": domain.title,
                "description": domain.description,
                "weight": domain.weight,
                "target": domain.effective_target,
                "questions": [
                    _question(q, content.numbers[q.key]) for q in content.questions_of(domain.key)
                ],
            }
            for domain in content.domains
        ]
        return Response(InstrumentContentSerializer(instrument).data)
