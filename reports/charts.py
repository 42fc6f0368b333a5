"""Plotly figures for results, reports and comparisons; the only module that builds them.

A figure is built once from plain data and drawn two ways: in the browser by plotly.js from
the app's static files (`figure_html_payload`), and as SVG in the PDF by reports/chart_svg.py,
which holds the Chromium lookup, the kaleido server and the SVG caches.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from reports import vendor

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

PLOTLY_JS = Path(__file__).resolve().parent.parent / "static" / vendor.PLOTLY_JS


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
            yaxis={"automargin": True, "tickfont": {"size": 12}, "ticklabelstandoff": 8},
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
        # No mode bar: its buttons would be focusable controls inside an element that is an
        # image to assistive technology (role="img"), and zooming a radar adds nothing.
        "displayModeBar": False,
    }
    return payload


# --- comparison across sites (reports/comparison supplies the data) -------------------------

# One colour per maturity level, as the level badges of the app (static/css/app.css).
LEVEL_COLOURS = ("#b42318", "#b54708", "#8a6d00", "#2e7d32", "#0b5d6b")
LEVEL_LABELS = ("1 Initial", "2 Developing", "3 Defined", "4 Managed", "5 Optimising")
MISSING_COLOUR = "#eef1f4"
MEDIAN_COLOUR = "#1d2733"


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def comparison_heatmap(
    sites: Sequence[str],
    domains: Sequence[str],
    scores: Sequence[Sequence[float | None]],
    levels: Sequence[Sequence[int | None]],
    links: Sequence[str] = (),
) -> go.Figure:
    """Domains across, sites down: each cell coloured by maturity level, labelled with its score.

    A cell without a score is grey with "—" (never drawn as 0). `links` (one per site) go in
    customdata, for static/js/charts.js to open a site's results on click.
    """
    x = [wrap_label(d, 16) for d in domains]
    y = [_short(s) for s in sites]
    z = [[lvl if lvl is not None else None for lvl in row] for row in levels]
    text = [
        [
            "" if s is None or lvl is None else f"{s:.1f} · L{lvl}"
            for s, lvl in zip(score_row, level_row, strict=True)
        ]
        for score_row, level_row in zip(scores, levels, strict=True)
    ]
    hover = [
        [
            f"{site}<br>{domain}<br>"
            + (
                f"score {s:.1f}, level {LEVEL_LABELS[lvl - 1]}"
                if s is not None and lvl
                else "no score"
            )
            for domain, s, lvl in zip(domains, score_row, level_row, strict=True)
        ]
        for site, score_row, level_row in zip(sites, scores, levels, strict=True)
    ]
    custom = [[link] * len(domains) for link in links] if links else None
    # Five bands of one flat colour each: z is the level, 1..5.
    colourscale: list[list[Any]] = []
    for index, colour in enumerate(LEVEL_COLOURS):
        colourscale.append([index / 5, colour])
        colourscale.append([(index + 1) / 5, colour])
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            name="Not scored",
            x=x,
            y=y,
            z=[[1 if lvl is None else None for lvl in row] for row in levels],
            text=[["—" if lvl is None else "" for lvl in row] for row in levels],
            texttemplate="%{text}",
            textfont={"color": INK, "size": 13},
            colorscale=[[0, MISSING_COLOUR], [1, MISSING_COLOUR]],
            showscale=False,
            hovertext=hover,
            hoverinfo="text",
            xgap=2,
            ygap=2,
        )
    )
    fig.add_trace(
        go.Heatmap(
            name="Level",
            x=x,
            y=y,
            z=z,
            zmin=0.5,
            zmax=5.5,
            text=text,
            texttemplate="%{text}",
            textfont={"color": "#ffffff", "size": 12},
            colorscale=colourscale,
            # plotly.js draws a colour bar with inline style attributes, which the strict CSP
            # blocks: the page shows the level colours as an HTML legend instead.
            showscale=False,
            hovertext=hover,
            hoverinfo="text",
            customdata=custom,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        **_base_layout(
            showlegend=False,
            xaxis={"side": "top", "tickfont": {"size": 11}, "fixedrange": True},
            yaxis={
                "autorange": "reversed",
                "automargin": True,
                "fixedrange": True,
                "tickfont": {"size": 12},
            },
            margin={"l": 20, "r": 20, "t": 90, "b": 20},
            height=max(260, 120 + 36 * len(sites)),
        )
    )
    return fig


@dataclass(frozen=True)
class TrendSeries:
    """One site's overall score per round (None where it has no submitted round)."""

    label: str
    scores: tuple[float | None, ...]
    highlight: bool = False


