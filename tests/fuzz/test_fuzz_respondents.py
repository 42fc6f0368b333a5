"""Fuzz the assignment forms (issue 15): assigning a domain, removing an assignment, the
reminder choice. No input gives a 500, saved answers are never touched, and only a valid
form by a coordinator changes assignments."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from respondents.models import Assignment, AssignmentEvent
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    answer_state,
    assessment_with_work,
    form_data,
    post_form,
    rolled_back,
    signed_in,
)

pytestmark = pytest.mark.django_db

FIELDS = ["domain", "respondent", "due_date", "remove"]


def assignment_state() -> list:
    return [
        list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "domain_key", "user_id", "due_date", "removed_at"
            )
        ),
        AssignmentEvent.objects.count(),
    ]


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_assigning(world, data, urlencoded):
    posted = data.draw(form_data(FIELDS))
    if data.draw(st.booleans()):
        posted["respondent"] = str(data.draw(st.sampled_from([world.victor, world.oscar])).pk)
        posted["domain"] = data.draw(st.sampled_from(["gov", "ops", "x"]))
    user = data.draw(st.sampled_from([world.alice, world.sam, world.carla, world.victor]))
    with rolled_back():
        assessment = assessment_with_work(world)
        answers = answer_state(assessment)
        before = assignment_state()
        response = post_form(
            signed_in(user),
            reverse("respondents:assignments", args=[assessment.pk]),
            posted,
            urlencoded,
        )
        assert response.status_code < 500
        assert answer_state(assessment) == answers
        if response.status_code != 302 or user == world.victor:
            assert assignment_state() == before
        assert not Assignment.objects.filter(user=world.oscar).exists()
