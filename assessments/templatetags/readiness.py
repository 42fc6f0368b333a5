from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.template import Context
from django.utils.safestring import SafeString

from assessments import domain_nav
from assessments.content import instrument_content
from assessments.models import Question
from assessments.question_card import card

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


@register.simple_tag(takes_context=True)
def question_card(context: Context, row: Mapping[str, Any]) -> SafeString:
    """A question card of the domain page (assessments/question_card.py); the page's context
    says whether the person may edit (`can_edit`) and which assessment it is."""
    return card(row, can_edit=bool(context.get("can_edit")), assessment=context.get("assessment"))


# The questionnaire page's domain lists (assessments/domain_nav.py).
register.simple_tag(domain_nav.current_count, name="domain_current_count")
register.simple_tag(domain_nav.switcher_links, name="domain_switcher_links")
register.simple_tag(domain_nav.side_links, name="domain_side_links")
