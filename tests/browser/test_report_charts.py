"""The charts in a real Chromium under the strict CSP: drawn, no console errors, accessible."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def assessment(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.alice,
        changes=[
            AnswerChange(
                key="gov.q01", value="yes", comment='<img src=x onerror="window.__xss=1">'
            ),
            AnswerChange(key="gov.q02", value="no"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="some"),
        ],
    )
    return assessment


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_charts_are_drawn_under_the_strict_csp_without_console_errors(
    page,
    world,
    assessment,
    name,
):
    log_in(page, "alice")
    response = page.goto(reverse(name, args=[assessment.pk]))
    assert "style-src 'self'" in response.headers["content-security-policy"]
    # The page shows each chart as a static picture and loads no plotly.js (issue 13)...
    assert page.locator(".chart-plot img.chart-preview").count() == 2
    for image in page.locator(".chart-plot img.chart-preview").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.Plotly") == "undefined"
    # ...until "Interactive chart" is pressed: plotly.js then draws it in the picture's place.
    _make_interactive(page)
    assert page.locator(".chart-plot img.chart-preview").count() == 0
    assert page.locator(".chart-plot svg.main-svg").count() >= 2
    # No <style> element was injected by plotly.js (the CSP would have blocked it).
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    box = page.locator("#chart-gaps").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    page.wait_for_timeout(200)
    assert page.console_errors == []
    assert page.evaluate("window.__xss === undefined")


@pytest.mark.parametrize("name", ["reports:results", "reports:gap-report"])
def test_results_and_report_pages_have_no_serious_accessibility_violation(
    page,
    world,
    assessment,
    name,
):
    log_in(page, "alice")
    page.goto(reverse(name, args=[assessment.pk]))
    # The page's own content, with the static pictures and then the interactive charts; the
    # shared navigation bar is checked by tests/browser.
    assert _serious_violations(page) == []
    _make_interactive(page)
    assert _serious_violations(page) == []


def test_an_interactive_chart_that_could_not_be_fetched_can_be_asked_for_again(
    page, world, assessment
):
    log_in(page, "alice")
    page.goto(reverse("reports:results", args=[assessment.pk]))
    # The first answer is the sign-in page an expired session gets: not the figures.
    page.route(
        "**/charts.json",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html>"),
    )
    button = page.locator('[data-chart-interactive="chart-radar"]')
    button.click()
    page.wait_for_selector("#chart-radar.is-not-drawn", timeout=15000)
    # The picture and the table stay, and the button can be pressed again.
    assert page.locator("#chart-radar img.chart-preview").count() == 1
    assert button.is_enabled()
    assert button.is_visible()
    page.unroute("**/charts.json")
    button.click()
    page.wait_for_selector("#chart-radar.is-drawn", timeout=15000)
    assert button.is_hidden()


def _make_interactive(page) -> None:
    """Press each chart's "Interactive chart" button and wait until plotly.js drew both."""
    assert page.get_by_role("button", name="Interactive chart").count() == 2
    for chart in ("chart-radar", "chart-gaps"):
        page.click(f'[data-chart-interactive="{chart}"]')
    page.wait_for_selector(".chart-plot.is-drawn >> nth=1", timeout=15000)
    assert page.get_by_role("button", name="Interactive chart").count() == 0


def _serious_violations(page) -> list[str]:
    results = Axe().run(page, context="#main")
    return [
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
