"""Results page, gap report (HTML and PDF): who may see them, what they show, what they cost."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditEntry, Question
from tests import factories
from tests.conftest import without_chromium
from tests.reports.conftest import give_answers

VIEWS = ["reports:results", "reports:gap-report", "reports:gap-report-pdf"]


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch, stand_in_pdfs):
    # View tests need no SVGs: the PDF falls back to tables, and WeasyPrint lays a PDF out only
    # where a test asks for `real_pdfs` (both tested in test_pdf.py).
    without_chromium(monkeypatch)
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", VIEWS)
def test_anonymous_visitors_are_sent_to_log_in(scored, name):
    url = reverse(name, args=[scored.pk])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", ["alice", "sam", "carla", "victor"])
def test_every_role_of_the_organisation_may_read_results_and_reports(world, scored, name, who):
    response = _client(getattr(world, who)).get(reverse(name, args=[scored.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", VIEWS)
def test_another_organisation_gets_a_404(world, scored, name):
    assert _client(world.oscar).get(reverse(name, args=[scored.pk])).status_code == 404


@pytest.mark.parametrize("name", VIEWS)
def test_a_site_admin_gets_a_404_for_another_site(world, name):
    hospital = factories.make_assessment(world.hospital, world.instrument)
    assert _client(world.sam).get(reverse(name, args=[hospital.pk])).status_code == 404


def test_an_unknown_assessment_is_a_404(world):
    assert _client(world.alice).get(reverse("reports:results", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("name", "action", "subject"),
    [
        ("reports:results", "viewed", "results"),
        ("reports:gap-report", "viewed", "report-html"),
        ("reports:gap-report-pdf", "exported", "report-pdf"),
    ],
)
def test_each_read_is_audited(world, scored, name, action, subject):
    _client(world.victor).get(reverse(name, args=[scored.pk]))
    entry = AuditEntry.objects.filter(assessment=scored).latest("pk")
    assert (entry.action, entry.subject, entry.user) == (action, subject, world.victor)


def test_the_results_page_shows_verdict_blockers_charts_table_plan_and_open_questions(
    world, scored
):
    response = _client(world.alice).get(reverse("reports:results", args=[scored.pk]))
    html = response.content.decode()
    assert "Not ready" in html
    assert "41.6" in html
    assert "Defined" in html
    assert html.index("Blockers: critical safeguards") < html.index('id="charts-heading"')
    assert 'id="chart-radar"' in html
    assert 'id="chart-gaps"' in html
    # The page shows pictures; static/js/charts.js fetches the figures when asked.
    chart_data = reverse("reports:chart-data", args=[scored.pk])
    assert f'data-chart="chart-radar" data-chart-src="{chart_data}"' in html
    assert 'type="application/json"' not in html  # no figure built for the page
    assert 'aria-describedby="chart-radar-caption chart-radar-table"' in html
    assert "vendor/plotly-custom-4.1.1.min.js" in html
    assert "js/charts.js" in html
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert inline == []
    assert "style=" not in html
    plan = [a.row.key for a in response.context["report"].action_plan]
    assert plan == ["ops.q01", "gov.q02", "gov.q03"]
    assert "Require clinician review." in html  # the recommendation of ops.q01
    assert "Is AI uptime monitored?" in html  # still to answer


def test_the_interactive_charts_figures_come_as_json_for_those_who_see_the_results(world, scored):
    url = reverse("reports:chart-data", args=[scored.pk])
    response = _client(world.victor).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    figures = response.json()
    assert set(figures) == {"chart-radar", "chart-gaps"}
    target, score = figures["chart-radar"]["data"]
    assert (target["type"], target["name"], score["name"]) == ("scatterpolar", "Target", "Score")
    assert figures["chart-gaps"]["data"][0]["type"] == "bar"
    # The figure says what the page's table says: each domain's score, in the same order (the
    # radar repeats its first point to close the line).
    page = _client(world.victor).get(reverse("reports:results", args=[scored.pk]))
    table = page.context["report"].charts[0].table
    assert [("—" if r is None else f"{r:.1f}") for r in score["r"][:-1]] == [
        row[1] for row in table
    ]


def test_the_html_report_has_every_section(world, scored):
    response = _client(world.carla).get(reverse("reports:gap-report", args=[scored.pk]))
    html = response.content.decode()
    for section_id in (
        "cover",
        "summary",
        "charts",
        "domains",
        "domain-gov",
        "domain-ops",
        "action-plan",
        "crosswalk",
        "still-to-answer",
        "appendix",
        "method",
    ):
        assert f'id="{section_id}"' in html, section_id
    assert "Northside Clinic" in html
    assert "Small test instrument" in html
    assert "version 1.0" in html
    assert "2026 spring" in html


def test_the_report_shows_the_branding(world, scored):
    org = world.org
    org.report_title = "Readiness review by Acme Advisory"
    org.report_signoff = "Casey Consultant, Acme Advisory"
    org.save()
    html = (
        _client(world.alice).get(reverse("reports:gap-report", args=[scored.pk])).content.decode()
    )
    assert "Readiness review by Acme Advisory" in html
    # The organisation's old sign-off field signs nothing: only the exporter signs.
    assert "Casey Consultant" not in html
    assert "Signed by" not in html


def test_user_text_is_escaped_in_the_html(world, scored):
    give_answers(scored, {"gov.q03": "3"}, comment="<script>alert(1)</script>")
    for name in ("reports:results", "reports:gap-report"):
        html = _client(world.alice).get(reverse(name, args=[scored.pk])).content.decode()
        assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_pdf_downloads_with_a_file_name(world, scored, real_pdfs):
    response = _client(world.alice).get(reverse("reports:gap-report-pdf", args=[scored.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        'filename="gap-report-northside-clinic-2026-spring.pdf"' in response["Content-Disposition"]
    )


def test_the_report_pages_refuse_a_post(world, scored):
    for name in VIEWS:
        assert _client(world.alice).post(reverse(name, args=[scored.pk])).status_code == 405


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_queries_stay_constant_as_answers_grow(
    world, name, report_bodies_not_kept, django_assert_max_num_queries
):
    instrument = factories.load_instrument()
    few = factories.make_assessment(world.clinic, instrument, round_label="few")
    many = factories.make_assessment(world.clinic, instrument, round_label="many")
    questions = list(Question.objects.filter(instrument=instrument).order_by("order"))
    give_answers(few, {questions[1].key: questions[1].options[0]["value"]})
    give_answers(
        many,
        {q.key: (q.options[-1]["value"] if q.options else "text") for q in questions},
        comment="Noted",
        answered_by=world.sam,
    )
    client = _client(world.alice)
    _queries(client, reverse(name, args=[few.pk]))  # warms the instrument cache
    baseline = _queries(client, reverse(name, args=[few.pk]))
    with django_assert_max_num_queries(baseline):
        client.get(reverse(name, args=[many.pk]))
    assert baseline <= 10, baseline


def test_submitted_results_read_the_stored_json(world, scored):
    from assessments.services import assessment_submit

    assessment_submit(assessment=scored, user=world.alice)
    response = _client(world.alice).get(reverse("reports:results", args=[scored.pk]))
    assert response.context["report"].source == "stored"
    assert "Results stored at submission" in response.content.decode()


def test_the_pdf_downloads_while_the_cache_is_down(world, scored, cache_down, caplog):
    url = reverse("reports:gap-report-pdf", args=[scored.pk])
    for _ in range(2):  # nothing was kept, so both render; neither is a 500
        response = _client(world.alice).get(url)
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Cache read failed for reports:pdf") for m in messages)
    assert any(m.startswith("Cache write failed for reports:pdf") for m in messages)
