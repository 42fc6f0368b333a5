"""Whether independent respondents agree on a question (issue 15): pure rules, no database.

A disagreement is flagged where two answers given to the same question are
- on a scale: two or more scale points apart (positions in the scale, not labels);
- yes against no;
- N/A against an answer (any type);
- on a choice: options whose scores are more than half the question's score range apart.
Free-text answers are never compared except for N/A against an answer. Unanswered is not an
answer: it neither agrees nor disagrees. A follow-up (`show_if`) question is compared only among
the respondents whose own answers showed it (`question_agreements`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from assessments.scoring import NA, InstrumentSpec, QuestionSpec, normalised_score, visible_keys

_HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Agreement:
    """How the answers given to one question compare."""

    answered: int  # how many respondents gave an answer (N/A included)
    disagree: bool
    # Lowest and highest normalised score among scored answers (N/A left out); None without any.
    spread: tuple[Fraction, Fraction] | None
    # The answer everyone gave, where at least one answered and all gave the same one.
    unanimous: str | None


def _counts(question: QuestionSpec, value: str) -> bool:
    if value == NA:
        return question.allow_na
    if not question.scored:
        return True
    return any(option.value == value for option in question.options)


def _pair_disagrees(question: QuestionSpec, a: str, b: str) -> bool:
    if a == b:
        return False
    if NA in (a, b):
        return True
    if question.type == "yes_no":
        return True
    if question.type == "scale":
        positions = [option.value for option in question.options]
        return abs(positions.index(a) - positions.index(b)) >= 2
    if question.type == "choice":
        scores = [option.score for option in question.options]
        spread = max(scores) - min(scores)
        score_a = next(o.score for o in question.options if o.value == a)
        score_b = next(o.score for o in question.options if o.value == b)
        return spread > 0 and abs(score_a - score_b) > spread * _HALF
    return False  # free text: different words are not a disagreement


def agreement(question: QuestionSpec, values: Sequence[str | None]) -> Agreement:
    """Compare the answers of the respondents who saw the question ("" or None: unanswered;
    a value that is not one of the options counts as unanswered, as in scoring)."""
    given = [v for v in values if v and _counts(question, v)]
    disagree = any(_pair_disagrees(question, a, b) for a, b in combinations(set(given), 2))
    scores = [s for v in given if v != NA and (s := normalised_score(question, v)) is not None]
    return Agreement(
        answered=len(given),
        disagree=disagree,
        spread=(min(scores), max(scores)) if scores else None,
        unanimous=given[0] if given and len(set(given)) == 1 else None,
    )


def question_agreements(
    spec: InstrumentSpec, respondents: Sequence[Mapping[str, str]], domain_key: str | None = None
) -> dict[str, Agreement]:
    """Per question key (of one domain, or all), the agreement among the respondents' answers.
    Each respondent's own answers decide which follow-up questions they saw."""
    seen = [visible_keys(spec, answers) for answers in respondents]
    return {
        question.key: agreement(
            question,
            [
                answers.get(question.key)
                for answers, visible in zip(respondents, seen, strict=True)
                if question.key in visible
            ],
        )
        for question in spec.questions
        if domain_key is None or question.domain == domain_key
    }
