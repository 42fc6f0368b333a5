"""Writes of action items, each with its entry in the items' own audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import ActionItem, ActionItemEvent, DigestPreference
from assessments.content import instrument_content
from assessments.display import display_name
from assessments.models import Assessment, Question
from assessments.results import assessment_results
from assessments.scoring import NA

# The fields an edit may change, in the order the trail lists them.
EDITABLE = ("title", "owner", "due_date", "status", "reason", "notes")
# What the owner may change whatever their role.
OWNER_FIELDS = ("status", "reason", "notes")


class PlanItemError(ValueError):
    """A request to track something that is not a recommendation of the plan."""


class StaleItem(Exception):
    """Someone else changed the item since the editor opened it."""

    def __init__(self, item: ActionItem) -> None:
        super().__init__("changed by someone else")
        self.item = item


@dataclass(frozen=True)
class PlanEntry:
    question: str
    domain: str
    priority: Decimal


def plan_entries(assessment: Assessment) -> list[PlanEntry]:
    """The assessment's action plan in report order (stored once submitted, else live)."""
    return [
        PlanEntry(
            question=str(entry["question"]),
            domain=str(entry["domain"]),
            priority=Decimal(str(entry["priority"])).quantize(Decimal("0.0001")),
        )
        for entry in assessment_results(assessment).data.get("action_plan", [])
    ]


def tracked_keys(assessment: Assessment, keys: Sequence[str]) -> set[str]:
    """Of `keys`, those already tracked: an item of this assessment, or an open item of the
    same site and instrument from another round (a recommendation is worked on once)."""
    return set(
        ActionItem.objects.filter(
            site_id=assessment.site_id,
            instrument_slug=assessment.instrument.slug,
            question_key__in=keys,
        )
        .filter(Q(assessment=assessment) | Q(status__in=ActionItem.OPEN_STATUSES))
        .values_list("question_key", flat=True)
    )


def _weakness(question: Question, value: str) -> str:
    """The answer that made the recommendation: "Partially in place (2 of 4)"."""
    if not value or value == NA:
        return ""
    scores = [option.get("score", 0) for option in question.options]
    for option in question.options:
        if option["value"] == value:
            top = max(scores) if scores else 0
            return f"{option['label']} ({option.get('score', 0)} of {top})"[:300]
    return value[:300]


@transaction.atomic
def action_items_create_from_plan(
    *,
    assessment: Assessment,
    user: User,
    keys: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[ActionItem]:
    """Items for recommendations of the assessment's action plan: the questions `keys`, else
    the first `limit` (top 10), else all. Recommendations already tracked are skipped, so a
    second click adds nothing. A key that is not in the plan is refused, nothing created."""
    plan = plan_entries(assessment)
    if keys is not None:
        in_plan = {entry.question for entry in plan}
        unknown = [key for key in keys if key not in in_plan]
        if unknown:
            raise PlanItemError(f"{unknown[0]!r} is not a recommendation of this action plan.")
        wanted = set(keys)
        plan = [entry for entry in plan if entry.question in wanted]
    elif limit is not None:
        plan = plan[:limit]
    already = tracked_keys(assessment, [entry.question for entry in plan])
    content = instrument_content(assessment.instrument)
    answers = dict(assessment.answers.values_list("question__key", "value"))
    now = timezone.now()
    items = []
    for entry in plan:
        if entry.question in already:
            continue
        question = content.by_key[entry.question]
        domain = content.domain(entry.domain)
        items.append(
            ActionItem(
                organisation_id=assessment.site.organisation_id,
                site_id=assessment.site_id,
                assessment=assessment,
                instrument_slug=assessment.instrument.slug,
                instrument_version=assessment.instrument.version,
                question_key=question.key,
                question_text=question.text,
                domain_key=entry.domain,
                domain_title=domain.title if domain else entry.domain,
                weakness=_weakness(question, answers.get(question.key, "")),
                title=question.recommendation or question.text,
                priority=entry.priority,
                created_by=user,
                created_at=now,
                updated_at=now,
            )
        )
    created = ActionItem.objects.bulk_create(items)
    ActionItemEvent.objects.bulk_create(
        ActionItemEvent(
            item=item,
            user=user,
            at=now,
            action=ActionItemEvent.Action.CREATED,
            new={"title": item.title, "assessment": assessment.round_label},
        )
        for item in created
    )
    return created


def _trail_value(field: str, value: Any) -> Any:
    """A value as the trail keeps it: people by name (and id), dates as ISO text."""
    if field == "owner":
        return None if value is None else {"id": value.pk, "name": display_name(value)}
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@transaction.atomic
def action_item_update(
    *,
    item: ActionItem,
    user: User,
    changes: Mapping[str, Any],
    revision: int,
) -> list[str]:
    """Apply `changes` (fields of EDITABLE) made from `revision`; returns the changed fields.

    Raises StaleItem, changing nothing, when the item moved on since that revision. Moving to
    done stamps `done_at` (what the round-to-round view lists); leaving done clears it.
    """
    current = ActionItem.objects.select_for_update().get(pk=item.pk)
    if current.revision != revision:
        raise StaleItem(current)
    now = timezone.now()
    changed = []
    events = []
    for field in EDITABLE:
        if field not in changes:
            continue
        old = getattr(current, field)
        new = changes[field]
        if field == "owner":
            if (old.pk if old else None) == (new.pk if new else None):
                continue
        elif old == new:
            continue
        setattr(current, field, new)
        changed.append(field)
        events.append(
            ActionItemEvent(
                item=current,
                user=user,
                at=now,
                action=ActionItemEvent.Action.CHANGED,
                field=field,
                old=_trail_value(field, old),
                new=_trail_value(field, new),
            )
        )
    if not changed:
        return []
    if "status" in changed:
        current.done_at = now if current.status == ActionItem.Status.DONE else None
    current.updated_at = now
    current.revision += 1
    current.save()
    ActionItemEvent.objects.bulk_create(events)
    item.refresh_from_db()
    return changed


@transaction.atomic
def digest_preference_set(*, user: User, enabled: bool) -> DigestPreference:
    preference, _ = DigestPreference.objects.update_or_create(
        user=user, defaults={"enabled": enabled, "updated_at": timezone.now()}
    )
    return preference
