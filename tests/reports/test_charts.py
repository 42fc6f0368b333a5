"""Chart figures (asserted on fig.to_dict()), the browser payload and the SVG export."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from reports import chart_svg, charts
from reports.chart_svg import figure_svg
from reports.charts import DomainPoint, domain_radar, figure_html_payload, gap_bars
from tests.conftest import without_chromium

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
    assert chart_svg.find_chromium() is None


def test_find_chromium_prefers_the_headless_shell_on_the_path(settings, tmp_path, monkeypatch):
    settings.CHROMIUM_PATH = ""
    for name in ("chromium", "chromium-headless-shell"):
        browser = tmp_path / name
        browser.write_text("#!/bin/sh\n")
        browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert chart_svg.find_chromium() == str(tmp_path / "chromium-headless-shell")
    (tmp_path / "chromium-headless-shell").unlink()
    assert chart_svg.find_chromium() == str(tmp_path / "chromium")


@pytest.fixture
def clean_svg_caches():
    chart_svg.clear_svg_cache()
    cache.clear()
    yield
    chart_svg.clear_svg_cache()
    cache.clear()


def test_figure_svg_exports_with_chromium_and_caches_by_content(
    chromium, clean_svg_caches, monkeypatch
):
    calls = []
    real = chart_svg._render_svg

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(chart_svg, "_render_svg", counting)
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
    chart_svg.clear_svg_cache()
    assert figure_svg(fig) == svg
    assert len(calls) == 1
    # A different figure is exported.
    assert figure_svg(gap_bars(POINTS)) is not None
    assert len(calls) == 2


def test_one_warm_kaleido_browser_serves_several_figures(chromium, clean_svg_caches, monkeypatch):
    chart_svg.stop_kaleido()
    starts = []
    real_start = chart_svg._server._start

    def counting_start(path):
        starts.append(path)
        real_start(path)

    monkeypatch.setattr(chart_svg._server, "_start", counting_start)
    assert figure_svg(domain_radar(POINTS)) is not None
    assert chart_svg._server.running
    assert figure_svg(gap_bars(POINTS)) is not None
    assert starts == [chromium]


def test_figure_svg_is_none_without_a_browser(monkeypatch, clean_svg_caches):
    without_chromium(monkeypatch)
    monkeypatch.setattr(chart_svg, "_render_svg", lambda *a: pytest.fail("kaleido was called"))
    assert figure_svg(domain_radar(POINTS)) is None


def test_a_failed_export_gives_none_instead_of_an_error(chromium, monkeypatch, clean_svg_caches):
    def broken(*args):
        raise RuntimeError("browser crashed")

    monkeypatch.setattr(chart_svg, "_render_svg", broken)
    assert figure_svg(domain_radar(POINTS)) is None


def test_a_browser_that_fails_twice_is_left_alone_for_a_while(monkeypatch):
    server = chart_svg._ChartExporter()
    starts = []

    def broken_start(path):
        starts.append(path)
        raise RuntimeError("no browser")

    monkeypatch.setattr(server, "_start", broken_start)
    with pytest.raises(chart_svg.ChartExportUnavailable):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 2  # one retry
    with pytest.raises(chart_svg.ChartExportUnavailable, match="not retried yet"):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 2
    # After the back-off it tries again.
    server._failed_at -= chart_svg.RETRY_AFTER_S + 1
    with pytest.raises(chart_svg.ChartExportUnavailable):
        server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert len(starts) == 4


def test_a_server_stuck_in_a_render_is_replaced_and_its_browser_killed(
    chromium, clean_svg_caches, monkeypatch
):
    """A render that never ends keeps kaleido's server thread busy, so stopping the server
    never finishes: the exporter gives kaleido a new server and kills the stuck browser,
    instead of handing every later figure to the stuck thread."""
    import asyncio
    import threading

    from kaleido import Kaleido

    release = threading.Event()
    real_calc = Kaleido.calc_fig
    calls = []

    async def second_call_hangs(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            while not release.is_set():
                await asyncio.sleep(0.05)
            raise RuntimeError("released at the end of the test")
        return await real_calc(self, *args, **kwargs)

    monkeypatch.setattr(Kaleido, "calc_fig", second_call_hangs)
    monkeypatch.setattr(chart_svg, "SVG_TIMEOUT_S", 1.0)
    monkeypatch.setattr(chart_svg, "STOP_TIMEOUT_S", 1.0)
    chart_svg.stop_kaleido()
    try:
        assert figure_svg(domain_radar(POINTS)) is not None  # a warm server
        (first_browser,) = chart_svg.browser_wrappers()
        svg = figure_svg(gap_bars(POINTS))  # hangs, then drawn by a new server
        browsers = chart_svg.browser_wrappers()
    finally:
        release.set()
    assert svg is not None
    assert svg.lstrip().startswith("<svg")
    assert len(calls) == 3
    # The stuck browser was killed; the one left is the new server's.
    assert len(browsers) == 1
    assert browsers != [first_browser]


class _FakeKaleido:
    """Stands in for kaleido's sync server: starts, stops and renders as told."""

    def __init__(self, monkeypatch, server, renders):
        self.starts: list[str] = []
        self.stops = 0
        self.renders = list(renders)
        self.server = server
        monkeypatch.setattr(server, "_start", self.start)
        import kaleido

        monkeypatch.setattr(kaleido, "calc_fig_sync", self.calc)
        monkeypatch.setattr(kaleido, "stop_sync_server", self.stop)

    def start(self, path):
        self.starts.append(path)
        self.server._path = path

    def stop(self, **kwargs):
        self.stops += 1

    def calc(self, fig, opts):
        outcome = self.renders.pop(0)
        return outcome()


def test_a_browser_that_crashed_is_restarted_and_the_figure_drawn(monkeypatch):
    server = chart_svg._ChartExporter()

    def crash():
        raise RuntimeError("browser closed")

    fake = _FakeKaleido(monkeypatch, server, [crash, lambda: b"<svg>drawn</svg>"])
    svg = server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    assert svg == "<svg>drawn</svg>"
    assert fake.starts == ["/usr/bin/chromium", "/usr/bin/chromium"]
    assert fake.stops == 1


def test_a_hung_render_gives_up_at_the_deadline_instead_of_waiting_for_ever(monkeypatch):
    import threading
    import time

    server = chart_svg._ChartExporter()
    release = threading.Event()
    monkeypatch.setattr(chart_svg, "SVG_TIMEOUT_S", 0.2)
    monkeypatch.setattr(chart_svg, "START_TIMEOUT_S", 0.0)
    fake = _FakeKaleido(monkeypatch, server, [release.wait, release.wait])
    started = time.monotonic()
    try:
        with pytest.raises(chart_svg.ChartExportUnavailable, match="failed twice"):
            server.render_svg(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
    finally:
        release.set()
    assert time.monotonic() - started < 3
    # Each hung attempt was abandoned and the server restarted.
    assert (len(fake.starts), fake.stops) == (2, 2)


def test_renders_from_several_threads_run_one_at_a_time(monkeypatch):
    import threading
    import time

    server = chart_svg._ChartExporter()
    busy: list[int] = []
    most = []

    def render():
        busy.append(1)
        most.append(len(busy))
        time.sleep(0.05)
        busy.pop()
        return b"<svg/>"

    _FakeKaleido(monkeypatch, server, [render] * 4)
    threads = [
        threading.Thread(
            target=server.render_svg, args=(domain_radar(POINTS), "/usr/bin/chromium", 100, 100)
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == [1, 1, 1, 1]
