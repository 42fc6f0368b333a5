"""The vendored plotly.js bundle holds every trace type the charts use, at the one version named."""

from __future__ import annotations

import ast
import gzip
import json
import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from reports import vendor

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / vendor.PLOTLY_JS
BUILD = ROOT / "static" / "vendor" / "plotly-build"


def _trace_types_in_charts() -> set[str]:
    """The plotly trace types reports/charts.py builds (every `go.<Trace>(...)` call)."""
    tree = ast.parse((ROOT / "reports" / "charts.py").read_text())
    types = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "go"
        ):
            cls = getattr(go, node.func.attr)
            if isinstance(cls, type) and issubclass(cls, BaseTraceType):
                types.add(cls().type)
    return types


def _trace_types_in_bundle() -> set[str]:
    # Each trace module plotly.js registers is an object literal starting like this, minified.
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text()))


def test_the_bundle_registers_every_trace_type_the_charts_draw_and_no_other():
    used = _trace_types_in_charts()
    assert used == {"scatterpolar", "bar", "heatmap", "box", "scatter"}
    assert _trace_types_in_bundle() == used


def test_the_build_pins_the_plotly_version_that_reports_vendor_names():
    package = json.loads((BUILD / "package.json").read_text())
    lock = json.loads((BUILD / "package-lock.json").read_text())
    assert package["devDependencies"]["plotly.js"] == vendor.PLOTLY_VERSION
    assert lock["packages"]["node_modules/plotly.js"]["version"] == vendor.PLOTLY_VERSION
    assert f'version="{vendor.PLOTLY_VERSION}"' in BUNDLE.read_text()


def test_the_bundle_is_a_third_of_the_full_plotly_and_fetches_nothing_from_outside():
    raw = BUNDLE.read_bytes()
    # The full plotly.js 4.1.1 is 4.8 MB, 1.43 MB gzipped.
    assert len(gzip.compress(raw, 9)) < 450_000
    assert b"maplibre" not in raw
    assert b"sourceMappingURL" not in raw


# The DOM needs these identifiers exactly (createElementNS, setAttributeNS); nothing is ever
# fetched from them.
XML_NAMESPACES = {
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/XML/1998/namespace",
}


def test_the_bundle_names_no_address_outside_the_app():
    # plotly's defaults named its CDN (geo topojson), Chart Studio and plotly.com; the app must
    # work offline, so the build points them at the app and the documentation links in
    # attribute descriptions lose their scheme (static/vendor/build-plotly.sh).
    text = BUNDLE.read_text(encoding="utf-8")
    addresses = set(re.findall(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'`)\\]*""", text))
    assert addresses - XML_NAMESPACES == set()
    assert '"/static/vendor/plotly-topojson/"' in text
    assert "cdn.plot.ly" not in text
    assert "cloud.plotly.com" not in text
