"""Creating items from the action plan and changing them, with the items' own audit trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from actions.models import ActionItem, ActionItemEvent
from actions.services import (
    PlanItemError,
    StaleItem,
    action_item_update,
    action_items_create_from_plan,
)
from tests.actions.helpers import submitted_round

pytestmark = pytest.mark.django_db


def test_it_tracks_every_recommendation_in_plan_order_with_the_priority_from_scoring(world):
    assessment = submitted_round(world)
    items = action_items_create_from_plan(assessment=assessment, user=world.alice)
    # By hand (PRODUCT.md, "Priority"): governance scores 41.7 (gap 18.3), operations 41.7
    # (weight 2, target 70: gap 28.3). ops.q01: 2/3 * 1/2 * 2 * 1.283 = 0.8553;
    # gov.q02 (critical): 1 * 1/3 * 1 * 1.183 * 2 = 0.7887; ops.q02: 1/2 * 1/2 * 2 * 1.283
    # = 0.6415; gov.q03: 3/4 * 1/3 * 1.183 = 0.2958 (half up).
    assert [(i.question_key, i.priority) for i in items] == [
        ("ops.q01", Decimal("0.8553")),
        ("gov.q02", Decimal("0.7887")),
        ("ops.q02", Decimal("0.6415")),
        ("gov.q03", Decimal("0.2958")),
    ]
    first = ActionItem.objects.get(question_key="gov.q02")
    assert first.title == "Sign a BAA before any PHI reaches the vendor."
    assert first.domain_key == "gov"
    assert first.domain_title == "Governance"
    assert first.weakness == "No (0 of 1)"
    assert first.status == ActionItem.Status.OPEN
    assert first.owner is None
    assert first.site == world.clinic
    assert first.organisation == world.org
    assert ActionItemEvent.objects.filter(action="created").count() == 4


def test_it_tracks_one_recommendation_or_the_first_n(world):
    assessment = submitted_round(world)
    one = action_items_create_from_plan(assessment=assessment, user=world.alice, keys=["ops.q01"])
    assert [i.question_key for i in one] == ["ops.q01"]
    two = action_items_create_from_plan(assessment=assessment, user=world.alice, limit=2)
    # The top two are ops.q01 (already tracked) and gov.q02.
    assert [i.question_key for i in two] == ["gov.q02"]


def test_a_second_click_adds_nothing(world):
    assessment = submitted_round(world)
    action_items_create_from_plan(assessment=assessment, user=world.alice)
    again = action_items_create_from_plan(assessment=assessment, user=world.alice)
    assert again == []
    assert ActionItem.objects.count() == 4


def test_an_open_item_of_an_earlier_round_is_not_tracked_twice(world):
    first = submitted_round(world)
    action_items_create_from_plan(assessment=first, user=world.alice, keys=["gov.q03"])
    later = submitted_round(world, label="2026 spring", day=datetime.date(2026, 3, 1))
    created = action_items_create_from_plan(assessment=later, user=world.alice)
    assert "gov.q03" not in [i.question_key for i in created]
    assert ActionItem.objects.filter(question_key="gov.q03").count() == 1


def test_a_key_outside_the_plan_is_refused_and_nothing_is_created(world):
    assessment = submitted_round(world)
    with pytest.raises(PlanItemError, match="gov.q01"):
        action_items_create_from_plan(
            assessment=assessment, user=world.alice, keys=["gov.q03", "gov.q01"]
        )
    assert ActionItem.objects.count() == 0


def test_every_change_is_in_the_trail_with_who_old_and_new(world):
    item = action_items_create_from_plan(
        assessment=submitted_round(world), user=world.alice, keys=["gov.q03"]
    )[0]
    changed = action_item_update(
        item=item,
        user=world.alice,
        changes={
            "owner": world.sam,
            "due_date": datetime.date(2026, 5, 1),
            "status": "in_progress",
        },
        revision=item.revision,
    )
    assert changed == ["owner", "due_date", "status"]
    events = {e.field: e for e in ActionItemEvent.objects.filter(action="changed")}
    assert events["owner"].old is None
    assert events["owner"].new == {"id": world.sam.pk, "name": "Sam Site"}
    assert events["due_date"].new == "2026-05-01"
    assert (events["status"].old, events["status"].new) == ("open", "in_progress")
    assert events["status"].new_display == "In progress"
    assert all(e.user == world.alice for e in events.values())
    assert item.revision == 2


def test_done_is_stamped_and_cleared_when_reopened(world):
    item = action_items_create_from_plan(
        assessment=submitted_round(world), user=world.alice, keys=["gov.q03"]
    )[0]
    action_item_update(item=item, user=world.sam, changes={"status": "done"}, revision=1)
    assert item.done_at is not None
    action_item_update(item=item, user=world.sam, changes={"status": "open"}, revision=2)
    assert item.done_at is None


def test_an_edit_from_an_old_revision_changes_nothing(world):
    item = action_items_create_from_plan(
        assessment=submitted_round(world), user=world.alice, keys=["gov.q03"]
    )[0]
    action_item_update(item=item, user=world.alice, changes={"notes": "first"}, revision=1)
    with pytest.raises(StaleItem):
        action_item_update(item=item, user=world.sam, changes={"notes": "second"}, revision=1)
    item.refresh_from_db()
    assert item.notes == "first"
    assert ActionItemEvent.objects.filter(field="notes").count() == 1


def test_an_unchanged_save_writes_nothing(world):
    item = action_items_create_from_plan(
        assessment=submitted_round(world), user=world.alice, keys=["gov.q03"]
    )[0]
    assert action_item_update(item=item, user=world.alice, changes={"notes": ""}, revision=1) == []
    item.refresh_from_db()
    assert item.revision == 1
