"""Finding where you left off: Continue, the counts, the unanswered filter, what is left."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.content import instrument_content
from assessments.models import Assessment
from assessments.questionnaire import progress_rows, resume_point
from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.conftest import World


@pytest.fixture
def assessment(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.sam)
    return client


def _save(assessment: Assessment, world: World, domain: str = "", **values: str) -> None:
    changes = [AnswerChange(key=k.replace("_", "."), value=v) for k, v in values.items()]
    answers_save(assessment=assessment, user=world.sam, changes=changes, domain_key=domain)
    assessment.refresh_from_db()


def test_continue_goes_to_the_first_unanswered_question(world, assessment):
    _save(assessment, world, "gov", gov_q01="no", gov_q03="2")
    response = _client(world).get(reverse("assessments:take", args=[assessment.pk]))
    # gov.q02 is hidden (its trigger says "no"); gov.q04 (free text) is next.
    assert response.url == reverse("assessments:domain", args=[assessment.pk, "gov"]) + "#q-gov.q04"


def test_continue_starts_from_the_domain_last_worked_on(world, assessment):
    _save(assessment, world, "ops", ops_q01="all")
    response = _client(world).get(reverse("assessments:take", args=[assessment.pk]))
    assert response.url == reverse("assessments:domain", args=[assessment.pk, "ops"]) + "#q-ops.q02"


def test_continue_wraps_round_to_earlier_domains_then_stops_at_the_last_domain(world, assessment):
    _save(assessment, world, "ops", ops_q01="all", ops_q02="3")
    url = _client(world).get(reverse("assessments:take", args=[assessment.pk])).url
    assert url.endswith("/d/gov/#q-gov.q01")
    _save(assessment, world, "ops", gov_q01="no", gov_q03="1", gov_q04="None yet")
    url = _client(world).get(reverse("assessments:take", args=[assessment.pk])).url
    assert url == reverse("assessments:domain", args=[assessment.pk, "ops"])


def test_the_domain_counter_counts_free_text_questions_too(world, assessment):
    _save(assessment, world, "gov", gov_q01="yes", gov_q04="A scribe")
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    rows = {r["key"]: r for r in progress_rows(content, assessment.compute_results(values), values)}
    # gov: q01, q02 (now shown), q03 and the free-text q04.
    assert (rows["gov"]["answered"], rows["gov"]["total"]) == (2, 4)
    assert (rows["ops"]["answered"], rows["ops"]["total"]) == (0, 2)
    page = _client(world).get(reverse("assessments:domain", args=[assessment.pk, "gov"]))
    assert 'data-domain-count="gov"' in page.content.decode()
    assert ">2/4<" in page.content.decode()


def test_blank_free_text_is_not_an_answer(world, assessment):
    _save(assessment, world, "gov", gov_q01="no", gov_q03="2", gov_q04="   ")
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    point = resume_point(content, assessment.compute_results(values), values, "gov")
    assert (point.domain_key, point.question_key) == ("gov", "gov.q04")


def test_show_unanswered_only_marks_the_answered_cards(world, assessment):
    _save(assessment, world, "gov", gov_q01="no")
    page = _client(world).get(
        reverse("assessments:domain", args=[assessment.pk, "gov"]) + "?only=unanswered"
    )
    html = page.content.decode()
    assert page.context["only_unanswered"] is True
    assert 'class="only-unanswered"' in html
    assert page.context["unanswered_in_domain"] == 2  # gov.q03 and gov.q04
    done = {row["question"].key for row in page.context["rows"] if row["done"]}
    assert done == {"gov.q01"}
    assert 'id="q-gov.q01"' in html
    assert "question-card is-answered" in html


def test_the_overview_lists_what_is_left_per_domain(world, assessment):
    _save(assessment, world, "gov", gov_q01="no", ops_q01="all")
    page = _client(world).get(reverse("assessments:detail", args=[assessment.pk]))
    left = {domain.key: [q.key for q in questions] for domain, questions in page.context["left"]}
    assert left == {"gov": ["gov.q03", "gov.q04"], "ops": ["ops.q02"]}
    html = page.content.decode()
    assert "What is left" in html
    assert reverse("assessments:domain", args=[assessment.pk, "gov"]) + "#q-gov.q03" in html


def test_the_domain_page_stays_within_the_query_budget(
    world, assessment, django_assert_max_num_queries
):
    """bench/pages.py allows 8 queries for a domain page, last round's answers included."""
    previous = factories.make_assessment(world.clinic, world.instrument, round_label="2025")
    assessment.previous = previous
    assessment.review_flags = ["gov.q01"]
    assessment.save()
    client = _client(world)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    client.get(url)  # the instrument's content is cached per process
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    # More answers in both rounds: the same number of queries, and last round is shown.
    _save(previous, world, "gov", gov_q01="yes", gov_q03="3", gov_q04="Many tools")
    Assessment.objects.filter(pk=previous.pk).update(status=Assessment.Status.SUBMITTED)
    _save(assessment, world, "gov", gov_q01="yes", gov_q02="no")
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200
    rows = {row["question"].key: row for row in page.context["rows"]}
    assert rows["gov.q04"]["last_round"] == "Many tools"
