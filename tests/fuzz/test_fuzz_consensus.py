"""Fuzz the consensus form (issue 15): whatever is posted, no 500; a refused post changes
nothing (a conflict saves the other answers, as the questionnaire does); respondents' own
answers are never touched; and only answers the form accepts become the consensus."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import Answer
from assessments.services import AnswerChange
from respondents.independent import (
    independent_mode_set,
    respondent_answers_save,
    respondent_domain_done,
)
from respondents.models import ConsensusNote, RespondentAnswer
from respondents.services import assignment_create
from tests import factories
from tests.fuzz.common import ENCODING, FUZZ, form_data, post_form, rolled_back, signed_in

pytestmark = pytest.mark.django_db

KEYS = ["gov.q01", "gov.q02", "gov.q03", "gov.q04"]
FIELDS = [
    f"{key}{suffix}"
    for key in KEYS
    for suffix in ("", "--comment", "--evidence", "--note", "--rev", "--base", "--resolve")
] + ["gov.q03--conflict", "gov.q03--version", "next_domain", "ops.q01"]
VALID = {
    "gov.q01": {"", "yes", "no", "na"},
    "gov.q02": {"", "yes", "no"},
    "gov.q03": {"", "0", "1", "2", "3", "4", "na"},
}


def _independent(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.victor,
        due_date=None,
        user=world.alice,
    )
    respondent_answers_save(
        assessment=assessment,
        user=world.victor,
        domain_key="gov",
        changes=[AnswerChange("gov.q01", "yes"), AnswerChange("gov.q03", "2", comment="Monthly")],
    )
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    return assessment


def _state():
    return (
        list(
            Answer.objects.order_by("pk").values_list(
                "question__key", "value", "comment", "evidence", "revision"
            )
        ),
        list(ConsensusNote.objects.order_by("pk").values_list("question__key", "note")),
    )


def _own():
    return list(
        RespondentAnswer.objects.order_by("pk").values_list(
            "user_id", "question__key", "value", "comment", "evidence", "revision"
        )
    )


@pytest.fixture
def independent(world):
    """The assessment and the state it starts from: made once per test, since every example
    runs in a savepoint rolled back to it."""
    return _independent(world), _state(), _own()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_consensus_form(world, independent, data, urlencoded):
    posted = data.draw(form_data(FIELDS))
    if data.draw(st.booleans()):
        # Mostly well-formed: the page's hidden fields, so that saves do happen.
        for key in KEYS:
            posted.setdefault(f"{key}--rev", "0")
    user = data.draw(st.sampled_from([world.alice, world.carla, world.victor]))
    assessment, before, own = independent
    with rolled_back():
        response = post_form(
            signed_in(user),
            reverse("respondents:consensus", args=[assessment.pk, "gov"]),
            posted,
            urlencoded,
        )
        assert response.status_code < 500
        assert _own() == own
        # A refused post changes nothing; only a conflict (someone else's newer answer,
        # here a posted revision the answer never had) comes back after saving the others.
        conflict = response.status_code == 422 and "Which answer should stay?" in (
            response.content.decode()
        )
        if (response.status_code != 302 and not conflict) or user == world.victor:
            assert _state() == before
        for key, value in Answer.objects.values_list("question__key", "value"):
            if key in VALID:
                assert value in VALID[key], (key, value)
            else:
                assert len(value) <= 5000
        assert all(len(note) <= 5000 for _, note in _state()[1])
