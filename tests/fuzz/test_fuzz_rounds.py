"""Fuzz starting an assessment, starting the next round and moving a draft to a newer
instrument version: no input gives a 500, and only a valid form creates or moves anything.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import Assessment
from tests import factories
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    answer_state,
    assert_only_on_success,
    assessment_with_work,
    form_data,
    post_form,
    rolled_back,
    saved_state,
    signed_in,
)

pytestmark = pytest.mark.django_db


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_starting_an_assessment_on_the_site_page(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "round_label", "round_date"]))
    if data.draw(st.booleans()):
        posted["instrument"] = str(world.instrument.pk)
    with rolled_back():
        before = saved_state()
        response = post_form(
            signed_in(world.sam),
            reverse("assessments:site", args=[world.clinic.pk]),
            posted,
            urlencoded,
        )
        if assert_only_on_success(response, before):
            created = Assessment.objects.exclude(pk__in=[row[0] for row in before["assessments"]])
            assert created.count() == 1
            assert created.get().round_label == posted["round_label"].strip()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_starting_the_next_round(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "round_label", "round_date"]))
    if data.draw(st.booleans()):
        posted["instrument"] = str(world.instrument.pk)
    if data.draw(st.booleans()):
        posted["round_date"] = data.draw(st.sampled_from(["2026-06-01", "2027-01-01", "2020-1-1"]))
    with rolled_back():
        previous = assessment_with_work(world, submitted=True)
        before = saved_state()
        response = post_form(
            signed_in(world.sam),
            reverse("assessments:next-round", args=[previous.pk]),
            posted,
            urlencoded,
        )
        if assert_only_on_success(response, before):
            created = Assessment.objects.exclude(pk__in=[row[0] for row in before["assessments"]])
            assert created.count() == 1
            new = created.get()
            assert new.previous_id == previous.pk
            assert new.round_label == posted["round_label"].strip()
            assert new.round_date >= previous.round_date


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_moving_a_draft_to_a_newer_version(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "revision"]))
    with rolled_back():
        newer = factories.load_instrument_text(
            factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "1.1"'), "v11.yaml"
        )
        assessment = assessment_with_work(world)
        if data.draw(st.booleans()):
            posted["instrument"] = str(newer.pk)
        if data.draw(st.booleans()):
            posted["revision"] = str(data.draw(st.sampled_from([assessment.revision, 0, -1])))
        before = saved_state()
        old_answers = answer_state(assessment)
        response = post_form(
            signed_in(world.sam),
            reverse("assessments:move-version", args=[assessment.pk]),
            posted,
            urlencoded,
        )
        if assert_only_on_success(response, before):
            moved = Assessment.objects.get(pk=assessment.pk)
            if moved.instrument_id == newer.pk:
                # Every question of this 1.1 is unchanged: every answer carries, as it was.
                assert posted["instrument"].strip() == str(newer.pk)
                assert answer_state(moved) == old_answers
            else:
                assert saved_state() == before
