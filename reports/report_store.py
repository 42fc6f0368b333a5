"""Report PDFs rendered ahead of time and kept as files in the media storage.

A download serves the stored file of the variant asked for when there is one; otherwise a
worker renders it (reports/tasks.py) while the browser shows "Preparing your report". The
key of a variant is `report_key`: the PDF cache key of reports/report_files.py, which covers
the content revision, the branding and signer, the page size and sections, the template
version and the date on the cover. One function, so that the web and the workers agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from assessments.models import Assessment, Membership
from reports import chart_svg
from reports.models import StoredReport
from reports.report_files import pdf_cache_key, report_pdf
from reports.report_options import ReportOptions, report_options

logger = logging.getLogger(__name__)

STORE_FOLDER = "reports"


@dataclass(frozen=True)
class VariantRequest:
    """What a worker needs to rebuild the options of a download (JSON-safe)."""

    user_id: int | None = None
    sections: tuple[str, ...] | None = None
    board: bool = False
    sign: bool = False

    def as_params(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "sections": list(self.sections) if self.sections is not None else None,
            "board": self.board,
            "sign": self.sign,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> VariantRequest:
        sections = params.get("sections")
        return cls(
            user_id=params.get("user_id"),
            sections=tuple(sections) if sections is not None else None,
            board=bool(params.get("board")),
            sign=bool(params.get("sign")),
        )


def variant_request(options: ReportOptions, *, user_id: int | None) -> VariantRequest:
    """The parameters that rebuild `options` for the same person (see `variant_options`)."""
    return VariantRequest(
        user_id=user_id,
        sections=None if options.board else options.sections,
        board=options.board,
        sign=bool(options.signed_by),
    )


def variant_options(assessment: Assessment, variant: VariantRequest) -> ReportOptions:
    """The options of a variant, rebuilt from its parameters by whoever renders it."""
    if variant.user_id is None:
        return report_options(assessment=assessment)
    user = get_user_model().objects.filter(pk=variant.user_id).first()
    membership = (
        Membership.objects.filter(
            user_id=variant.user_id, organisation_id=assessment.site.organisation_id
        )
        .select_related("organisation")
        .first()
    )
    if user is None or membership is None:
        # The person left meanwhile: what anyone may see, unsigned.
        return report_options(assessment=assessment)
    return report_options(
        assessment=assessment,
        user=user,
        membership=membership,
        sections=variant.sections,
        board=variant.board,
        sign=variant.sign,
    )


def report_key(assessment: Assessment, options: ReportOptions) -> str:
    """The stored file's key: changes whenever anything the PDF shows can change."""
    charts = chart_svg.find_chromium() is not None
    return "stored:" + pdf_cache_key(assessment, charts_available=charts, options=options)


def stored_file_exists(stored: StoredReport) -> bool:
    return bool(stored.file) and default_storage.exists(stored.file)


def ready_report(key: str) -> StoredReport | None:
    """The stored report of `key` when its file can be served now (one query)."""
    stored = StoredReport.objects.filter(key=key, status=StoredReport.Status.READY).first()
    if stored is None or not stored_file_exists(stored):
        return None
    return stored


def render_to_store(stored: StoredReport) -> tuple[str, int]:
    """Render the variant of `stored` and write it to the media storage: (name, size).

    The file name carries the key, so a second render of the same variant (a task run twice
    after a worker died) writes the same bytes to the same name.
    """
    assessment = Assessment.objects.with_context().get(pk=stored.assessment_id)
    options = variant_options(assessment, VariantRequest.from_params(stored.params))
    data = report_pdf(assessment, options=options)
    name = f"{STORE_FOLDER}/{stored.assessment_id}/{stored.key.rsplit(':', 1)[-1]}.pdf"
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    return saved, len(data)


def read_stored(stored: StoredReport) -> bytes:
    with default_storage.open(stored.file, "rb") as handle:
        return bytes(handle.read())
