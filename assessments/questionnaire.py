"""Finding your way in a questionnaire: what is answered, what is left, where to continue.

Counting here is about the pages, not the score: every visible question a person can answer
counts, free text included, so a domain with eight questions on the page says "4/8". The
scoring rules (completeness, provisional) stay in scoring.py and count scored items only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assessments.caching import cache_get, cache_set
from assessments.carry_over import answer_label
from assessments.content import InstrumentContent, instrument_content, loaded_content, version_key
from assessments.display import name_of
from assessments.models import Answer, Assessment, Instrument, Question
from assessments.scoring import AssessmentResult


def is_answered(values: Mapping[str, str], key: str) -> bool:
    # A blank or whitespace-only free-text answer is no answer.
    return bool(values.get(key, "").strip())


def open_questions(
    content: InstrumentContent, result: AssessmentResult, domain_key: str
) -> list[Question]:
    """The visible questions of a domain, free text included, in page order."""
    return _shown(content, result.visible, domain_key)


def _shown(content: InstrumentContent, visible: frozenset[str], domain_key: str) -> list[Question]:
    return [q for q in content.questions_of(domain_key) if q.key in visible]


def progress_rows(
    content: InstrumentContent, result: AssessmentResult, values: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per domain: visible questions answered / visible questions, for the navigation, with
    the domain's result."""
    rows = navigation_rows(content, result.visible, values)
    for row, dr in zip(rows, result.domains, strict=True):
        row["result"] = dr
    return rows


