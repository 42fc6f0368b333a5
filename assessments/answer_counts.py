"""Progress without a score: which questions are asked and how many are answered, by the
rules of scoring.py (its `visible_keys` and `_answer_value`, the one home of both), for pages
and autosaves that show progress only. A property test holds it to score_assessment's counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assessments.scoring import InstrumentSpec, _answer_value, visible_keys


@dataclass(frozen=True)
class AnswerCounts:
    """How far the answers go, without scoring them (see `count_answers`)."""

    visible: frozenset[str]
    answered: int  # visible scored items answered, N/A included, as DomainScore counts them
    visible_scored: int


def count_answers(spec: InstrumentSpec, answers: Mapping[str, str]) -> AnswerCounts:
    """The visible questions, and the visible scored items answered (N/A included) of all,
    by the rules score_assessment counts them with, for what shows progress but no score
    (an autosave's answer): a tenth of the work of scoring."""
    visible = visible_keys(spec, answers)
    answered = total = 0
    for question in spec.questions:
        if question.scored and question.key in visible:
            total += 1
            if _answer_value(question, answers.get(question.key)) is not None:
                answered += 1
    return AnswerCounts(visible=visible, answered=answered, visible_scored=total)
