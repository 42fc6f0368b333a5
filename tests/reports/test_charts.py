"""Chart figures (asserted on fig.to_dict()), the browser payload and the SVG export."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from reports import charts
from reports.charts import DomainPoint, domain_radar, figure_html_payload, figure_svg, gap_bars

POINTS = [
    DomainPoint(label="Access", score=55.0, target=60.0, gap=5.0),
    DomainPoint(label="Data quality and availability", score=None, target=60.0, gap=None),
    DomainPoint(label="Ethics", score=30.0, target=70.0, gap=40.0, blocked=True),
    DomainPoint(label="Training", score=80.0, target=60.0, gap=0.0),
]


def test_the_radar_draws_scores_against_targets_as_closed_lines_with_a_gap_for_no_score():
    fig = domain_radar(POINTS).to_dict()
    target, score = fig["data"]
    assert (target["name"], score["name"]) == ("Target", "Score")
    assert list(target["r"]) == [60.0, 60.0, 70.0, 60.0, 60.0]
    # No score is a gap in the line (None), never a 0.
    assert list(score["r"]) == [55.0, None, 30.0, 80.0, 55.0]
    assert score["theta"][0] == score["theta"][-1] == "Access"
    assert score["theta"][1] == "Data quality and<br>availability"
    assert fig["layout"]["polar"]["radialaxis"]["range"] == [0, 100]


def test_the_gap_bars_put_the_largest_gap_on_top_and_mark_blocked_domains_red():
    fig = gap_bars(POINTS).to_dict()
    (bar,) = fig["data"]
    # Horizontal bars are drawn bottom-up: the last category is the top bar.
    assert list(bar["y"]) == ["Training", "Access", "Ethics"]
    assert list(bar["x"]) == [0.0, 5.0, 40.0]
    assert bar["marker"]["color"][-1] == charts.BLOCKER_COLOUR
    assert bar["marker"]["color"][0] == charts.GAP_COLOUR
    assert not fig["layout"].get("annotations")


def test_the_gap_bars_say_so_when_there_is_no_gap_or_no_score():
    no_gap = gap_bars([DomainPoint(label="A", score=90.0, target=60.0, gap=0.0)]).to_dict()
    assert "No gaps" in no_gap["layout"]["annotations"][0]["text"]
    nothing = gap_bars([DomainPoint(label="A", score=None, target=60.0)]).to_dict()
    assert "No domain has a score" in nothing["layout"]["annotations"][0]["text"]


def test_the_browser_payload_is_plain_json_with_a_config_and_no_plotly_logo():
    payload = figure_html_payload(domain_radar(POINTS))
    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) >= {"data", "layout", "config"}
    assert payload["config"]["displaylogo"] is False
    assert payload["config"]["displayModeBar"] is False


def test_find_chromium_uses_the_configured_path_and_nothing_else(settings, tmp_path):
    settings.CHROMIUM_PATH = str(tmp_path / "no-such-browser")
    assert charts.find_chromium() is None


@pytest.fixture
def clean_svg_caches():
    charts.clear_svg_cache()
    cache.clear()
    yield
    charts.clear_svg_cache()
    cache.clear()


def test_figure_svg_exports_with_chromium_and_caches_by_content(
    chromium, clean_svg_caches, monkeypatch
):
    calls = []
    real = charts._render_svg

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(charts, "_render_svg", counting)
    fig = domain_radar(POINTS)
    svg = figure_svg(fig)
    assert svg is not None
    assert svg.lstrip().startswith("<svg")
    assert "Access" in svg
    assert len(calls) == 1
    # The same figure again, even rebuilt from the same data: from the cache, no kaleido call.
    assert figure_svg(domain_radar(POINTS)) == svg
    assert len(calls) == 1
    # Another process (empty in-process cache) finds it in Django's cache.
    charts.clear_svg_cache()
    assert figure_svg(fig) == svg
    assert len(calls) == 1
    # A different figure is exported.
    assert figure_svg(gap_bars(POINTS)) is not None
    assert len(calls) == 2


def test_one_warm_kaleido_browser_serves_several_figures(chromium, clean_svg_caches):
    figure_svg(domain_radar(POINTS))
    browser = charts._server._kaleido
    assert browser is not None
    figure_svg(gap_bars(POINTS))
    assert charts._server._kaleido is browser


def test_figure_svg_is_none_without_a_browser(monkeypatch, clean_svg_caches):
    monkeypatch.setattr(charts, "find_chromium", lambda: None)
    monkeypatch.setattr(charts, "_render_svg", lambda *a: pytest.fail("kaleido was called"))
    assert figure_svg(domain_radar(POINTS)) is None


def test_a_failed_export_gives_none_instead_of_an_error(chromium, monkeypatch, clean_svg_caches):
    def broken(*args):
        raise RuntimeError("browser crashed")

    monkeypatch.setattr(charts, "_render_svg", broken)
    assert figure_svg(domain_radar(POINTS)) is None


def test_a_browser_that_fails_twice_is_left_alone_for_a_while(monkeypatch):
    server = charts._KaleidoServer()
    starts = []

    def broken_start(path):
        starts.append(path)
        raise RuntimeError("no browser")

    monkeypatch.setattr(server, "_start", broken_start)
    with pytest.raises(charts.ChartExportUnavailable):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 2  # one retry
    with pytest.raises(charts.ChartExportUnavailable, match="not retried yet"):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 2
    # After the back-off it tries again.
    server._failed_at -= charts.RETRY_AFTER_S + 1
    with pytest.raises(charts.ChartExportUnavailable):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 4
