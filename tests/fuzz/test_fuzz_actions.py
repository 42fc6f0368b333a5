"""Fuzz the action item forms: an item's edit, tracking the plan, the list's query string and
the digest setting. No input gives a 500, and only a valid form changes anything."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from actions.models import ActionItem, ActionItemEvent, DigestPreference
from actions.services import action_items_create_from_plan
from respondents.models import ReminderPreference
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    assessment_with_work,
    form_data,
    post_form,
    rolled_back,
    signed_in,
    values,
)

pytestmark = pytest.mark.django_db

FIELDS = ["title", "owner", "due_date", "status", "reason", "notes", "revision"]


def item_state() -> list:
    return [
        list(
            ActionItem.objects.order_by("pk").values_list(
                "pk", "title", "owner_id", "due_date", "status", "reason", "notes", "revision"
            )
        ),
        ActionItemEvent.objects.count(),
        list(DigestPreference.objects.values_list("user_id", "enabled")),
    ]


@pytest.fixture
def plan_item(world):
    """An item of a submitted assessment's plan and the state it starts from: made once per
    test, since every example runs in a savepoint rolled back to it."""
    assessment = assessment_with_work(world, submitted=True)
    return action_items_create_from_plan(assessment=assessment, user=world.alice)[0], item_state()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_editing_an_item(world, plan_item, data, urlencoded):
    posted = data.draw(form_data(FIELDS))
    if data.draw(st.booleans()):
        posted["revision"] = "1"
        posted["status"] = data.draw(st.sampled_from(["open", "done", "wont_do", "x"]))
    user = data.draw(st.sampled_from([world.alice, world.sam, world.carla, world.victor]))
    item, before = plan_item
    with rolled_back():
        response = post_form(
            signed_in(user), reverse("actions:item", args=[item.pk]), posted, urlencoded
        )
        assert response.status_code < 500
        if response.status_code != 302 or user == world.victor:
            assert item_state() == before


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_tracking_the_plan(world, data, urlencoded):
    posted = data.draw(form_data(["question", "scope"]))
    with rolled_back():
        assessment = assessment_with_work(world, submitted=True)
        plan = [e["question"] for e in assessment.results["action_plan"]]
        response = post_form(
            signed_in(world.sam), reverse("actions:track", args=[assessment.pk]), posted, urlencoded
        )
        assert response.status_code < 500
        keys = set(ActionItem.objects.values_list("question_key", flat=True))
        assert keys <= set(plan)
        if posted.get("question") and posted["question"] not in plan:
            assert keys == set()


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["site", "domain", "owner", "status", "overdue", "sort", "page", "x"]),
        values(),
        max_size=6,
    )
)
def test_fuzz_the_list_query_string(world, query):
    client = signed_in(world.sam)
    for url in (
        reverse("actions:organisation", args=[world.org.slug]),
        reverse("actions:site", args=[world.clinic.pk]),
        reverse("actions:export-csv", args=[world.org.slug]),
    ):
        response = client.get(url, query)
        assert response.status_code == 200, (url, query)


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_notification_choices(world, data, urlencoded):
    posted = data.draw(form_data(["digest", "reminders"]))
    with rolled_back():
        response = post_form(
            signed_in(world.victor), reverse("accounts:notifications"), posted, urlencoded
        )
        assert response.status_code == 302
        # A checkbox's value as browsers send it: absent is off, "false" too (Django's rule).
        for model, field in ((DigestPreference, "digest"), (ReminderPreference, "reminders")):
            preference = model.objects.get(user=world.victor)
            assert preference.enabled == (posted.get(field, "").lower() not in ("", "false"))
