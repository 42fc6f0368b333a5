"""One question number everywhere: questionnaire, results, report, history and round page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.content import instrument_content, question_numbers
from assessments.models import Assessment
from assessments.rounds import assessment_start_next_round
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories
from tests.conftest import World
from tests.reports.conftest import HAND_ANSWERS, give_answers


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_questions_are_numbered_by_domain_then_place_in_the_domain():
    numbers = question_numbers(
        ["gov", "ops"],
        [("gov.q01", "gov"), ("gov.q02", "gov"), ("ops.q01", "ops"), ("gov.q03", "gov")],
    )
    assert numbers == {"gov.q01": "1.1", "gov.q02": "1.2", "ops.q01": "2.1", "gov.q03": "1.3"}


def test_the_small_instrument_numbers_follow_ups_and_free_text_in_file_order(world: World):
    # gov.q02 is a follow-up, gov.q04 free text: both keep their place.
    assert instrument_content(world.instrument).numbers == {
        "gov.q01": "1.1",
        "gov.q02": "1.2",
        "gov.q03": "1.3",
        "gov.q04": "1.4",
        "ops.q01": "2.1",
        "ops.q02": "2.2",
    }


@pytest.mark.django_db
def test_in_the_shipped_instrument_7_4_is_training_q03_after_the_follow_up_7_3():
    content = instrument_content(factories.load_instrument("clinical-ai", "1.1"))
    assert content.numbers["training.q02a"] == "7.3"
    assert content.numbers["training.q03"] == "7.4"


def _legend_number(html: str, key: str) -> str:
    match = re.search(rf'id="{re.escape(key)}-legend"><span class="qnum">([\d.]+)</span>', html)
    assert match, key
    return match.group(1)


def test_the_questionnaire_shows_the_number_the_results_show(world: World):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS, answered_by=world.sam)
    client = _client(world.sam)
    ops = client.get(reverse("assessments:domain", args=[assessment.pk, "ops"])).content.decode()
    assert _legend_number(ops, "ops.q01") == "2.1"
    assert 'class="question-key">ops.q01' not in ops  # the key is for files, not people
    gov = client.get(reverse("assessments:domain", args=[assessment.pk, "gov"])).content.decode()
    # The follow-up gov.q02 shows (gov.q01 is yes) with its own number, gov.q03 after it.
    assert _legend_number(gov, "gov.q02") == "1.2"
    assert _legend_number(gov, "gov.q03") == "1.3"
    results = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    # The action plan names ops.q01 as 2.1 and the blocker gov.q02 as 1.2.
    assert "2.1 · Operations" in results
    assert "1.2 · Governance" in results


def test_a_hidden_follow_up_keeps_its_number_so_the_next_question_does_not_move(world: World):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, {"gov.q01": "no", "gov.q03": "1"}, answered_by=world.sam)
    client = _client(world.sam)
    gov = client.get(reverse("assessments:domain", args=[assessment.pk, "gov"])).content.decode()
    assert _legend_number(gov, "gov.q03") == "1.3"
    results = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    assert "1.3 · Governance" in results


def test_the_history_and_the_round_page_show_the_number(world: World):
    first = factories.make_assessment(world.clinic, world.instrument, round_label="2025")
    answers_save(assessment=first, user=world.sam, changes=[AnswerChange("ops.q01", "none")])
    assessment_submit(assessment=first, user=world.sam)
    second = assessment_start_next_round(previous=first, user=world.sam, round_label="2026")
    answers_save(
        assessment=second,
        user=world.sam,
        changes=[AnswerChange("ops.q01", "all", base_revision=1)],
    )
    client = _client(world.sam)
    history = client.get(reverse("assessments:history", args=[second.pk])).content.decode()
    assert '<span class="qnum">2.1</span> How is AI output reviewed?' in history
    changes = client.get(reverse("assessments:round-diff", args=[second.pk])).content.decode()
    assert '<span class="qnum">2.1</span> How is AI output reviewed?' in changes
    assert Assessment.objects.count() == 2


def test_the_submit_page_lists_what_is_unanswered_by_number(world: World):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    html = _client(world.sam).get(reverse("assessments:submit", args=[assessment.pk]))
    text = html.content.decode()
    assert '<span class="qnum">2.2</span> Operations: Is AI uptime monitored?' in text
