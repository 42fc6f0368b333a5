"""The static SVG pictures of the results page's and HTML report's charts (issue 13)."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

from django.test import Client
from django.urls import reverse

from reports.chart_preview import gap_bars_svg, radar_svg
from reports.charts import BLOCKER_COLOUR, GAP_COLOUR, SCORE_COLOUR, DomainPoint

SVG = "{http://www.w3.org/2000/svg}"

POINTS = [
    DomainPoint("Governance <& accountability>", 72.5, 70.0, 0.0),
    DomainPoint("Data protection", None, 60.0, None),
    DomainPoint("Clinical safety", 40.0, 75.0, 35.0, blocked=True),
    DomainPoint("Workforce", 55.0, 60.0, 5.0),
]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_the_radar_is_well_formed_svg_with_every_domain_and_the_legend():
    preview = radar_svg(POINTS)
    root = _parse(preview.svg)
    assert (root.get("width"), root.get("height")) == (str(preview.width), str(preview.height))
    words = " ".join(_texts(root))
    # Labels are escaped text, not markup.
    assert "Governance <&" in words
    assert "accountability>" in words
    for label in ("Data protection", "Clinical safety", "Workforce", "Target", "Score"):
        assert label in words
    # The target is one dashed polygon through every domain.
    dashed = [p for p in root.iter(f"{SVG}polygon") if p.get("stroke-dasharray")]
    assert len(dashed) == 1
    assert len(dashed[0].get("points", "").split()) == len(POINTS)


def test_a_domain_without_a_score_is_a_gap_in_the_score_line_not_a_zero():
    root = _parse(radar_svg(POINTS).svg)
    # With a score missing there is no filled score polygon, and one marker per scored domain.
    filled = [p for p in root.iter(f"{SVG}polygon") if p.get("fill-opacity")]
    assert filled == []
    markers = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "3.5"]
    assert len(markers) == 3
    # Only neighbours that both have a score are joined: Clinical safety - Workforce and
    # Workforce - Governance (around the circle), never through Data protection.
    score_lines = [line for line in root.iter(f"{SVG}line") if line.get("stroke") == SCORE_COLOUR]
    assert len(score_lines) == 2
    all_scored = [DomainPoint(p.label, p.score or 10.0, p.target, p.gap) for p in POINTS]
    assert [
        p for p in _parse(radar_svg(all_scored).svg).iter(f"{SVG}polygon") if p.get("fill-opacity")
    ]


def test_the_gap_bars_are_largest_first_and_red_where_a_domain_is_blocked():
    root = _parse(gap_bars_svg(POINTS).svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") in {GAP_COLOUR, BLOCKER_COLOUR}]
    # Scored domains only (Data protection has no gap), largest first from the top.
    assert [r.get("fill") for r in bars] == [BLOCKER_COLOUR, GAP_COLOUR, GAP_COLOUR]
    widths = [float(r.get("width", "0")) for r in bars]
    assert widths == sorted(widths, reverse=True)
    words = _texts(root)
    assert "35.0" in words
    assert "5.0" in words
    assert "Points below target (0–100 scale)" in words


def test_the_gap_bars_say_so_when_there_is_nothing_to_show():
    assert "No domain has a score yet" in _texts(_parse(gap_bars_svg([]).svg))
    met = [DomainPoint("A", 80.0, 70.0, 0.0)]
    assert "No gaps: every scored domain meets its target" in _texts(_parse(gap_bars_svg(met).svg))


def test_the_results_page_shows_the_pictures_and_offers_the_interactive_charts(world):
    from tests import factories

    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = Client()
    client.force_login(world.alice)
    html = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    images = re.findall(
        r'<img class="chart-preview" src="data:image/svg\+xml;base64,([^"]+)"', html
    )
    assert len(images) == 2
    for encoded in images:
        _parse(base64.b64decode(encoded).decode())
    assert html.count("data-chart-on-demand") == 2
    assert html.count('data-chart-interactive="') == 2
    # plotly.js and its style sheet are only named for charts.js to load on demand.
    assert 'rel="stylesheet" id="plotly.js-style-global"' not in html
    assert re.search(
        r'<script src="[^"]*charts[^"]*\.js" data-plotly-src="[^"]+" data-plotly-css="[^"]+"', html
    )
