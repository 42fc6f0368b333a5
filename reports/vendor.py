"""The vendored plotly.js: its version is named here and nowhere else.

Pages load it from the app's own static files (never a CDN; see static/vendor/README.md),
through templates/reports/_plotly_head.html and _plotly_scripts.html, and kaleido draws the
PDF's charts with the same file (reports/charts.py). A new version is a new file under
static/vendor/ and a change of this line.
"""

from __future__ import annotations

PLOTLY_VERSION = "4.1.1"
# Paths under the static root.
PLOTLY_JS = f"vendor/plotly-{PLOTLY_VERSION}.min.js"
PLOTLY_CSS = f"vendor/plotly-{PLOTLY_VERSION}.css"
