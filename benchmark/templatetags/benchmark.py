"""Template tags that show the published benchmark where it is wanted (results page, report,
comparison page) and the organisation's choice on the organisation page.

Each reads stored rows only (one or two queries, whatever the data), never the assessments.
"""

from __future__ import annotations

from typing import Any

from django import template

from assessments import access
from assessments.models import Instrument, Membership, Organisation, Site
from benchmark import rules
from benchmark.models import Participation, Snapshot
from benchmark.publishing import published_snapshot

register = template.Library()


def _panel(instrument: Instrument | None, kind: str, pdf: bool) -> dict[str, Any]:
    snapshot = published_snapshot(instrument.pk, kind) if instrument is not None else None
    return {
        "instrument": instrument,
        "snapshot": snapshot,
        "kind_label": dict(Site.Kind.choices).get(kind, "") if kind else "",
        "pdf": pdf,
        "min_organisations": rules.MIN_ORGANISATIONS,
        "min_sites": rules.MIN_SITES,
    }


@register.inclusion_tag("benchmark/_panel.html")
def benchmark_panel(
    instrument: Instrument, kind: str = "", pdf: bool = False, report: Any = None
) -> dict[str, Any]:
    """The benchmark of an instrument version (all sites, or one kind of site); given a
    report, its site's own scores stand beside the median, where the reader compares them."""
    panel = _panel(instrument, kind, pdf)
    snapshot = panel["snapshot"]
    if report is None or snapshot is None or snapshot.withheld:
        return panel
    scores = {section.key: section.score for section in report.sections}
    panel["site_scores"] = {
        "domains": [{**row, "site": scores.get(row["key"])} for row in snapshot.figures["domains"]],
        "overall": report.overall_score,
    }
    return panel


@register.inclusion_tag("benchmark/_panel.html")
def benchmark_compare_panel(filters: Any) -> dict[str, Any]:
    """The benchmark beside a comparison: its instrument version (the newest where the
    comparison spans every version) and its kind of site."""
    kind = filters.kind if filters.kind in Site.Kind.values else ""
    # One query: the newest shared version's latest snapshot, its instrument joined. Without a
    # snapshot the panel says "withheld" without naming the version (no second query).
    snapshots = Snapshot.objects.filter(
        instrument__slug=filters.slug, instrument__organisation__isnull=True, kind=kind
    )
    if filters.version:
        snapshots = snapshots.filter(instrument__version=filters.version)
    snapshot = (
        snapshots.select_related("instrument")
        .order_by("-instrument__loaded_at", "-instrument__pk", "-published_at", "-pk")
        .first()
    )
    return {
        **_panel(None, kind, pdf=False),
        "instrument": snapshot.instrument if snapshot else None,
        "snapshot": snapshot,
    }


@register.inclusion_tag("benchmark/_participation_block.html")
def benchmark_participation_block(
    organisation: Organisation, membership: Membership | None
) -> dict[str, Any]:
    """On the organisation page: whether it takes part, and for its admins a way to change it."""
    return {
        "organisation": organisation,
        "opted_in": Participation.objects.filter(organisation=organisation, opted_in=True).exists(),
        "can_manage": membership is not None and access.allows(membership, "manage"),
    }
