"""The comparison page in a real browser: the charts draw under the strict CSP, no errors."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.reports.compare_data import make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _add_a_round_without_an_operations_score(golden) -> None:
    """The shared comparison data, and a later round at the hospital with no score in
    Operations: the heatmap shows a grey "—" cell."""
    make_submitted(
        golden.hospital,
        golden.instrument,
        "2026 summer",
        datetime.date(2026, 6, 1),
        score="20.0",
        level=2,
        domains={"gov": ("20.0", 2, ["gov.q02"]), "ops": (None, None, [])},
    )


def test_the_compare_page_draws_its_charts_without_console_errors(page, golden):
    _add_a_round_without_an_operations_score(golden)
    log_in(page, "alice")
    page.goto(f"/o/{golden.org.slug}/compare/")
    expect(page.get_by_role("heading", name="Compare sites")).to_be_visible()
    heatmap = page.locator("#chart-heatmap")
    expect(heatmap.locator(".main-svg").first).to_be_visible()
    assert heatmap.evaluate("el => el.classList.contains('js-plotly-plot')")
    # plotly.js draws a chart once it comes near the viewport (static/js/charts.js).
    page.locator("#chart-trend").scroll_into_view_if_needed()
    expect(page.locator("#chart-trend.js-plotly-plot")).to_be_visible()
    page.locator("#chart-distribution").scroll_into_view_if_needed()
    expect(page.locator("#chart-distribution.js-plotly-plot")).to_be_visible()
    # The cells carry their scores and levels; a missing score is a dash, never 0.
    text = heatmap.inner_text()
    assert "75.0 · L4" in text
    assert "—" in text
    # Sorting by a column heading keeps the charts working.
    page.get_by_role("link", name="Site (sort ascending)").click()
    expect(page.locator("#chart-heatmap.js-plotly-plot")).to_be_visible()
    expect(page.locator("#ranking tbody tr").first).to_contain_text("Northside Clinic")
    assert page.console_errors == []


def test_a_site_admin_sees_only_their_site_in_the_drawn_chart(page, golden):
    _add_a_round_without_an_operations_score(golden)
    log_in(page, "sam")
    page.goto(f"/o/{golden.org.slug}/compare/")
    expect(page.locator("#chart-heatmap.js-plotly-plot")).to_be_visible()
    assert "Northside Hospital" not in page.content()
    assert page.console_errors == []
