"""Results that do not contradict themselves and explain their words (issue 11, item 7)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.conftest import without_chromium
from tests.reports.conftest import give_answers


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch):

    without_chromium(monkeypatch)
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _plan_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="action-\d+"[^>]*>(.*?)</tr>', html, re.S)


def test_the_action_plan_labels_priorities_and_keeps_the_number_in_a_tooltip(world, scored):
    html = _client(world.victor).get(reverse("reports:results", args=[scored.pk])).content.decode()
    rows = _plan_rows(html)
    # By hand (tests/reports/conftest.py): ops.q01 1.8227 is the highest; gov.q02 0.6780 is
    # under half of it but a blocker; gov.q03 0.0848 is under a quarter.
    labels = [re.search(r'title="Priority ([\d.]+)">(\w+)</span>', row).groups() for row in rows]
    assert labels == [("1.8227", "High"), ("0.6780", "High"), ("0.0848", "Low")]
    assert "0.3208" not in html
    method = _client(world.victor).get(reverse("reports:gap-report", args=[scored.pk]))
    text = method.content.decode()
    assert "labelled <strong>High</strong> (a blocker, or at least half the plan" in text


def test_the_exported_json_keeps_the_priority_numbers(world, scored):
    response = _client(world.victor).get(reverse("assessments:export-json", args=[scored.pk]))
    data = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert [item["priority"] for item in data["results"]["action_plan"]] == [
        1.8227,
        0.678,
        0.0848,
    ]


def test_a_domain_without_a_score_says_it_counts_as_level_1_where_it_shows_a_dash(world):
    # gov answered, ops not at all: ops applies but has no score.
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, {"gov.q01": "yes", "gov.q02": "yes", "gov.q03": "4"})
    html = _client(world.victor).get(reverse("reports:results", args=[assessment.pk])).content
    text = html.decode()
    row = re.search(r"2\. Operations(?:</a>)?</th>(.*?)</tr>", text, re.S).group(1)
    assert "No score yet: counts as level 1 (Initial) for the verdict" in row
    # The verdict's reason says the same, not "1 domain is at level 1".
    assert "1 domain has no score yet, which counts as level 1 (Initial)" in text
    assert "is at level 1 (Initial)" not in text


def test_terms_on_the_results_page_link_to_the_glossary(world, scored):
    html = _client(world.victor).get(reverse("reports:results", args=[scored.pk])).content.decode()
    help_url = reverse("assessments:help")
    for anchor in ("term-blocker", "term-priority", "term-verdict", "term-visible-scored"):
        assert f'href="{help_url}#{anchor}"' in html, anchor


def test_the_pdf_html_carries_no_help_links_but_the_priority_numbers(world, scored):
    from django.template.loader import render_to_string

    from reports.report import build_report, report_context

    report = build_report(scored, charts_mode="none")
    html = render_to_string("reports/pdf/gap_report.html", report_context(report, pdf=True))
    assert "term-help" not in html
    assert '<div class="priority-number">1.8227</div>' in html
