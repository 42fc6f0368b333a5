"""Every main page's JavaScript stays under 500 KB compressed (issue 13, lighter pages).

The figure is what a phone on a slow network downloads and parses for a page: the gzip size
(as WhiteNoise serves it) of every script the page's HTML references, plotly.js included
where static/js/charts.js loads it when a chart is about to be shown. The full
plotly.js alone was 1.43 MB gzipped; bench/lighthouse.py measures the pages in a browser.
"""

from __future__ import annotations

import gzip
import re
from functools import cache

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.conftest import World
from tests.reports.conftest import HAND_ANSWERS

LIMIT_BYTES = 500 * 1024
# A script's src, or the data-plotly-src of the one that loads plotly.js when a chart shows.
SCRIPT_SRC = re.compile(r"<script\b[^>]*\b(?:data-plotly-)?src=\"([^\"]+)\"")


@cache
def _gzip_size(path: str) -> int:
    with open(path, "rb") as file:
        return len(gzip.compress(file.read(), compresslevel=9))


def script_bytes(html: str) -> dict[str, int]:
    """Each script the page references, with its gzip size; a script not found fails."""
    sizes = {}
    for src in SCRIPT_SRC.findall(html):
        assert src.startswith(settings.STATIC_URL), f"script from outside the app: {src}"
        found = finders.find(src.removeprefix(settings.STATIC_URL).split("?")[0])
        assert found, f"script not among the static files: {src}"
        sizes[src] = _gzip_size(str(found))
    return sizes


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.alice)
    return client


@pytest.fixture
def pages(golden: World) -> dict[str, str]:
    world = golden
    draft = factories.make_assessment(world.clinic, world.instrument, round_label="2027 spring")
    answers_save(
        assessment=draft,
        user=world.alice,
        changes=[AnswerChange(key=key, value=value) for key, value in HAND_ANSWERS.items()],
    )
    submitted = Assessment.objects.filter(
        site__organisation=world.org, status=Assessment.Status.SUBMITTED
    ).first()
    assert submitted is not None
    domain = world.instrument.domains.order_by("order").first()
    assert domain is not None
    return {
        "dashboard": reverse("assessments:organisation", args=[world.org.slug]),
        "questionnaire": reverse("assessments:domain", args=[draft.pk, domain.key]),
        "assessment": reverse("assessments:detail", args=[draft.pk]),
        "results": reverse("reports:results", args=[submitted.pk]),
        "report": reverse("reports:gap-report", args=[submitted.pk]),
        "comparison": reverse("reports:compare", args=[world.org.slug]),
        "history": reverse("assessments:history", args=[draft.pk]),
    }


@pytest.mark.parametrize(
    "page",
    ["dashboard", "questionnaire", "assessment", "results", "report", "comparison", "history"],
)
def test_the_javascript_a_page_loads_stays_under_500_kb_compressed(
    golden: World, pages: dict[str, str], page: str
) -> None:
    response = _client(golden).get(pages[page])
    assert response.status_code == 200
    sizes = script_bytes(response.content.decode())
    assert sizes, "every page loads at least the Bootstrap bundle"
    total = sum(sizes.values())
    assert total < LIMIT_BYTES, f"{page}: {total} bytes gzipped: {sizes}"


def test_the_chart_pages_load_the_trimmed_plotly_bundle(
    golden: World, pages: dict[str, str]
) -> None:
    client = _client(golden)
    for page in ("results", "report", "comparison"):
        html = client.get(pages[page]).content.decode()
        assert any("plotly-custom-" in src for src in script_bytes(html)), page
