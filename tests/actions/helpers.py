"""Action-item test data on the shared `world` personas."""

from __future__ import annotations

import datetime

from actions.models import ActionItem
from actions.services import action_items_create_from_plan
from assessments.models import Assessment, Site
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories
from tests.conftest import World

# An answer set whose action plan has four recommendations (see test_services for their
# priorities worked out by hand): ops.q01, gov.q02 (critical "No"), ops.q02, gov.q03.
ANSWERS = {"gov.q01": "yes", "gov.q02": "no", "gov.q03": "1", "ops.q01": "some", "ops.q02": "2"}


def submitted_round(
    world: World,
    site: Site | None = None,
    *,
    label: str = "2025 autumn",
    day: datetime.date = datetime.date(2025, 10, 1),
    answers: dict[str, str] | None = None,
) -> Assessment:
    assessment = factories.make_assessment(
        site or world.clinic, world.instrument, round_label=label, round_date=day
    )
    answers_save(
        assessment=assessment,
        user=world.alice,
        changes=[AnswerChange(key=k, value=v) for k, v in (answers or ANSWERS).items()],
    )
    assessment_submit(assessment=assessment, user=world.alice)
    assessment.refresh_from_db()
    return assessment


def tracked(world: World, site: Site | None = None, **kwargs: object) -> list[ActionItem]:
    """Every recommendation of a submitted round at `site`, tracked."""
    assessment = submitted_round(world, site, **kwargs)  # type: ignore[arg-type]
    return action_items_create_from_plan(assessment=assessment, user=world.alice)
