"""Batch export: which assessments a batch covers, and its ZIP (one PDF per assessment,
named by site and round, and a CSV summary of the scores).

The ZIP is written under a temporary name and renamed when complete, so a worker killed
half-way leaves no file anyone could download; the job page offers the ZIP only once
`report_batch_finish` has recorded the complete file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from assessments import access
from assessments.models import Assessment, Membership, Organisation
from reports import comparison
from reports.comparison import CompareFilters
from reports.comparison.queries import submitted
from reports.models import ReportBatch, ReportBatchItem

BATCH_FOLDER = "report-batches"
SUMMARY_HEADERS = [
    "File",
    "Site",
    "Round",
    "Round date",
    "Instrument",
    "Version",
    "Overall score",
    "Level",
    "Verdict",
    "Provisional",
    "Completeness",
    "Report",
]


@dataclass(frozen=True)
class Selection:
    title: str
    filters: list[tuple[str, str]]
    assessment_ids: list[int]


def from_comparison(membership: Membership, filters: CompareFilters) -> Selection:
    """Every submitted assessment the comparison's filters match (as its CSV export)."""
    ids = list(
        submitted(membership, filters)
        .order_by("site__name", "round_date", "pk")
        .values_list("pk", flat=True)
    )
    title = f"{filters.slug}: {filters.round_label or 'every round'}"
    return Selection(title, filters.describe(), ids)


def from_round(membership: Membership, round_label: str | None) -> Selection:
    """A round's submitted assessments at the visible, active sites (any instrument); with
    no round, each site's latest submitted assessment of each instrument."""
    sites = access.visible_sites(membership).filter(archived=False)
    queryset: QuerySet[Assessment] = Assessment.objects.filter(
        site__in=sites, status=Assessment.Status.SUBMITTED
    )
    if round_label:
        queryset = queryset.filter(round_label=round_label)
        title = f"Round {round_label}"
    else:
        later = Assessment.objects.filter(
            site_id=OuterRef("site_id"),
            instrument__slug=OuterRef("instrument__slug"),
            status=Assessment.Status.SUBMITTED,
        ).filter(
            Q(round_date__gt=OuterRef("round_date"))
            | Q(round_date=OuterRef("round_date"), pk__gt=OuterRef("pk"))
        )
        queryset = queryset.filter(~Exists(later))
        title = "Latest round of each site"
    ids = list(queryset.order_by("site__name", "round_date", "pk").values_list("pk", flat=True))
    filters = [("Round", round_label or "latest round of each site")]
    return Selection(title, filters, ids)


def organisation_membership(organisation: Organisation) -> Membership:
    """An unsaved org-admin membership: what a command run by the operator may see."""
    return Membership(organisation=organisation, role=Membership.Role.ORG_ADMIN)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower()[:80] or "report"


def entry_names(assessments: Iterable[Assessment]) -> dict[int, str]:
    """A unique PDF name per assessment: site and round, the instrument when they clash."""
    items = list(assessments)
    base = {a.pk: f"{_slug(a.site.name)}-{_slug(a.round_label)}" for a in items}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name] = counts.get(name, 0) + 1
    names: dict[int, str] = {}
    for a in items:
        name = base[a.pk]
        if counts[name] > 1:
            name = f"{name}-{_slug(a.instrument.slug)}-{a.pk}"
        names[a.pk] = name + ".pdf"
    return names


def _number(value: object) -> str:
    return "" if value is None else str(value)


def summary_csv(items: list[ReportBatchItem], names: dict[int, str]) -> bytes:
    """One row per assessment with its stored scores and whether its report is in the ZIP."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SUMMARY_HEADERS)
    for item in items:
        a = item.assessment
        ok = item.status == ReportBatchItem.Status.DONE
        writer.writerow(
            [
                comparison.neutralise(value)
                for value in (
                    names[a.pk] if ok else "",
                    a.site.name,
                    a.round_label,
                    a.round_date.isoformat(),
                    a.instrument.slug,
                    a.instrument.version,
                    _number(a.result_score),
                    _number(a.result_level),
                    a.result_verdict,
                    "yes" if a.result_provisional else "no",
                    _number(a.result_completeness),
                    "included"
                    if ok
                    else f"failed: {item.error.splitlines()[-1] if item.error else ''}",
                )
            ]
        )
    return buffer.getvalue().encode("utf-8")


def batch_items(batch: ReportBatch) -> list[ReportBatchItem]:
    return list(
        batch.items.select_related("assessment__site", "assessment__instrument", "stored").order_by(
            "assessment__site__name", "assessment__round_date", "assessment_id"
        )
    )


def zip_name(batch: ReportBatch) -> str:
    return f"{BATCH_FOLDER}/{batch.pk}/reports-{_slug(batch.title)}-{batch.created_at:%Y%m%d}.zip"


def write_zip(batch: ReportBatch, read_pdf: object) -> tuple[str, int, list[dict[str, str]]]:
    """Write the batch's ZIP; returns its storage name, size and the failed reports.

    Written to `<name>.part-<random>` and renamed at the end: the complete name appears only
    complete, and two runs of the same job never write into one file.
    """
    items = batch_items(batch)
    names = entry_names(item.assessment for item in items)
    name = zip_name(batch)
    final = Path(settings.MEDIA_ROOT) / name
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f"{final.name}.part-{uuid.uuid4().hex}")
    failures: list[dict[str, str]] = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for item in items:
                if item.status == ReportBatchItem.Status.DONE and item.stored is not None:
                    data = read_pdf(item.stored)  # type: ignore[operator]
                    archive.writestr(names[item.assessment_id], data)
                else:
                    failures.append(
                        {
                            "site": item.assessment.site.name,
                            "round": item.assessment.round_label,
                            "error": (item.error.splitlines() or ["unknown error"])[-1],
                        }
                    )
            archive.writestr("summary.csv", summary_csv(items, names))
        os.replace(partial, final)
    finally:
        if partial.exists():
            partial.unlink()
    return name, final.stat().st_size, failures


def remove_partials(batch_id: int) -> None:
    """Temporary files a killed worker left behind (never offered for download)."""
    folder = Path(settings.MEDIA_ROOT) / BATCH_FOLDER / str(batch_id)
    if folder.is_dir():
        for path in folder.glob("*.part-*"):
            path.unlink(missing_ok=True)