def trend_lines(
    rounds: Sequence[str], series: Sequence[TrendSeries], median: Sequence[float | None] = ()
) -> go.Figure:
    """Overall score of each site across rounds, with the median of every compared site."""
    fig = go.Figure()
    for item in series:
        fig.add_trace(
            go.Scatter(
                name=_short(item.label, 28),
                x=list(rounds),
                y=list(item.scores),
                mode="lines+markers",
                connectgaps=True,
                line={"width": 4 if item.highlight else 2},
                hovertemplate=f"{item.label}<br>%{{x}}: %{{y:.1f}}<extra></extra>",
            )
        )
    if median:
        fig.add_trace(
            go.Scatter(
                name="Median of all compared sites",
                x=list(rounds),
                y=list(median),
                mode="lines+markers",
                connectgaps=True,
                line={"color": MEDIAN_COLOUR, "width": 3, "dash": "dash"},
                marker={"symbol": "diamond", "size": 9},
                hovertemplate="Median<br>%{x}: %{y:.1f}<extra></extra>",
            )
        )
    fig.update_layout(
        **_base_layout(
            xaxis={"type": "category", "title": {"text": "Round"}, "gridcolor": GRID},
            yaxis={"range": [0, 100], "title": {"text": "Overall score"}, "gridcolor": GRID},
            legend={"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left"},
            margin={"l": 60, "r": 20, "t": 20, "b": 50},
            height=420,
        )
    )
    return fig


@dataclass(frozen=True)
class DistributionBox:
    """The spread of one domain's scores across sites: five numbers and, if few, the points."""

    label: str
    count: int
    minimum: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    maximum: float | None = None
    points: tuple[tuple[str, float], ...] = ()


def domain_distribution(boxes: Sequence[DistributionBox]) -> go.Figure:
    """One box per domain (whiskers from the lowest to the highest site), sites as dots.

    The quartiles come computed, so that thousands of sites cost five numbers per domain.
    """
    scored = [b for b in boxes if b.count]
    fig = go.Figure()
    fig.add_trace(
        go.Box(
            name="Sites",
            x=[wrap_label(b.label, 16) for b in scored],
            q1=[b.q1 for b in scored],
            median=[b.median for b in scored],
            q3=[b.q3 for b in scored],
            lowerfence=[b.minimum for b in scored],
            upperfence=[b.maximum for b in scored],
            marker={"color": SCORE_COLOUR},
            line={"color": SCORE_COLOUR},
            fillcolor="rgba(11, 93, 107, 0.18)",
            boxpoints=False,
            hoverinfo="y",
        )
    )
    xs: list[str] = []
    ys: list[float] = []
    names: list[str] = []
    for box in scored:
        for name, value in box.points:
            xs.append(wrap_label(box.label, 16))
            ys.append(value)
            names.append(name)
    if xs:
        fig.add_trace(
            go.Scatter(
                name="One site",
                x=xs,
                y=ys,
                text=names,
                mode="markers",
                marker={"color": GAP_COLOUR, "size": 6, "opacity": 0.7},
                hovertemplate="%{text}: %{y:.1f}<extra></extra>",
            )
        )
    fig.update_layout(
        **_base_layout(
            yaxis={"range": [0, 100], "title": {"text": "Domain score"}, "gridcolor": GRID},
            xaxis={"tickfont": {"size": 11}},
            margin={"l": 60, "r": 20, "t": 20, "b": 60},
            height=440,
        )
    )
    return fig
