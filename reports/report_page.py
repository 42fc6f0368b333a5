"""The report pages' report parts, rendered once for everyone who would see the same thing.

The body (reports/_report_body.html: cover, verdict, domains, plan, appendix) is nearly all of
the page's cost: building the report and ~40 ms of template for the demo's assessments; the
gap report and results pages were ~43 % of the server's CPU under bench/load.py. Readers open the same reports again and again
between changes, so the rendered body is kept in Django's cache under a key that changes
whenever what it shows can change:

- the report's fingerprint (reports/report_files.py), which the stored PDFs already trust:
  revision, options, names, date, action items, respondents' work, benchmark snapshot;
- the release: a digest of the code and templates, so a deployment never serves a body
  rendered by the code before it;
- in the independent-answers mode the reader, whose open domains the body hides (the blind
  rule, respondents/blind.py); outside it the body does not depend on who reads it.

The rest of the page (navigation, export options, the results page's tracking list with its
buttons) is rendered for each request as before. The results page keeps its two report parts
(before and after the tracking list) and the plan the tracking list needs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from actions.templatetags.actions_tags import PlanStep
from assessments.caching import cache_get, cache_set
from assessments.models import Assessment
from reports.report import Report, build_report, report_context
from reports.report_files import report_fingerprint
from reports.report_options import ReportOptions, report_options
from respondents.independent import is_independent

BODY_TEMPLATE = "reports/_report_body.html"
RESULTS_TOP = "reports/_results_top.html"
RESULTS_BOTTOM = "reports/_results_bottom.html"
BODY_SECONDS = 3600
# Where the code and templates of a release live (not the tests, the venv or the media).
_RELEASE_SUFFIXES = (".py", ".html")
_NOT_RELEASE = {"tests", "bench", "node_modules", "media", "var", "staticfiles"}
T = TypeVar("T")


@functools.cache
def release() -> str:
    """A digest of the code and templates this process runs (read once per process)."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name for name in subfolders if not name.startswith(".") and name not in _NOT_RELEASE
        )
        for name in sorted(files):
            if name.endswith(_RELEASE_SUFFIXES):
                path = Path(folder, name)
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(page: str, assessment: Assessment, options: ReportOptions, viewer_id: int) -> str:
    reader = viewer_id if is_independent(assessment) else None
    parts = [
        *report_fingerprint(assessment, options),
        release(),
        reader,
        # The logo's address names the organisation (reports:branding-logo).
        assessment.site.organisation.slug,
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f"reports:{page}:{assessment.pk}:{digest}"


def _kept(
    page: str,
    assessment: Assessment,
    options: ReportOptions,
    viewer_id: int,
    render: Callable[[Report], T],
) -> T:
    """What `render` makes of the report, from the cache when nothing it shows changed (the
    key's release also covers the shape of what is kept: a new class means a new key)."""
    key = _key(page, assessment, options, viewer_id)
    cached = cache_get(key)
    if cached is not None:
        return cast(T, cached)
    report = build_report(assessment, charts_mode="html", options=options, viewer_id=viewer_id)
    made = render(report)
    cache_set(key, made, timeout=BODY_SECONDS)
    return made


def report_body(assessment: Assessment, options: ReportOptions, viewer_id: int) -> SafeString:
    """The gap report's body for this reader."""

    def render(report: Report) -> SafeString:
        return render_to_string(BODY_TEMPLATE, report_context(report, pdf=False))

    return _kept("page", assessment, options, viewer_id, render)


@dataclass(frozen=True)
class ResultsParts:
    top: SafeString  # heading, verdict, charts, domains, benchmark, action plan
    plan: tuple[PlanStep, ...]  # for the tracking list between the two
    bottom: SafeString  # still to answer


def results_parts(assessment: Assessment, viewer_id: int) -> ResultsParts:
    """The results page's report parts for this reader."""

    def render(report: Report) -> ResultsParts:
        context = report_context(report, pdf=False)
        return ResultsParts(
            top=render_to_string(RESULTS_TOP, context),
            plan=tuple(
                PlanStep(a.rank, a.row.key, a.row.number, a.recommendation)
                for a in report.action_plan
            ),
            bottom=render_to_string(RESULTS_BOTTOM, context),
        )

    options = report_options(assessment=assessment, for_file=False)
    return _kept("results", assessment, options, viewer_id, render)
