from __future__ import annotations

from django import template

from assessments.models import Question

register = template.Library()


@register.filter
def option_label(question: Question, value: str) -> str:
    """The label of an answer option, e.g. "3" -> "Largely in place"."""
    return question.option_label(value)
