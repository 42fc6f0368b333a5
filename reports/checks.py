"""System checks of the reports app."""

from __future__ import annotations

from typing import Any

from django.core import checks

from reports.chart_svg import find_chromium


def check_chromium(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when no Chromium is found: PDF reports then show chart data as tables."""
    if find_chromium() is not None:
        return []
    return [
        checks.Warning(
            "No Chromium or Chrome browser found for the charts of PDF reports.",
            hint=(
                "Install Chromium (e.g. apt-get install chromium-headless-shell, or chromium) "
                "or set CHROMIUM_PATH to the browser's executable. Without it, PDF reports "
                "show each chart's data as a table instead of the chart."
            ),
            id="reports.W001",
        )
    ]