def navigation_rows(
    content: InstrumentContent, visible: frozenset[str], values: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per domain: visible questions answered / visible questions (`visible` as scoring
    finds it: AssessmentResult.visible, or AnswerCounts.visible where nothing is scored)."""
    rows = []
    for domain in content.domains:
        shown = _shown(content, visible, domain.key)
        answered = sum(1 for q in shown if is_answered(values, q.key))
        total = len(shown)
        rows.append(
            {
                "domain": domain,
                "key": domain.key,
                "answered": answered,
                "total": total,
                "percent": answered_percent(answered, total),
                "complete": answered == total,
            }
        )
    return rows


def answered_percent(answered: int, total: int) -> int:
    """Per cent answered, rounded down (nothing to answer is all answered)."""
    return int(100 * answered / total) if total else 100


def left_per_domain(
    content: InstrumentContent,
    result: AssessmentResult,
    values: Mapping[str, str],
    *,
    scored_only: bool = False,
) -> list[tuple[Any, list[Question]]]:
    """(domain, its unanswered visible questions) for each domain with something left;
    `scored_only` for what a consensus needs (free text has none)."""
    left = []
    for domain in content.domains:
        missing = [
            q
            for q in open_questions(content, result, domain.key)
            if not is_answered(values, q.key) and (q.scored or not scored_only)
        ]
        if missing:
            left.append((domain, missing))
    return left


@dataclass(frozen=True)
class Resume:
    domain_key: str
    question_key: str | None  # None: nothing left to answer


def resume_point(
    content: InstrumentContent,
    result: AssessmentResult,
    values: Mapping[str, str],
    last_domain_key: str,
) -> Resume:
    """Where "Continue" goes: the first unanswered question from the domain last worked on
    onwards, then from the start; with nothing left, the domain last worked on."""
    keys = [d.key for d in content.domains]
    start = keys.index(last_domain_key) if last_domain_key in keys else 0
    for domain_key in keys[start:] + keys[:start]:
        for question in open_questions(content, result, domain_key):
            if not is_answered(values, question.key):
                return Resume(domain_key, question.key)
    return Resume(keys[start], None)


def _label(key: str, kind: str, options: Any, value: str) -> str:
    if kind == Question.Type.TEXT:
        return value
    return answer_label(Question(key=key, type=kind, options=options or []), value)


@dataclass(frozen=True)
class Shown:
    """A field of a question card on a GET: the value shown, and no errors (the template reads
    it as it reads a form's BoundField)."""

    value: Any
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShownAnswer:
    """An answer as the domain page shows it: read as values, not as a model instance."""

    pk: int
    question_id: int
    value: str
    comment: str
    evidence: str
    revision: int
    carried_over: bool
    answered_at: datetime.datetime | None
    answered_by_name: str  # full name, else username; "" when nobody is recorded


@dataclass(frozen=True)
class DomainAnswers:
    values: dict[str, str]  # question key -> value: every answer of the assessment (scoring)
    shown: dict[int, ShownAnswer]  # question id -> answer: the domain's questions
    last_round: dict[str, str]  # question key -> last round's answer as read: the domain's


def domain_answers(assessment: Assessment, questions: Iterable[Question]) -> DomainAnswers:
    """What the domain page needs of the answers, in one query (the page's query budget has
    room for one): every value of the assessment for scoring and progress, the details of the
    domain's answers, and last round's answers to the domain's questions as people read them.
    Values, not model instances: ~270 Answer and User objects were a fifth of the page.

    Last round's answer is labelled by the options of the question it answered: the domain's
    own question when last round used the same instrument version (no options read), else
    that version's question, from memory once warm (`_previous_version_options`). Asking for
    the options in this query (a CASE on the question's options) cost every page ~0.9 ms to
    compile, 40 % of this function."""
    questions = list(questions)
    by_id = {q.pk: q for q in questions}
    wanted = {q.key for q in questions}
    previous = assessment.previous_id
    rows = Answer.objects.filter(
        assessment_id__in=[assessment.pk, previous] if previous else [assessment.pk]
    ).values_list(
        "assessment_id",
        "question_id",
        "question__key",
        "question__type",
        "value",
        "comment",
        "evidence",
        "revision",
        "carried_over",
        "answered_at",
        "answered_by__first_name",
        "answered_by__last_name",
        "answered_by__username",
        "pk",
    )
    values: dict[str, str] = {}
    shown: dict[int, ShownAnswer] = {}
    last_round: dict[str, str] = {}
    other_version: dict[int, tuple[str, str, str]] = {}  # question id -> key, type, value
    for (
        assessment_id,
        question_id,
        key,
        kind,
        value,
        comment,
        evidence,
        revision,
        carried_over,
        answered_at,
        first,
        last,
        username,
        pk,
    ) in rows:
        if assessment_id != assessment.pk:
            if value and key in wanted:
                question = by_id.get(question_id)
                if question is None:
                    other_version[question_id] = (key, kind, value)
                else:
                    last_round[key] = _label(key, kind, question.options, value)
            continue
        values[key] = value
        if question_id in by_id:
            name = name_of(first, last, username)
            shown[question_id] = ShownAnswer(
                pk=pk,
                question_id=question_id,
                value=value,
                comment=comment,
                evidence=evidence,
                revision=revision,
                carried_over=carried_over,
                answered_at=answered_at,
                answered_by_name=name,
            )
    if other_version:
        options = _previous_version_options(previous, other_version)
        for question_id, (key, kind, value) in other_version.items():
            last_round[key] = _label(key, kind, options.get(question_id), value)
    return DomainAnswers(values=values, shown=shown, last_round=last_round)


PREVIOUS_VERSION_SECONDS = 24 * 3600


def _previous_version_options(previous_id: int | None, ids: Iterable[int]) -> dict[int, Any]:
    """The options of questions `ids` of the previous round's version, by question id.

    From that version's questions in memory (instrument_content): the previous round's
    version is remembered in Django's cache, so a warm page asks the database nothing. A
    question not found there (the previous round moved to another version since) is read.
    """
    ids = set(ids)
    cache_key = f"previous-version:{previous_id}"
    remembered = cache_get(cache_key)
    content = loaded_content(tuple(remembered)) if isinstance(remembered, tuple) else None
    if content is None:
        instrument = Instrument.objects.filter(assessments=previous_id).first()
        if instrument is None:
            return {}
        content = instrument_content(instrument)
        cache_set(cache_key, version_key(instrument), PREVIOUS_VERSION_SECONDS)
    found = {q.pk: q.options for q in content.questions if q.pk in ids}
    missing = ids - found.keys()
    if missing:
        found.update(Question.objects.filter(pk__in=missing).values_list("pk", "options"))
    return found


def previous_answers(assessment: Assessment) -> dict[str, str]:
    """Question key -> last round's answer as people read it (1 query; none without a
    previous round). Labels come from the previous round's own question, whatever version."""
    if not assessment.previous_id:
        return {}
    rows = Answer.objects.filter(assessment_id=assessment.previous_id).values_list(
        "question__key", "question__type", "question__options", "value"
    )
    return {key: _label(key, kind, options, value) for key, kind, options, value in rows if value}


def overall_progress(result: AssessmentResult) -> int:
    """Per cent of the visible scored questions answered (N/A included), for progress bars."""
    total = sum(d.visible_scored for d in result.domains)
    answered = sum(d.answered for d in result.domains)
    return answered_percent(answered, total)
