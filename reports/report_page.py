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
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from actions.templatetags.actions_tags import PlanStep
from assessments.caching import cache_get, cache_set
from assessments.models import Assessment
from reports.report import build_report, report_context
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


def report_body(assessment: Assessment, options: ReportOptions, viewer_id: int) -> SafeString:
    """The gap report's body for this reader, from the cache when nothing it shows changed."""
    key = _key("page", assessment, options, viewer_id)
    cached = cache_get(key)
    if isinstance(cached, str):
        return mark_safe(cached)  # noqa: S308 (rendered by the template engine, escaped there)
    report = build_report(assessment, charts_mode="html", options=options, viewer_id=viewer_id)
    body = render_to_string(BODY_TEMPLATE, report_context(report, pdf=False))
    cache_set(key, str(body), timeout=BODY_SECONDS)
    return body


@dataclass(frozen=True)
class ResultsParts:
    top: SafeString  # heading, verdict, charts, domains, benchmark, action plan
    plan: tuple[PlanStep, ...]  # for the tracking list between the two
    bottom: SafeString  # still to answer


def results_parts(assessment: Assessment, viewer_id: int) -> ResultsParts:
    """The results page's report parts for this reader, from the cache when nothing they
    show changed."""
    options = report_options(assessment=assessment, for_file=False)
    key = _key("results", assessment, options, viewer_id)
    cached = cache_get(key)
    if isinstance(cached, tuple) and len(cached) == 3:
        top, plan, bottom = cached
        return ResultsParts(
            top=mark_safe(top),  # noqa: S308 (rendered by the template engine, escaped there)
            plan=tuple(PlanStep(*step) for step in plan),
            bottom=mark_safe(bottom),  # noqa: S308
        )
    report = build_report(assessment, charts_mode="html", options=options, viewer_id=viewer_id)
    context = report_context(report, pdf=False)
    parts = ResultsParts(
        top=render_to_string(RESULTS_TOP, context),
        plan=tuple(
            PlanStep(a.rank, a.row.key, a.row.number, a.recommendation) for a in report.action_plan
        ),
        bottom=render_to_string(RESULTS_BOTTOM, context),
    )
    kept = (str(parts.top), [tuple(step) for step in parts.plan], str(parts.bottom))
    cache_set(key, kept, timeout=BODY_SECONDS)
    return parts
