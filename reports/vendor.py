"""The vendored plotly.js: its version is named here and nowhere else.

Pages load it from the app's own static files (never a CDN; see static/vendor/README.md),
through templates/reports/_plotly_head.html and _plotly_scripts.html, and kaleido draws the
PDF's charts with the same file (reports/charts.py). The file is plotly.js's core with only
the trace types the app draws, built by static/vendor/build-plotly.sh: a new version is a change
of this line and of static/vendor/plotly-build/package.json (a test checks they agree), then a
rebuild.
"""

from __future__ import annotations

PLOTLY_VERSION = "4.1.1"
# Paths under the static root.
PLOTLY_JS = f"vendor/plotly-custom-{PLOTLY_VERSION}.min.js"
PLOTLY_CSS = f"vendor/plotly-{PLOTLY_VERSION}.css"
