"""Finding your way in a questionnaire: what is answered, what is left, where to continue.

Counting here is about the pages, not the score: every visible question a person can answer
counts, free text included, so a domain with eight questions on the page says "4/8". The
scoring rules (completeness, provisional) stay in scoring.py and count scored items only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from assessments.carry_over import answer_label
from assessments.content import InstrumentContent
from assessments.models import Answer, Assessment, Question
from assessments.scoring import AssessmentResult


def is_answered(values: Mapping[str, str], key: str) -> bool:
    # A blank or whitespace-only free-text answer is no answer.
    return bool(values.get(key, "").strip())


def open_questions(
    content: InstrumentContent, result: AssessmentResult, domain_key: str
) -> list[Question]:
    """The visible questions of a domain, free text included, in page order."""
    return [q for q in content.questions_of(domain_key) if q.key in result.visible]


def progress_rows(
    content: InstrumentContent, result: AssessmentResult, values: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per domain: visible questions answered / visible questions, for the navigation."""
    rows = []
    for domain, dr in zip(content.domains, result.domains, strict=True):
        shown = open_questions(content, result, domain.key)
        answered = sum(1 for q in shown if is_answered(values, q.key))
        total = len(shown)
        rows.append(
            {
                "domain": domain,
                "result": dr,
                "key": domain.key,
                "answered": answered,
                "total": total,
                "percent": int(100 * answered / total) if total else 100,
                "complete": answered == total,
            }
        )
    return rows


def left_per_domain(
    content: InstrumentContent, result: AssessmentResult, values: Mapping[str, str]
) -> list[tuple[Any, list[Question]]]:
    """(domain, its unanswered visible questions) for each domain with something left."""
    left = []
    for domain in content.domains:
        missing = [
            q for q in open_questions(content, result, domain.key) if not is_answered(values, q.key)
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


def answers_and_last_round(assessment: Assessment) -> tuple[dict[int, Answer], dict[str, str]]:
    """The assessment's answers by question id, and last round's answers as people read them
    (question key -> label), in one query: the domain page's query budget has room for one."""
    ids = [assessment.pk] + ([assessment.previous_id] if assessment.previous_id else [])
    rows = (
        Answer.objects.filter(assessment_id__in=ids)
        .select_related("answered_by")
        # Last round may be on another version: its own question's type and options label it.
        .annotate(
            shown_key=F("question__key"),
            shown_type=F("question__type"),
            shown_options=F("question__options"),
        )
    )
    answers: dict[int, Answer] = {}
    last_round: dict[str, str] = {}
    for answer in rows:
        if answer.assessment_id == assessment.pk:
            answers[answer.question_id] = answer
        elif answer.value:
            last_round[answer.shown_key] = _label(
                answer.shown_key, answer.shown_type, answer.shown_options, answer.value
            )
    return answers, last_round


def previous_answers(assessment: Assessment) -> dict[str, str]:
    """Question key -> last round's answer as people read it (1 query; none without a
    previous round). Labels come from the previous round's own question, whatever version."""
    if not assessment.previous_id:
        return {}
    rows = Answer.objects.filter(assessment_id=assessment.previous_id).values_list(
        "question__key", "question__type", "question__options", "value"
    )
    return {key: _label(key, kind, options, value) for key, kind, options, value in rows if value}
