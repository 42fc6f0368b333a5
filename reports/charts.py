"""Plotly figures for results and reports; the only module that imports plotly (and kaleido).

A figure is built once from plain data and drawn two ways: in the browser by plotly.js from
the app's static files (`figure_html_payload`), and as SVG in the PDF (`figure_svg`) by kaleido
driving a local Chromium. Without a Chromium `figure_svg` returns None and the PDF shows the
chart's data as a table instead (`manage.py check` warns, see reports/checks.py).

Chromium is expensive to start (about 1.5 s), so one kaleido browser is kept warm in a
background thread with its own event loop and reused for every figure; SVGs are cached by a
hash of the figure JSON, in the process and in Django's cache (several app processes share it).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import hashlib
import json
import logging
import os
import shutil
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

logger = logging.getLogger(__name__)

# Plotly's default font is not installed on most servers; these are, and WeasyPrint and
# Chromium resolve them the same way, so the PDF's charts match its text.
FONT_FAMILY = "Liberation Sans, Arial, Helvetica, sans-serif"
INK = "#1d2733"
GRID = "#d0d7de"
SCORE_COLOUR = "#0b5d6b"
TARGET_COLOUR = "#8c959f"
GAP_COLOUR = "#b54708"
BLOCKER_COLOUR = "#b42318"

# Size of the charts in the PDF (CSS pixels; the PDF scales the SVG to the column width).
SVG_WIDTH = 760
SVG_HEIGHT = 480
SVG_TIMEOUT_S = 30.0
# Bumped whenever the SVG export changes in a way the figure JSON does not show.
EXPORT_VERSION = "1"

PLOTLY_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly-4.1.1.min.js"

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainPoint:
    """One domain on a chart: its title, score (None when it has none), target and gap."""

    label: str
    score: float | None
    target: float
    gap: float | None = None
    blocked: bool = False


def wrap_label(text: str, width: int = 18) -> str:
    """Break a long axis label into lines (plotly draws "<br>" as a line break)."""
    return "<br>".join(textwrap.wrap(text, width=width)) or text


def _base_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 40, "r": 40, "t": 30, "b": 30},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.08},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    layout.update(extra)
    return layout


def domain_radar(points: Sequence[DomainPoint]) -> go.Figure:
    """Domain scores against their targets on a 0–100 radar.

    A domain without a score is a gap in the score line (never drawn as 0).
    """
    labels = [wrap_label(p.label) for p in points]
    scores = [p.score for p in points]
    targets = [p.target for p in points]
    # Close the polygon by repeating the first point.
    theta = [*labels, labels[0]] if labels else []
    fig = go.Figure()
    fig.add_trace(
        go.Scatterpolar(
            name="Target",
            r=[*targets, targets[0]] if targets else [],
            theta=theta,
            mode="lines",
            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
            hovertemplate="%{theta}: target %{r}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatterpolar(
            name="Score",
            r=[*scores, scores[0]] if scores else [],
            theta=theta,
            mode="lines+markers",
            fill="toself",
            fillcolor="rgba(11, 93, 107, 0.25)",
            line={"color": SCORE_COLOUR, "width": 2},
            marker={"size": 7},
            connectgaps=False,
            hovertemplate="%{theta}: score %{r}<extra></extra>",
        )
    )
    fig.update_layout(
        **_base_layout(
            polar={
                "radialaxis": {
                    "range": [0, 100],
                    "tickvals": [20, 40, 60, 80, 100],
                    "gridcolor": GRID,
                    "linecolor": GRID,
                    "tickfont": {"size": 10, "color": "#57606a"},
                    # Between the first two spokes, so the ticks never sit on a domain label.
                    "angle": 90 - 180 / max(len(points), 1),
                },
                "angularaxis": {
                    "gridcolor": GRID,
                    "linecolor": GRID,
                    "direction": "clockwise",
                    "rotation": 90,
                    "tickfont": {"size": 11},
                },
                "bgcolor": "#ffffff",
            },
            margin={"l": 120, "r": 120, "t": 70, "b": 50},
            height=SVG_HEIGHT,
        )
    )
    return fig


def gap_bars(points: Sequence[DomainPoint]) -> go.Figure:
    """How far each scored domain is below its target, largest gap at the top.

    Domains without a score have no gap and are left out; blocked domains are drawn red.
    """
    scored = [p for p in points if p.score is not None and p.gap is not None]
    # Largest gap first; plotly draws the first category of a horizontal bar at the bottom.
    ordered = sorted(scored, key=lambda p: -(p.gap or 0.0))[::-1]
    fig = go.Figure(
        go.Bar(
            name="Gap to target",
            orientation="h",
            x=[p.gap for p in ordered],
            y=[wrap_label(p.label, 30) for p in ordered],
            text=[f"{p.gap:.1f}" for p in ordered],
            textposition="outside",
            cliponaxis=False,
            marker={"color": [BLOCKER_COLOUR if p.blocked else GAP_COLOUR for p in ordered]},
            hovertemplate="%{y}: gap %{x}<extra></extra>",
        )
    )
    largest = max((p.gap or 0.0 for p in ordered), default=0.0)
    annotations = []
    if not ordered or largest == 0:
        annotations.append(
            {
                "text": "No gaps: every scored domain meets its target"
                if ordered
                else "No domain has a score yet",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 14},
            }
        )
    fig.update_layout(
        **_base_layout(
            showlegend=False,
            xaxis={
                "title": {"text": "Points below target (0–100 scale)"},
                "range": [0, max(10.0, largest * 1.15)],
                "gridcolor": GRID,
                "zeroline": True,
                "zerolinecolor": GRID,
            },
            yaxis={"automargin": True, "tickfont": {"size": 12}},
            margin={"l": 20, "r": 40, "t": 20, "b": 50},
            height=max(260, 60 + 44 * len(ordered)),
            bargap=0.35,
            annotations=annotations,
        )
    )
    return fig


def figure_html_payload(fig: go.Figure) -> dict[str, Any]:
    """What static/js/charts.js passes to Plotly.newPlot, as plain JSON-ready data.

    Templates emit it with `json_script` (a non-executing, escaped JSON block), so no inline
    script is needed under the strict Content-Security-Policy.
    """
    payload: dict[str, Any] = json.loads(fig.to_json())
    payload["layout"]["autosize"] = True
    payload["config"] = {
        "displaylogo": False,
        "responsive": True,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "toImage"],
    }
    return payload


def figure_hash(fig: go.Figure, width: int = SVG_WIDTH, height: int | None = None) -> str:
    raw = json.dumps(
        [EXPORT_VERSION, fig.to_plotly_json(), width, height],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Chromium and the warm kaleido browser -----------------------------------------------------


def find_chromium() -> str | None:
    """The Chromium (or Chrome) kaleido drives: settings.CHROMIUM_PATH, else the first on PATH."""
    from django.conf import settings

    configured = getattr(settings, "CHROMIUM_PATH", "") or ""
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _KaleidoServer:
    """One kaleido browser in a daemon thread running its own event loop.

    Callers in any thread submit coroutines with run_coroutine_threadsafe and wait with a
    timeout, so a hung Chromium never hangs a request forever; a failed render restarts it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._path: str | None = None

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def _start(self, path: str) -> None:
        import kaleido

        # kaleido reads the browser from BROWSER_PATH when no path is passed (choreographer).
        os.environ.setdefault("BROWSER_PATH", path)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
        thread.start()

        async def open_browser() -> Any:
            # mathjax=False: kaleido's default loads MathJax from a CDN, and the app must
            # work offline. plotly.js comes from the same vendored file the browser gets.
            k = kaleido.Kaleido(n=1, mathjax=False, plotlyjs=str(PLOTLY_JS), path=path)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(60)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            raise
        self._loop, self._thread, self._path = loop, thread, path

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        loop, k = self._loop, self._kaleido
        self._kaleido = None
        self._loop = None
        if loop is None:
            return
        if k is not None:
            try:
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
            except Exception:  # the browser may already be gone
                logger.debug("kaleido close failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    def render_svg(self, fig: go.Figure, path: str, width: int, height: int) -> str:
        # One render at a time: kaleido has one tab, and the lock also guards (re)starts.
        with self._lock:
            for attempt in (1, 2):
                if self._kaleido is None or self._path != path:
                    self._stop_locked()
                    self._start(path)
                assert self._loop is not None
                future: Future[bytes] = asyncio.run_coroutine_threadsafe(
                    self._kaleido.calc_fig(
                        fig, opts={"format": "svg", "width": width, "height": height}
                    ),
                    self._loop,
                )
                try:
                    data = future.result(SVG_TIMEOUT_S)
                    return data.decode("utf-8")
                except Exception:
                    future.cancel()
                    logger.warning("kaleido render failed (attempt %d)", attempt, exc_info=True)
                    self._stop_locked()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")


_server = _KaleidoServer()
atexit.register(_server.stop)

_svg_cache: OrderedDict[str, str] = OrderedDict()
_svg_cache_lock = threading.Lock()
_SVG_CACHE_SIZE = 64


def _render_svg(fig: go.Figure, path: str, width: int, height: int) -> str:
    """Draw a figure with the warm kaleido browser (tests count calls to this)."""
    return _server.render_svg(fig, path, width, height)


def clear_svg_cache() -> None:
    """Forget cached SVGs in this process (the Django cache keeps its own copies)."""
    with _svg_cache_lock:
        _svg_cache.clear()


def figure_svg(fig: go.Figure, *, width: int = SVG_WIDTH, use_cache: bool = True) -> str | None:
    """The figure as an SVG document, or None when no Chromium is available or it fails."""
    from django.core.cache import cache

    height = int(fig.layout.height or SVG_HEIGHT)
    key = figure_hash(fig, width, height)
    cache_key = f"reports:svg:{key}"
    if use_cache:
        with _svg_cache_lock:
            svg = _svg_cache.get(key)
            if svg is not None:
                _svg_cache.move_to_end(key)
                return svg
        svg = cache.get(cache_key)
        if svg is not None:
            _remember(key, svg)
            return str(svg)
    path = find_chromium()
    if path is None:
        return None
    try:
        svg = _render_svg(fig, path, width, height)
    except Exception:
        logger.exception("Chart export to SVG failed; the PDF shows the chart's data instead")
        return None
    _remember(key, svg)
    cache.set(cache_key, svg, timeout=None)
    return svg


def _remember(key: str, svg: str) -> None:
    with _svg_cache_lock:
        _svg_cache[key] = svg
        _svg_cache.move_to_end(key)
        while len(_svg_cache) > _SVG_CACHE_SIZE:
            _svg_cache.popitem(last=False)


def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URL for an <img> in the PDF (WeasyPrint draws it as vectors)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def stop_kaleido() -> None:
    """Close the warm browser (tests and the benchmark use it to measure a cold start)."""
    _server.stop()
