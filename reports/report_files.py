"""The gap report as files: the PDF (cached by what it shows) and a self-contained HTML file.

What the report says is built by reports/report.py; this module only turns it into bytes
for downloads and for `manage.py export_report`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.caching import cache_get, cache_set
from assessments.models import Assessment
from benchmark.publishing import published_snapshot
from reports import chart_svg
from reports.report import build_report, report_context
from reports.report_actions import action_items_state
from reports.report_options import ReportOptions, report_options
from respondents.consensus_report import respondents_state

# Bump when the report's templates or content change, so cached PDFs are rendered again.
REPORT_TEMPLATE_VERSION = "4"
PDF_TEMPLATE = "reports/pdf/gap_report.html"
PDF_CACHE_SECONDS = 7 * 24 * 3600


def report_fingerprint(assessment: Assessment, options: ReportOptions) -> list[Any]:
    """What the gap report (its PDF and its page) shows depends on, besides the code: the
    parts change whenever what it shows can change.

    The revision moves with every answer, target, status, evidence file and version change;
    the options (whose branding, who signs, paper, sections: `ReportOptions.identity`), names
    and the template version cover the rest. The date is in it because the cover shows it, the
    instrument's hash and the assessment's creation because a primary key comes back after a
    restored backup, and the benchmark beside the site's scores moves with each snapshot.
    """
    organisation = assessment.site.organisation
    snapshot = published_snapshot(assessment.instrument_id)
    return [
        assessment.pk,
        str(assessment.created_at),
        assessment.revision,
        assessment.instrument.content_hash,
        options.identity(),
        organisation.name,
        assessment.site.name,
        assessment.site.kind,
        assessment.round_label,
        str(assessment.round_date),
        REPORT_TEMPLATE_VERSION,
        str(timezone.localdate()),
        snapshot.pk if snapshot is not None else None,
        _moving_parts(assessment),
    ]


def _moving_parts(assessment: Assessment) -> list[Any]:
    """What the report shows that changes without the assessment's revision, in one query:
    the "Action items" section (its items) and "Where respondents disagreed" (their events)."""
    expressions = {**action_items_state(assessment), **respondents_state(assessment)}
    state = Assessment.objects.filter(pk=assessment.pk).values(**expressions).first() or {}
    return sorted(state.items())


def pdf_cache_key(
    assessment: Assessment, *, charts_available: bool, options: ReportOptions | None = None
) -> str:
    """The cached and stored PDF's key: its `report_fingerprint`, and whether it has charts."""
    options = options or report_options(assessment=assessment)
    parts = [*report_fingerprint(assessment, options), charts_available]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f"reports:pdf:{assessment.pk}:{digest}"


def report_pdf(
    assessment: Assessment,
    *,
    use_cache: bool = True,
    with_charts: bool = True,
    options: ReportOptions | None = None,
) -> bytes:
    """The gap report as PDF; an unchanged assessment is served from the cache.

    `options` (reports/report_options.py) are the exporter's; without them, the
    organisation's branding, unsigned, every section.
    """
    # Imported here: WeasyPrint is slow to import, and most processes never render a PDF.
    from reports import pdf

    options = options or report_options(assessment=assessment)
    charts_available = with_charts and chart_svg.find_chromium() is not None
    key = pdf_cache_key(assessment, charts_available=charts_available, options=options)
    if use_cache:
        cached = cache_get(key)
        if isinstance(cached, bytes):
            return cached
    report = build_report(assessment, charts_mode="svg" if with_charts else "none", options=options)
    data = pdf.render_pdf(PDF_TEMPLATE, report_context(report, pdf=True))
    # A PDF whose charts failed to export this time is not kept: the next one may succeed.
    if use_cache and not (charts_available and report.charts_missing):
        cache_set(key, data, timeout=PDF_CACHE_SECONDS)
    return data


def report_html(assessment: Assessment) -> str:
    """The gap report as one self-contained HTML file (`export_report --format html`).

    The same template as the PDF, with its stylesheet, charts and logo embedded, so the file
    opens anywhere without the app. It is a file, not a page the app serves, so the CSP's
    ban on inline styles does not apply to it.
    """
    report = build_report(assessment, charts_mode="svg")
    context = report_context(report, pdf=True)
    logo = report.options.branding.logo
    if logo is not None:
        try:
            with logo.storage.open(str(logo.name), "rb") as handle:
                encoded = base64.b64encode(handle.read()).decode("ascii")
            context["logo_src"] = f"data:image/png;base64,{encoded}"
        except FileNotFoundError:
            context["logo_src"] = ""
    html = render_to_string(PDF_TEMPLATE, context)
    css_path = finders.find("css/print.css")
    css = Path(css_path).read_text(encoding="utf-8") if isinstance(css_path, str) else ""
    return re.sub(
        r'<link rel="stylesheet" href="[^"]*print[^"]*\.css">',
        lambda _: "<style>" + css.replace("</", "<\\/") + "</style>",
        html,
        count=1,
    )
