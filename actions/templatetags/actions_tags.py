"""Small hooks that let other apps' pages show action items without knowing the app:
the questionnaire (an item's status beside its question), the round-to-round view (items
done since the last round) and the results page (track the plan's recommendations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django import template

from actions import queries
from actions.models import ActionItem
from assessments import access
from assessments.models import Assessment, Membership

register = template.Library()

_CACHE = "_action_items_by_question"


@register.filter
def status_label(value: Any) -> str:
    """A status value as people read it ("in_progress" -> "In progress")."""
    return str(dict(ActionItem.Status.choices).get(value, value))


@register.simple_tag
def question_action_item(assessment: Assessment | None, key: str) -> ActionItem | None:
    """The newest item of the question at the assessment's site (any round). The items are
    read once per assessment object, so a page of questions costs one query."""
    if assessment is None:
        return None
    found = getattr(assessment, _CACHE, None)
    if found is None:
        found = queries.items_by_question(assessment, only=BADGE_FIELDS)
        setattr(assessment, _CACHE, found)
    return found.get(key)


# What the questionnaire's badge (actions/_question_item.html) and its blind rule
# (questionnaire_views._earlier_item) read of an item: the query compiles and loads no more.
BADGE_FIELDS = ("pk", "assessment_id", "status", "due_date")


@register.simple_tag
def done_since_previous(assessment: Assessment, previous: Assessment | None) -> list[ActionItem]:
    """Items of the site and instrument marked done since the previous round was taken."""
    since = queries.round_start(previous) if previous is not None else None
    return queries.done_between(assessment.site, assessment.instrument.slug, since)


@dataclass(frozen=True)
class PlanTrack:
    rank: int
    key: str
    number: str
    recommendation: str
    item: ActionItem | None


@dataclass(frozen=True)
class PlanTracking:
    rows: list[PlanTrack]
    can_track: bool
    untracked: int


class PlanStep(NamedTuple):
    """A recommendation of a report's action plan, as the tracking list shows it (kept with
    the results page's rendered parts, reports/report_page.py)."""

    rank: int
    key: str
    number: str
    recommendation: str


@register.simple_tag
def plan_tracking(
    assessment: Assessment, plan: Sequence[PlanStep], membership: Membership | None
) -> PlanTracking:
    """The plan's recommendations with the item tracking each (one query)."""
    items = queries.items_by_question(assessment)
    rows = [
        PlanTrack(
            rank=step.rank,
            key=step.key,
            number=step.number,
            recommendation=step.recommendation,
            item=items.get(step.key),
        )
        for step in plan
    ]
    # An old done or dropped item does not stop the recommendation being taken on again.
    for index, row in enumerate(rows):
        if (
            row.item is not None
            and not row.item.is_open
            and row.item.assessment_id != assessment.pk
        ):
            rows[index] = PlanTrack(row.rank, row.key, row.number, row.recommendation, None)
    can_track = membership is not None and access.allows(membership, "plan")
    if can_track and membership is not None and membership.role == Membership.Role.SITE_ADMIN:
        can_track = assessment.site_id in access.site_admin_site_ids(membership)
    return PlanTracking(
        rows=rows, can_track=can_track, untracked=sum(1 for r in rows if r.item is None)
    )


@register.simple_tag
def report_action_items(assessment: Assessment) -> list[Any]:
    """The gap report's "Action items" rows (reports/report_actions.py, shared with Word)."""
    from reports.report_actions import action_item_rows

    return list(action_item_rows(assessment))


@register.filter
def person(user: Any) -> str:
    """A person's name as every page writes it ("" for nobody)."""
    from assessments.display import display_name

    return display_name(user)
