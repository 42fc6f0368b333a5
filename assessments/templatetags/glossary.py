"""{% term_help "blocker" %}: a small link from a word on a page to its explanation."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from assessments.glossary import term

register = template.Library()


@register.simple_tag
def term_help(slug: str) -> SafeString:
    """A "?" link to the term on the help page; its title carries the one-sentence answer,
    and its text says what it opens for screen readers. A new tab, so that a half-typed
    comment on the questionnaire stays where it is."""
    found = term(slug)
    return format_html(
        '<a class="term-help" href="{}#{}" title="{}" target="_blank" rel="noopener">'
        '<span aria-hidden="true">?</span>'
        '<span class="visually-hidden">What is “{}”? (help, in a new tab)</span></a>',
        reverse("assessments:help"),
        found.anchor,
        found.short,
        found.name,
    )


@register.simple_tag
def term_short(slug: str) -> str:
    """The one-sentence explanation of a term, for a tooltip or a note."""
    return term(slug).short
