"""The demo has action items in every state, some overdue, and seeding twice adds none."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from actions.models import ActionItem

pytestmark = pytest.mark.django_db


def test_the_demo_gets_items_in_every_state_some_overdue():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo action items: 11 created." in out.getvalue()
    statuses = set(ActionItem.objects.values_list("status", flat=True))
    assert statuses == {"open", "in_progress", "done", "wont_do"}
    overdue = [item for item in ActionItem.objects.all() if item.is_overdue()]
    assert len(overdue) == 2  # Eastside's first (in progress) and Pine Valley's first
    assert ActionItem.objects.filter(owner__username="clinic@riverbend.example").count() == 3
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "action items" not in again.getvalue()
    assert ActionItem.objects.count() == 11
