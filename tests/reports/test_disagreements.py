"""The section "Where respondents disagreed" of the results page and the gap report (issue 15):
what it shows, when it is absent, whom it hides answers from, and what it costs."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from assessments.content import instrument_content
from assessments.models import Assessment
from reports.report import build_report
from reports.report_docx import report_docx
from reports.report_files import pdf_cache_key, report_html
from reports.report_options import report_options
from respondents.consensus_report import (
    Respondent,
    assessment_disagreements,
    disagreements_of,
)
from respondents.independent import independent_mode_set, respondent_domain_done
from respondents.models import Assignment
from tests import factories
from tests.conftest import without_chromium
from tests.reports.conftest import HAND_ANSWERS, give_answers
from tests.respondents import scenario

HEADING = "Where respondents disagreed"


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch):

    without_chromium(monkeypatch)
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_section_lists_each_flagged_question_with_answers_by_role_and_the_consensus(world):
    assessment = scenario.independent_assessment(world)
    report = build_report(assessment)
    d = report.disagreements
    assert d is not None
    assert d.respondents == 2
    assert [q.key for q in d.flagged] == ["gov.q02", "gov.q03", "ops.q02"]
    gov, ops = d.domains
    assert (gov.respondents, gov.compared, gov.agreed, gov.percent) == (2, 4, 2, 50)
    assert (ops.respondents, ops.compared, ops.agreed, ops.percent) == (2, 2, 1, 50)
    q03 = d.flagged[1]
    assert [(a.respondent.who, a.label) for a in q03.answers] == [
        ("Viewer · Victor Viewer", "In place and monitored"),
        ("Consultant · Carla Consultant", "Planned"),
    ]
    assert q03.consensus == "Partially in place"
    assert q03.note == scenario.NOTES["gov.q03"]
    assert [a.label for a in d.flagged[2].answers] == ["Largely in place", "Not applicable"]


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_the_pages_show_the_section(world, name):
    assessment = scenario.independent_assessment(world)
    html = _client(world.alice).get(reverse(name, args=[assessment.pk])).content.decode()
    text = _text(html)
    assert HEADING in text
    assert "Viewer · Victor Viewer" in text
    assert "Consultant · Carla Consultant" in text
    assert scenario.NOTES["gov.q02"] in text
    assert "Carla on gov.q03" in text  # the respondent's comment
    assert "50% (2 of 4)" in text
    # Questions they agreed on are not listed.
    assert 'id="disagree-q-gov.q01"' not in html
    assert 'id="disagree-q-gov.q03"' in html


def test_the_pdf_template_and_the_html_file_show_the_section(world):
    assessment = scenario.independent_assessment(world)
    html = report_html(assessment)
    assert HEADING in html
    assert 'href="#disagreements"' in html  # in the contents
    assert "Carla Consultant" in html


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_a_single_answer_assessment_has_no_section_not_even_a_heading(world, name):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS)
    # Assignments alone (the normal mode) do not make the section.
    scenario.assign(assessment, world.alice, world.victor)
    html = _client(world.alice).get(reverse(name, args=[assessment.pk])).content.decode()
    assert HEADING not in html
    assert "disagreements" not in html
    assert build_report(assessment).disagreements is None
    assert HEADING not in report_html(assessment)


def test_answers_not_marked_done_are_not_compared(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    scenario.assign(assessment, world.alice, world.victor, world.carla)
    scenario.respond(assessment, world.victor, scenario.VICTOR)
    scenario.respond(assessment, world.carla, scenario.CARLA, done=False)
    d = build_report(assessment).disagreements
    assert d is not None
    assert d.flagged == []
    assert [(x.respondents, x.compared) for x in d.domains] == [(1, 0), (1, 0)]
    html = _client(world.alice).get(reverse("reports:results", args=[assessment.pk]))
    assert "Carla on gov" not in html.content.decode()
    assert HEADING in html.content.decode()


def test_a_respondent_still_answering_sees_none_of_that_domains_answers(world):
    assessment = scenario.independent_assessment(world)
    extra = scenario.extra_respondents(world, 1)[0]
    Assignment.objects.create(assessment=assessment, domain_key="gov", user=extra)
    for name in ("reports:results", "reports:gap-report"):
        html = _client(extra).get(reverse(name, args=[assessment.pk])).content.decode()
        assert "Victor on gov.q03" not in html
        assert "Shown once you mark your own answers to this domain done." in html
        # The other domain, which they do not answer, shows.
        assert "Carla on ops.q02" in html
    # Their PDF is another file than the coordinator's, without the answers either.
    options = report_options(assessment=assessment, user=extra)
    assert options.blind_domains == ("gov",)
    assert options.identity() != report_options(assessment=assessment, user=world.alice).identity()
    d = build_report(assessment, options=options).disagreements
    assert d is not None
    assert [q.key for q in d.flagged] == ["ops.q02"]


def test_a_removed_respondent_is_marked(world):
    assessment = scenario.independent_assessment(world)
    Assignment.objects.filter(assessment=assessment, user=world.carla).update(
        removed_at=assessment.created_at
    )
    html = _client(world.alice).get(reverse("reports:results", args=[assessment.pk]))
    assert 'Carla Consultant <span class="text-muted small">(no longer assigned)' in (
        html.content.decode()
    )


def test_a_follow_up_hidden_by_the_consensus_is_not_counted(world):
    content = instrument_content(world.instrument)
    people = [
        ("gov", Respondent(user_id=1, name="A", role="Viewer", removed=False, done=True)),
        ("gov", Respondent(user_id=2, name="B", role="Viewer", removed=False, done=True)),
    ]
    answers = {
        1: {"gov.q01": ("yes", ""), "gov.q02": ("yes", "")},
        2: {"gov.q01": ("yes", ""), "gov.q02": ("no", "")},
    }
    shown = disagreements_of(
        content,
        assignments=people,
        answers=answers,
        consensus={"gov.q01": "yes"},
        notes={},
        visible={"gov.q01", "gov.q02", "gov.q03", "gov.q04"},
    )
    assert [q.key for q in shown.flagged] == ["gov.q02"]
    hidden = disagreements_of(
        content,
        assignments=people,
        answers=answers,
        consensus={"gov.q01": "no"},
        notes={},
        visible={"gov.q01", "gov.q03", "gov.q04"},
    )
    assert hidden.flagged == []
    assert hidden.domains[0].compared == 1


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_queries_are_the_same_with_one_or_four_respondents(world, report_bodies_not_kept, name):
    one = scenario.independent_assessment(world, round_label="one")
    Assignment.objects.filter(assessment=one, user=world.carla).delete()
    four = scenario.independent_assessment(world, extra=2, round_label="four")
    assert Assignment.objects.filter(assessment=four).values("user").distinct().count() == 4
    client = _client(world.alice)
    _queries(client, reverse(name, args=[one.pk]))  # warms the instrument cache
    small = _queries(client, reverse(name, args=[one.pk]))
    large = _queries(client, reverse(name, args=[four.pk]))
    assert large == small
    assert small <= 10, small
    # The single-answer mode pays nothing for the section.
    single = factories.make_assessment(world.clinic, world.instrument, round_label="single")
    give_answers(single, HAND_ANSWERS)
    assert _queries(client, reverse(name, args=[single.pk])) <= small - 1


def test_the_section_is_built_in_one_query(world, django_assert_num_queries):
    assessment = scenario.independent_assessment(world, extra=2)
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    with django_assert_num_queries(1):
        d = assessment_disagreements(
            assessment, content=content, consensus=values, visible=set(values)
        )
    assert d is not None
    assert d.respondents == 4
    fresh = Assessment.objects.with_context().get(pk=assessment.pk)
    # Read without the mode: one more query to ask it.
    with django_assert_num_queries(2):
        assessment_disagreements(fresh, content=content, consensus=values, visible=set(values))


def _docx(data: bytes):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(data))


def test_the_word_report_has_the_section_after_the_domains(world):
    assessment = scenario.independent_assessment(world)
    document = _docx(report_docx(assessment, with_charts=False))
    top = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert top.index(HEADING) == top.index("Results by domain") + 1
    questions = [p.text for p in document.paragraphs if p.style.name == "Heading 3"]
    assert f"1.3 {world.instrument.questions.get(key='gov.q03').text}" in questions
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Viewer · Victor Viewer", "Consultant · Carla Consultant", "Not applicable"} <= cells
    assert "50% (2 of 4)" in cells
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"Note: {scenario.NOTES['gov.q03']}" in text
    assert "Consensus: Partially in place" in text


def test_the_word_report_of_a_single_answer_assessment_has_no_section(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS)
    document = _docx(report_docx(assessment, with_charts=False))
    assert HEADING not in {p.text for p in document.paragraphs}


def test_the_word_download_of_a_respondent_still_answering_leaves_their_domain_out(world):
    assessment = scenario.independent_assessment(world)
    extra = scenario.extra_respondents(world, 1)[0]
    Assignment.objects.create(assessment=assessment, domain_key="gov", user=extra)
    response = _client(extra).get(reverse("reports:gap-report-docx", args=[assessment.pk]))
    document = _docx(response.content)
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    assert "Carla on ops.q02" in text
    assert "Carla on gov.q03" not in text
    assert "Shown once you mark your own answers done" in text


def test_the_pdf_cache_key_moves_when_a_respondent_marks_done(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    scenario.assign(assessment, world.alice, world.victor)
    scenario.respond(assessment, world.victor, scenario.VICTOR, done=False)
    before = pdf_cache_key(assessment, charts_available=False)
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assert pdf_cache_key(assessment, charts_available=False) != before
