"""Shared data for the reports tests: a hand-scored assessment of the small instrument.

The answers below, scored by hand from PRODUCT.md ("Scoring"):

- gov (weight 1, target 60): gov.q01 yes (s=1), gov.q02 no (critical, s=0: a blocker),
  gov.q03 "3" (s=3/4), gov.q04 free text (not scored).
  Score 100 * (1 + 0 + 3/4) / 3 = 58.33 -> 58.3; level 3 capped at 2; completeness 100.0;
  gap 60 - 58.3 = 1.7.
- ops (weight 2, target 70): ops.q01 "some" (s=1/3), ops.q02 unanswered.
  Score 33.3; level 2; completeness 50.0; gap 36.7.
- Overall (1 * 58.3 + 2 * 33.3) / 3 = 41.63 -> 41.6, level 3; 4 of 5 answered = 80.0 %, so
  not provisional; a blocker, so "Not ready".
- Priorities: ops.q01 (2/3) * 1 * 2 * 1.367 = 1.8227; gov.q02 1 * (1/3) * 1 * 1.017 * 2
  = 0.6780; gov.q03 (1/4) * (1/3) * 1.017 = 0.0848. Still to answer: ops.q02.
"""

from __future__ import annotations

from typing import Any

import pytest

from assessments.models import Answer, Assessment, Question
from reports import chart_svg
from tests import factories
from tests.conftest import World, required

HAND_ANSWERS = {
    "gov.q01": "yes",
    "gov.q02": "no",
    "gov.q03": "3",
    "gov.q04": "ChatGPT for letters",
    "ops.q01": "some",
}


def give_answers(assessment: Assessment, answers: dict[str, str], **extra: Any) -> None:
    """Store answers directly (the services are tested elsewhere) and bump the revision."""
    questions = {q.key: q for q in Question.objects.filter(instrument=assessment.instrument)}
    for key, value in answers.items():
        Answer.objects.update_or_create(
            assessment=assessment,
            question=questions[key],
            defaults={"value": value, **extra},
        )
    Assessment.objects.filter(pk=assessment.pk).update(revision=assessment.revision + 1)
    assessment.refresh_from_db()


@pytest.fixture
def scored(world: World) -> Assessment:
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS)
    return Assessment.objects.with_context().get(pk=assessment.pk)


@pytest.fixture
def chromium() -> str:
    """The browser kaleido drives. Skips on a developer machine without one; fails in CI."""
    return required(
        chart_svg.find_chromium(),
        "No Chromium found (apt-get install chromium-headless-shell or chromium, or set "
        "CHROMIUM_PATH)",
    )
