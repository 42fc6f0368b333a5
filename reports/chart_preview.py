"""The results page's and the HTML gap report's two charts as static SVG, drawn in Python.

plotly.js is the heaviest thing a page can load (about 430 KB gzipped), and evaluating it is a
~0.8 s task on a phone: Lighthouse scored the results and report pages 83 and 85 (issue 13).
These pages therefore show each chart as an SVG image drawn here, in well under a millisecond
and without a browser, with the figures, colours and order of reports/charts.py; the
interactive plotly chart loads only when someone asks for it ("Interactive chart", see
static/js/charts.js). The figures are also in each chart's table. The PDF keeps plotly's own
SVG (reports/chart_svg.py): a print is not interactive, and it has its Chromium anyway.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reports.charts import (
    BLOCKER_COLOUR,
    FONT_FAMILY,
    GAP_COLOUR,
    GRID,
    INK,
    SCORE_COLOUR,
    TARGET_COLOUR,
    DomainPoint,
)

MUTED = "#57606a"
RADAR_WIDTH, RADAR_HEIGHT = 640, 440
BARS_WIDTH = 640


@dataclass(frozen=True)
class Preview:
    svg: str
    width: int
    height: int


def _svg(width: int, height: int, body: list[str]) -> Preview:
    return Preview(
        svg=(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{escape(FONT_FAMILY)}" fill="{INK}">'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>' + "".join(body) + "</svg>"
        ),
        width=width,
        height=height,
    )


def _text(
    x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", **extra: str
) -> str:
    attrs = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{attrs}>'
        f"{escape(text)}</text>"
    )


def _lines(x: float, y: float, lines: list[str], *, size: int, anchor: str) -> str:
    """Lines of text centred vertically on y."""
    top = y - (len(lines) - 1) * size * 0.6
    return "".join(
        _text(x, top + i * size * 1.2 + size * 0.35, line, size=size, anchor=anchor)
        for i, line in enumerate(lines)
    )


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width) or [text]


def radar_svg(points: Sequence[DomainPoint]) -> Preview:
    """Domain scores (filled) against targets (dashed) on a 0–100 radar, clockwise from the top.

    A domain without a score is a gap in the score line, never drawn as 0."""
    width, height = RADAR_WIDTH, RADAR_HEIGHT
    cx, cy, radius = width / 2, 200.0, 140.0
    count = len(points)
    body: list[str] = []

    def at(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        r = radius * max(0.0, min(value, 100.0)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for tick in (20, 40, 60, 80, 100):
        body.append(
            f'<circle cx="{cx}" cy="{cy}" r="{radius * tick / 100:.1f}" fill="none" '
            f'stroke="{GRID}"/>'
        )
    for index, point in enumerate(points):
        x, y = at(index, 100)
        body.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        lx, ly = at(index, 112)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        body.append(_lines(lx, ly, _wrap(point.label, 18), size=13, anchor=anchor))
    # The radial ticks sit between the first two spokes, as in the plotly chart.
    tick_angle = -math.pi / 2 + math.pi / max(count, 1)
    for tick in (20, 40, 60, 80, 100):
        r = radius * tick / 100
        x, y = cx + r * math.cos(tick_angle), cy + r * math.sin(tick_angle)
        body.append(_text(x + 3, y - 3, str(tick), size=11, fill=MUTED))

    if count:
        target = " ".join("{:.1f},{:.1f}".format(*at(i, p.target)) for i, p in enumerate(points))
        body.append(
            f'<polygon points="{target}" fill="none" stroke="{TARGET_COLOUR}" stroke-width="2" '
            'stroke-dasharray="7 5"/>'
        )
        scored = [(i, p.score) for i, p in enumerate(points) if p.score is not None]
        if len(scored) == count:
            polygon = " ".join("{:.1f},{:.1f}".format(*at(i, s)) for i, s in scored)
            body.append(
                f'<polygon points="{polygon}" fill="{SCORE_COLOUR}" fill-opacity="0.25" '
                f'stroke="{SCORE_COLOUR}" stroke-width="2"/>'
            )
        else:
            # Only neighbours that both have a score are joined.
            for (i, s), (j, t) in zip(scored, scored[1:] + scored[:1], strict=True):
                if j == (i + 1) % count and (i, s) != (j, t):
                    (x1, y1), (x2, y2) = at(i, s), at(j, t)
                    body.append(
                        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                        f'stroke="{SCORE_COLOUR}" stroke-width="2"/>'
                    )
        for i, s in scored:
            x, y = at(i, s)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{SCORE_COLOUR}"/>')
    # The legend, under the chart.
    ly = height - 18
    body.append(
        f'<line x1="{cx - 120}" y1="{ly}" x2="{cx - 90}" y2="{ly}" stroke="{TARGET_COLOUR}" '
        'stroke-width="2" stroke-dasharray="7 5"/>'
    )
    body.append(_text(cx - 84, ly + 4, "Target", size=13))
    body.append(
        f'<rect x="{cx + 10}" y="{ly - 7}" width="28" height="14" fill="{SCORE_COLOUR}" '
        f'fill-opacity="0.25" stroke="{SCORE_COLOUR}" stroke-width="2"/>'
    )
    body.append(_text(cx + 44, ly + 4, "Score", size=13))
    return _svg(width, height, body)


def gap_bars_svg(points: Sequence[DomainPoint]) -> Preview:
    """Points each scored domain is below its target, largest gap first; blocked ones red."""
    ordered = sorted(
        (p for p in points if p.score is not None and p.gap is not None),
        key=lambda p: -(p.gap or 0.0),
    )
    width = BARS_WIDTH
    height = max(260, 60 + 44 * len(ordered))
    left, right, top, bottom = 215.0, 50.0, 20.0, 50.0
    plot_width = width - left - right
    largest = max((p.gap or 0.0 for p in ordered), default=0.0)
    top_value = max(10.0, largest * 1.15)
    step = _tick_step(top_value)
    body: list[str] = []
    tick = 0.0
    while tick <= top_value + 1e-9:
        x = left + plot_width * tick / top_value
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="{GRID}"/>'
        )
        body.append(_text(x, height - bottom + 16, f"{tick:g}", size=11, anchor="middle"))
        tick += step
    body.append(
        _text(
            left + plot_width / 2,
            height - 10,
            "Points below target (0–100 scale)",
            size=12,
            anchor="middle",
        )
    )
    band = (height - top - bottom) / max(len(ordered), 1)
    for index, point in enumerate(ordered):
        gap = point.gap or 0.0
        middle = top + band * (index + 0.5)
        bar = band * 0.65
        length = plot_width * gap / top_value
        colour = BLOCKER_COLOUR if point.blocked else GAP_COLOUR
        body.append(
            f'<rect x="{left:.1f}" y="{middle - bar / 2:.1f}" width="{length:.1f}" '
            f'height="{bar:.1f}" fill="{colour}"/>'
        )
        body.append(_text(left + length + 6, middle + 4, f"{gap:.1f}", size=13))
        body.append(_lines(left - 8, middle, _wrap(point.label, 28), size=13, anchor="end"))
    if not ordered or largest == 0:
        message = (
            "No gaps: every scored domain meets its target"
            if ordered
            else "No domain has a score yet"
        )
        body.append(_text(width / 2, height / 2, message, size=14, anchor="middle"))
    return _svg(width, height, body)


def _tick_step(top: float) -> float:
    """A round step giving about five ticks between 0 and `top`."""
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude
