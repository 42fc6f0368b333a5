"""The parts of a question card that depend only on the question, rendered once per process.

A loaded instrument version never changes (content.py), so a question's legend, its fixed
badges, its help and its answer options (once for each option that can be checked) are the
same HTML on every domain page that shows them. The domain page takes them from here instead
of rendering ~100 template nodes per question on every request (issue 13: the domain page was
~6x a bare signed-in page, most of it template rendering). The HTML itself stays in
templates/assessments/_question_fixed.html; the card around it, with everything that depends
on the answer or the person, in _question.html.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import get_template
from django.utils.safestring import SafeString

from assessments.content import VersionKey, version_key
from assessments.scoring import NA

# (version_key of the instrument, question key, part) -> HTML. A few entries per question of
# each version in use; cleared whole if it ever grows past LIMIT (say, tests loading many
# versions).
_cache: dict[tuple[VersionKey, str, str], SafeString] = {}
LIMIT = 50_000
TEMPLATE = "assessments/_question_fixed.html"


def _render(question: Any, part: str, variant: str, context: dict[str, Any]) -> SafeString:
    instrument = question.instrument
    key = (version_key(instrument), question.key, f"{part}:{variant}")
    html = _cache.get(key)
    if html is None:
        html = SafeString(get_template(TEMPLATE).render({"q": question, "part": part, **context}))
        if len(_cache) >= LIMIT:
            _cache.clear()
        _cache[key] = html
    return html


def legend(question: Any, number: str) -> SafeString:
    """<legend> with the question's number and text."""
    return _render(question, "legend", number, {"number": number})


def fixed_badges(question: Any) -> SafeString:
    """The badges every card of the question shows (critical safeguard, follow-up)."""
    return _render(question, "badges", "", {})


def help_paragraph(question: Any) -> SafeString:
    return _render(question, "help", "", {})


def answer_options(question: Any, selected: Any) -> SafeString:
    """The radio group of a choice question with `selected` checked (none when it is not one
    of the options: a cleared or an invalid posted value)."""
    rows = options(question, selected)
    checked = next((str(i) for i, row in enumerate(rows) if row["checked"]), "")
    return _render(question, "options", checked, {"options": rows})


def options(question: Any, selected: Any) -> list[dict[str, Any]]:
    """Answer options with their anchor labels, plus N/A where the question allows it."""
    rows = [
        {
            "value": o["value"],
            "label": o["label"],
            "number": o["value"] if question.type == "scale" else "",
            "checked": selected == o["value"],
            "na": False,
        }
        for o in question.options
    ]
    if question.allow_na:
        rows.append(
            {
                "value": NA,
                "label": "Not applicable",
                "number": "",
                "checked": selected == NA,
                "na": True,
            }
        )
    return rows
