from __future__ import annotations

from django import template

from assessments.content import instrument_content
from assessments.models import Question

register = template.Library()


@register.filter
def option_label(question: Question, value: str) -> str:
    """The label of an answer option, e.g. "3" -> "Largely in place"."""
    return question.option_label(value)


@register.filter
def question_number(question: Question) -> str:
    """The question's number ("7.4") in its instrument version, as every page shows it."""
    # The instrument's content is cached per process: no query.
    return instrument_content(question.instrument).numbers.get(question.key, "")
