"""Rendering the default gap report ahead of the first download.

Submitting an assessment, and changing an organisation's branding, queue the default
variant of the report (the organisation's branding, unsigned, every section): the one most
downloads ask for. Other variants are rendered when someone asks for them. Nothing here may
fail the submit or the branding change: a broker that is down only means the first download
renders it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Exists, OuterRef, Q

from assessments.models import Assessment
from reports import queue, report_store
from reports.job_services import stored_report_request

logger = logging.getLogger(__name__)


def assessment_prerender(assessment: Assessment) -> bool:
    """Queue the default report of a submitted assessment; True when a worker was asked."""
    try:
        assessment = Assessment.objects.with_context().get(pk=assessment.pk)
        options = report_store.variant_options(assessment, report_store.VariantRequest())
        key = report_store.report_key(assessment, options)
        stored, ask = stored_report_request(assessment=assessment, key=key, params={})
        return ask and queue.enqueue("reports.tasks.report_render", stored.pk)
    except Exception:
        logger.warning("Could not queue the report of %s", assessment.pk, exc_info=True)
        return False


def organisation_prerender(organisation_id: int) -> int:
    """Queue the default report of each site's latest submitted assessment (new branding)."""
    submitted = Q(status=Assessment.Status.SUBMITTED)
    later = Assessment.objects.filter(submitted, site_id=OuterRef("site_id")).filter(
        Q(round_date__gt=OuterRef("round_date"))
        | Q(round_date=OuterRef("round_date"), pk__gt=OuterRef("pk"))
    )
    latest = Assessment.objects.filter(
        submitted, site__organisation_id=organisation_id, site__archived=False
    ).filter(~Exists(later))
    return sum(assessment_prerender(a) for a in latest)


def on_assessment_submitted(sender: Any, assessment: Assessment, **kwargs: Any) -> None:
    assessment_prerender(assessment)
