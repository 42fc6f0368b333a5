"""Starting a round from the site page: it carries the last submitted round over and links it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, AuditEntry
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories
from tests.conftest import World


@pytest.fixture
def submitted(world: World) -> Assessment:
    assessment = factories.make_assessment(
        world.clinic, world.instrument, round_label="2025 autumn"
    )
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="yes", comment="Two vendors"),
            AnswerChange(key="gov.q02", value="no"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="some"),
        ],
    )
    assessment_submit(assessment=assessment, user=world.sam)
    assessment.refresh_from_db()
    return assessment


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.sam)
    return client


def _create(client: Client, world: World, **extra: str):
    data = {
        "instrument": str(world.instrument.pk),
        "round_label": "2026 spring",
        "round_date": "2026-03-01",
        **extra,
    }
    return client.post(reverse("assessments:site", args=[world.clinic.pk]), data)


def test_the_form_offers_to_carry_over_the_latest_submitted_round_ticked(world, submitted):
    response = _client(world).get(reverse("assessments:site", args=[world.clinic.pk]))
    form = response.context["form"]
    assert "carry_over" in form.fields
    assert form["carry_over"].value() is True
    assert "2025 autumn" in form.fields["carry_over"].help_text
    assert 'name="carry_over"' in response.content.decode()


def test_without_a_submitted_round_there_is_nothing_to_offer(world):
    factories.make_assessment(world.clinic, world.instrument, round_label="a draft")
    response = _client(world).get(reverse("assessments:site", args=[world.clinic.pk]))
    assert "carry_over" not in response.context["form"].fields


def test_a_new_round_carries_the_answers_over_and_links_the_rounds(world, submitted):
    response = _create(_client(world), world, carry_over="on")
    new = Assessment.objects.exclude(pk=submitted.pk).get()
    assert response.status_code == 302
    assert new.previous_id == submitted.pk
    answers = dict(new.answers.values_list("question__key", "value"))
    assert answers == {"gov.q01": "yes", "gov.q02": "no", "gov.q03": "3", "ops.q01": "some"}
    assert set(new.answers.values_list("carried_over", flat=True)) == {True}
    assert new.answers.get(question__key="gov.q01").comment == "Two vendors"
    # The changes page exists now, and the overview links it.
    client = _client(world)
    assert client.get(reverse("assessments:round-diff", args=[new.pk])).status_code == 200
    detail = client.get(reverse("assessments:detail", args=[new.pk])).content.decode()
    assert reverse("assessments:round-diff", args=[new.pk]) in detail


def test_unticked_the_round_starts_blank_but_still_linked(world, submitted):
    _create(_client(world), world)  # an unticked checkbox is not posted
    new = Assessment.objects.exclude(pk=submitted.pk).get()
    assert new.previous_id == submitted.pk
    assert not Answer.objects.filter(assessment=new).exists()
    created = AuditEntry.objects.get(assessment=new, action=AuditEntry.Action.CREATED)
    assert created.new["previous round"] == "2025 autumn"


def test_a_second_carried_round_while_one_is_open_is_refused_with_a_message(world, submitted):
    client = _client(world)
    _create(client, world, carry_over="on")
    response = _create(client, world, carry_over="on", round_label="2026 extra")
    assert response.status_code == 422
    assert "already started" in response.content.decode()
    assert Assessment.objects.count() == 2


def test_a_taken_round_name_is_explained_next_to_the_field(world, submitted):
    response = _create(_client(world), world, carry_over="on", round_label="2025 Autumn")
    assert response.status_code == 422
    assert response.context["form"].errors["round_label"]


def test_last_rounds_answer_is_shown_beside_each_question(world, submitted):
    client = _client(world)
    _create(client, world)  # blank, so last round's answers are what helps
    new = Assessment.objects.exclude(pk=submitted.pk).get()
    response = client.get(reverse("assessments:domain", args=[new.pk, "gov"]))
    rows = {row["question"].key: row for row in response.context["rows"]}
    assert rows["gov.q01"]["last_round"] == "Yes"
    assert rows["gov.q03"]["last_round"] == "Largely in place"
    assert rows["gov.q04"]["last_round"] == ""
    assert "Last round:" in response.content.decode()


def test_a_new_round_says_not_started_instead_of_a_verdict(world, submitted):
    client = _client(world)
    _create(client, world)
    new = Assessment.objects.exclude(pk=submitted.pk).get()
    page = client.get(reverse("assessments:detail", args=[new.pk]))
    assert page.context["not_started"] is True
    html = page.content.decode()
    assert '<div class="stat-value fs-5">Not started</div>' in html
    # Display only: the results keep the rule of PRODUCT.md.
    assert new.compute_results().verdict == "Not ready"
    answers_save(assessment=new, user=world.sam, changes=[AnswerChange(key="gov.q01", value="no")])
    again = client.get(reverse("assessments:detail", args=[new.pk]))
    assert again.context["not_started"] is False
    assert '<div class="stat-value fs-5">Not ready' in again.content.decode()
