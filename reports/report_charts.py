"""The two charts of the results page and the gap report, with their data as tables.

Each chart carries what one output needs: for a page a static SVG image to show at once
(reports/chart_preview.py, "html"), the plotly.js figure of its interactive version, fetched
only when someone asks for it ("interactive", reports.views.chart_data), an SVG for the PDF,
a PNG for Word, or nothing (the layout-only baseline of bench/pdf.py). Its table is always there:
screen readers read it, and the PDF shows it when no SVG could be drawn.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from assessments.scoring import threshold_words
from reports import chart_preview, chart_svg, charts
from reports.gaps import DomainGap

ChartMode = Literal["html", "interactive", "svg", "png", "none"]

NO_SVG_NOTE = (
    "The chart could not be drawn on this server (no Chromium browser was found for the "
    "chart export); its data is shown as a table instead."
)


@dataclass
class Chart:
    id: str
    title: str
    caption: str
    columns: tuple[str, ...]
    table: list[tuple[str, ...]]
    payload: dict[str, Any] | None = None  # for plotly.js in the browser ("interactive")
    preview_uri: str = ""  # the static SVG the page shows until plotly.js is asked for
    preview_width: int = 0
    preview_height: int = 0
    svg: str | None = None  # for the PDF
    svg_data_uri: str = ""
    png: bytes | None = None  # for the Word report (reports/report_docx.py)
    note: str = ""


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@functools.lru_cache(maxsize=256)
def _figures(points: tuple[charts.DomainPoint, ...]) -> tuple[Any, Any]:
    """The two figures of a report, built once per distinct set of scores and targets.

    Building a plotly figure is most of a results page's time, and the same numbers come
    back on every view of an unchanged assessment. Figures are not changed after this.
    """
    return charts.domain_radar(points), charts.gap_bars(points)


@functools.lru_cache(maxsize=256)
def _html_payloads(points: tuple[charts.DomainPoint, ...]) -> tuple[Any, Any]:
    radar, gaps = _figures(points)
    return charts.figure_html_payload(radar), charts.figure_html_payload(gaps)


@functools.lru_cache(maxsize=256)
def _previews(points: tuple[charts.DomainPoint, ...]) -> tuple[chart_preview.Preview, ...]:
    return chart_preview.radar_svg(points), chart_preview.gap_bars_svg(points)


def report_charts(
    domains: Sequence[DomainGap], mode: ChartMode, blocker_below: Fraction
) -> list[Chart]:
    """The radar and the gap bars of the applicable `domains`, in instrument order."""
    points = tuple(
        charts.DomainPoint(
            label=d.title,
            score=None if d.score is None else float(d.score),
            target=float(d.target),
            gap=None if d.gap is None else float(d.gap),
            blocked=bool(d.blockers),
        )
        for d in domains
    )
    radar = Chart(
        id="chart-radar",
        title="Domain scores against targets",
        caption=(
            "Score of each domain (0–100, filled) against its target (dashed). Domains that "
            "do not apply are left out; a domain without a score yet leaves a gap in the line."
        ),
        columns=("Domain", "Score", "Target"),
        table=[(d.title, _fmt(d.score), _fmt(d.target)) for d in domains],
    )
    gap_chart = Chart(
        id="chart-gaps",
        title="Gap to target per domain",
        caption=(
            "Points each scored domain is below its target, largest first. Red bars mark "
            "domains with a blocker (a critical safeguard below "
            f"{threshold_words(blocker_below)} of its top answer)."
        ),
        columns=("Domain", "Gap", "Blockers"),
        table=[
            (d.title, _fmt(d.gap), str(d.blockers) if d.blockers else "—")
            for d in sorted(
                (d for d in domains if d.gap is not None),
                key=lambda d: (-(d.gap or Decimal(0)), d.order),
            )
        ],
    )
    if mode == "interactive":
        radar.payload, gap_chart.payload = _html_payloads(points)
    elif mode == "html":
        # Building the plotly figures was a tenth of the server's time under load
        # (bench/load.py): a page gets the pictures, and the figures only on request.
        for chart, preview in zip((radar, gap_chart), _previews(points), strict=True):
            chart.preview_uri = chart_svg.svg_data_uri(preview.svg)
            chart.preview_width, chart.preview_height = preview.width, preview.height
    elif mode == "svg":
        for chart, figure in zip((radar, gap_chart), _figures(points), strict=True):
            chart.svg = chart_svg.figure_svg(figure)
            if chart.svg is None:
                chart.note = NO_SVG_NOTE
            else:
                chart.svg_data_uri = chart_svg.svg_data_uri(chart.svg)
    elif mode == "png":
        for chart, figure in zip((radar, gap_chart), _figures(points), strict=True):
            chart.png = chart_svg.figure_png(figure)
            if chart.png is None:
                chart.note = NO_SVG_NOTE
    return [radar, gap_chart]
