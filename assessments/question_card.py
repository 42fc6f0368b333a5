"""A question card of the domain page, written in Python.

The page shows up to ~20 cards; drawn by a template, each was ~70 nodes (with its evidence
files), most of the page's time (issue 13). The parts that depend only on the question come
from question_html.py (rendered once per process); this module adds, per request, what
depends on the answer and the person, escaping every value it writes as a template would. Two
rare parts stay templates, drawn only when a card has them: an edit conflict
(_question_conflict.html) and an action item (actions/_question_item.html).

Used by the page and by an autosave that redraws a card (both through
templates/assessments/_question.html).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language

from assessments.scoring import NA

FILLED_IN = ' <span class="visually-hidden">(filled in)</span>✓'


def text(value: Any) -> str:
    """`value` as {{ value }} writes it: localized, escaped. Strings and whole numbers, most of
    a card, take a short way to the same result (django.utils.html.escape is html.escape)."""
    if isinstance(value, str):
        return value if isinstance(value, SafeData) else html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(formats.localize(template_localtime(value)))


# (local time, format, language) -> text: the same few answer times are written on every
# request of a page, and Django's date formatting is ~30 µs a time.
_dates: dict[tuple[Any, str, str | None], str] = {}


def date(value: Any, format: str) -> str:
    """`value` as {{ value|date:format }} writes it ("" for no date)."""
    if value in (None, ""):
        return ""
    local = template_localtime(value)
    key = (local, format, get_language())
    written = _dates.get(key)
    if written is None:
        if len(_dates) >= 10_000:
            _dates.clear()
        written = _dates[key] = text(formats.date_format(local, format))
    return written


def truncated(value: str, length: int) -> str:
    """|truncatechars:length (which returns a short ASCII text as it is)."""
    if len(value) <= length and value.isascii():
        return value
    return Truncator(value).chars(length)


def _value(field: Any) -> Any:
    """A field's value, from a BoundField (a method) or a Shown (an attribute)."""
    value = field.value
    return value() if callable(value) else value


def _or(value: Any, default: Any) -> Any:
    """|default_if_none"""
    return default if value is None else value


def card(row: Mapping[str, Any], *, can_edit: bool, assessment: Any) -> SafeString:
    """The card of one question row (assessments/questionnaire_views.py `_question_rows`)."""
    # Imported here: evidence builds on assessments, never the reverse at import time.
    from evidence.questionnaire import files_block

    q = row["question"]
    key = text(q.key)
    field, comment, evidence, rev = row["field"], row["comment"], row["evidence"], row["rev"]
    answer = row.get("answer")
    conflict = row.get("conflict")
    comment_value, evidence_value = _value(comment), _value(evidence)

    classes = "question-card"
    if row.get("done"):
        classes += " is-answered"
    if row.get("flagged"):
        classes += " is-flagged"
    if conflict:
        classes += " has-conflict"
    if field.errors or comment.errors or evidence.errors or rev.errors:
        classes += " has-error"
    show_if = (
        f'data-show-if="{text(q.show_if_question)}" '
        f'data-show-if-values="{text(row["show_if_values"])}"'
        if q.show_if_question
        else ""
    )

    out = [
        f'<div class="{classes}"\n     id="q-{key}" data-key="{key}"\n     {show_if}\n     '
        f"{'' if row.get('visible') else 'hidden'}>\n"
        f'  <fieldset{"" if can_edit else " disabled"} aria-describedby="{key}-help">\n'
        f"    {row['legend']}\n"
        '    <div class="mb-2">\n'
        f"      {row['fixed_badges']}\n      "
    ]
    if answer and answer.carried_over:
        out.append('<span class="badge badge-carried ms-1">Carried over from last round</span>')
    out.append(
        '\n      <span class="badge badge-review ms-1" data-review-badge'
        f"{'' if row.get('flagged') else ' hidden'}>Marked for review</span>\n      "
    )
    mark = row.get("version_mark")
    if mark:
        out.append(
            f'<span class="badge badge-version ms-1" data-version-mark="{text(mark.kind)}">'
            f"{text(mark.label)}</span>"
        )
        if mark.kind == "changed":
            out.append(
                f'<span class="small text-body-secondary ms-1">{text(mark.reason_label)} since '
                f"version {text(mark.from_version)}: answer it again.</span>"
            )
    out.append("\n      ")
    action_item = row.get("action_item")
    if action_item and (not callable(action_item) or action_item()):
        out.append(
            get_template("actions/_question_item.html").render({"assessment": assessment, "q": q})
        )
    out.append(f"\n    </div>\n    {row['help']}\n    ")
    if row.get("last_round"):
        out.append(
            '<p class="last-round" data-last-round>Last round: <span class="fw-semibold">'
            f"{text(truncated(row['last_round'], 200))}</span></p>"
        )
    out.append("\n\n    \n")
    if conflict:
        out.append(
            get_template("assessments/_question_conflict.html").render(
                {"row": row, "q": q, "key": q.key, "na": NA}
            )
        )
        out.append("    \n")
    out.append("\n    \n      ")
    if q.type == "text":
        out.append(
            f'<label class="form-label visually-hidden" for="{key}-input">Answer</label>\n'
            f'      <textarea class="form-control mb-2{" is-invalid" if field.errors else ""}" '
            f'name="{key}" id="{key}-input" rows="3" maxlength="5000" '
            f'aria-describedby="{key}-help">{text(_or(_value(field), ""))}</textarea>'
        )
    else:
        out.append(row["answer_options"])
    out.append("\n    \n    ")
    for error in field.errors:
        out.append(f'<div class="text-danger small mb-2" id="{key}-error">{text(error)}</div>')
    out.append("\n    ")
    for error in rev.errors:
        out.append(f'<div class="text-danger small mb-2">{text(error)}</div>')
    notes = comment_value or evidence_value
    out.append(
        '\n\n    <details class="question-notes"'
        f"{' open' if notes or comment.errors or evidence.errors else ''}>\n"
        f"      <summary>Comment and evidence{FILLED_IN if notes else ''}</summary>\n"
        '      <div class="row g-2 mt-1">\n'
        '        <div class="col-md-6">\n'
        f'          <label class="form-label small" for="{key}-comment">Comment</label>\n'
        '          <textarea class="form-control form-control-sm'
        f'{" is-invalid" if comment.errors else ""}" name="{key}--comment" id="{key}-comment" '
        f'rows="2" maxlength="5000">{text(_or(comment_value, ""))}</textarea>\n          '
    )
    for error in comment.errors:
        out.append(f'<div class="invalid-feedback d-block">{text(error)}</div>')
    out.append(
        "\n        </div>\n"
        '        <div class="col-md-6">\n'
        f'          <label class="form-label small" for="{key}-evidence">Evidence note</label>\n'
        '          <textarea class="form-control form-control-sm'
        f'{" is-invalid" if evidence.errors else ""}" name="{key}--evidence" '
        f'id="{key}-evidence" rows="2" maxlength="5000" '
        f'aria-describedby="{key}-evidence-help">{text(_or(evidence_value, ""))}</textarea>\n'
        f'          <div class="form-text" id="{key}-evidence-help">Where the proof lives: a '
        "policy, a contract, a training log…</div>\n          "
    )
    for error in evidence.errors:
        out.append(f'<div class="invalid-feedback d-block">{text(error)}</div>')
    out.append(
        "\n        </div>\n      </div>\n    </details>\n    "
        f"{files_block(row, can_edit=can_edit)}\n"
        f'    <input type="hidden" name="{key}--rev" value="{text(_or(_value(rev), 0))}">\n'
        f'    <input type="hidden" name="{key}--base" '
        f'value="{text(_or(_value(row["base"]), ""))}">\n'
        f'    <input type="hidden" name="{key}--version" value="{text(q.instrument_id)}">\n    '
    )
    if can_edit and row.get("review_url"):
        out.append(
            "\n      <button "
            'type="button" class="btn btn-link btn-sm review-toggle" '
            f'data-review-url="{text(row["review_url"])}" '
            f'aria-pressed="{"true" if row.get("flagged") else "false"}" hidden>'
            "Mark for review</button>\n    "
        )
    out.append("\n    ")
    if answer and answer.value:
        out.append(
            '\n      <p class="question-meta mt-2 mb-0">Last answered by '
            f"{text(row.get('answered_by') or 'someone')}, "
            f"{date(answer.answered_at, 'j M Y, H:i')}</p>\n    "
        )
    out.append("\n  </fieldset>\n</div>\n")
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
