"""Demo action items (issue 14): items in every state, some overdue, on three demo sites.

Run by `manage.py seed_demo` after the assessments exist. Due dates are relative to the day
of seeding, so a fresh demo always has overdue items and items due this week. A site that
has items already is left as it is (running it again changes nothing).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from actions.models import ActionItem
from actions.services import action_item_update, action_items_create_from_plan
from assessments.models import Assessment


@dataclass(frozen=True)
class DemoItem:
    rank: int  # place in the round's action plan, from 1
    owner: str  # username, "" for nobody yet
    due_in_days: int | None  # negative: overdue
    status: str
    notes: str = ""
    reason: str = ""


@dataclass(frozen=True)
class DemoPlan:
    site: str
    round_label: str
    items: tuple[DemoItem, ...]


CLINIC, ADMIN, CONSULTANT = (
    "clinic@riverbend.example",
    "admin@riverbend.example",
    "consultant@riverbend.example",
)
OPEN, IN_PROGRESS, DONE, WONT_DO = (str(s.value) for s in ActionItem.Status)

PLANS = (
    DemoPlan(
        "Eastside Community Clinic",
        "2025 autumn",
        (
            DemoItem(
                1,
                CLINIC,
                -12,
                IN_PROGRESS,
                "Draft policy with the practice manager; legal review booked.",
            ),
            DemoItem(2, CLINIC, 5, OPEN),
            DemoItem(3, ADMIN, -30, DONE, "Done at the January staff meeting."),
            DemoItem(4, "", None, OPEN),
            DemoItem(
                5,
                CLINIC,
                40,
                WONT_DO,
                reason="The vendor retired the feature; nothing to configure.",
            ),
        ),
    ),
    DemoPlan(
        "Pine Valley Rural Clinic",
        "2025 autumn",
        (
            DemoItem(1, ADMIN, -3, OPEN, "Waiting for the county's network upgrade."),
            DemoItem(2, ADMIN, 21, IN_PROGRESS),
            DemoItem(3, CONSULTANT, -60, DONE),
        ),
    ),
    DemoPlan(
        "Riverbend General Hospital",
        "2026 spring",
        (
            DemoItem(
                1,
                CONSULTANT,
                14,
                IN_PROGRESS,
                "Milestone 1: inventory of AI tools (done). Milestone 2: owners.",
            ),
            DemoItem(2, CONSULTANT, 2, OPEN),
            DemoItem(3, "", 60, OPEN),
        ),
    ),
)


def demo_actions_seed(*, today: datetime.date | None = None) -> int:
    """Create the demo's action items that are not there yet; returns how many."""
    today = today or timezone.localdate()
    users = {
        u.get_username(): u
        for u in get_user_model().objects.filter(username__in=[CLINIC, ADMIN, CONSULTANT])
    }
    admin = users.get(ADMIN)
    created = 0
    with transaction.atomic():
        for plan in PLANS:
            assessment = (
                Assessment.objects.select_related("site", "instrument")
                .filter(site__name=plan.site, round_label=plan.round_label)
                .first()
            )
            if (
                assessment is None
                or admin is None
                or ActionItem.objects.filter(site=assessment.site).exists()
            ):
                continue
            ranks = max(item.rank for item in plan.items)
            items = action_items_create_from_plan(assessment=assessment, user=admin, limit=ranks)
            by_rank = dict(enumerate(items, start=1))
            for demo in plan.items:
                item = by_rank.get(demo.rank)
                if item is None:
                    continue
                action_item_update(
                    item=item,
                    user=admin,
                    changes={
                        "owner": users.get(demo.owner),
                        "due_date": None
                        if demo.due_in_days is None
                        else today + datetime.timedelta(days=demo.due_in_days),
                        "status": demo.status,
                        "notes": demo.notes,
                        "reason": demo.reason,
                    },
                    revision=item.revision,
                )
                created += 1
    return created
