"""Evidence files as the reports list them: plain rows for the HTML, PDF and Word appendix."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from assessments.content import instrument_content
from assessments.display import file_size
from assessments.models import Assessment
from evidence.models import AVAILABLE, EvidenceFile
from respondents.blind import Part, blind_rule

EVIDENCE_HEADERS = ("No.", "Key", "File", "Size", "Attached by", "Date")


@dataclass(frozen=True)
class EvidenceRow:
    pk: int
    number: str  # the question's number ("3.2"), "" for a question no longer asked
    question_key: str
    name: str
    size: int
    uploaded_by: str
    uploaded_at: datetime.datetime
    scanned: bool  # False: no virus scanner was configured when it was attached

    @property
    def size_text(self) -> str:
        return file_size(self.size)

    def cells(self) -> tuple[str, str, str, str, str, str]:
        """The row as text, in EVIDENCE_HEADERS order."""
        when = f"{self.uploaded_at.day} {self.uploaded_at:%b %Y}"
        return (
            self.number or "—",
            self.question_key,
            self.name,
            self.size_text,
            self.uploaded_by or "—",
            when,
        )


def evidence_rows(
    assessment: Assessment,
    *,
    viewer_id: int | None = None,
    blind_domains: Collection[str] = (),
    parts: Iterable[Part] | None = None,
) -> list[EvidenceRow]:
    """The files available to others that the report's reader may see, in questionnaire
    order, then oldest first (one query; one more in independent mode).

    In independent mode the blind rule (respondents/blind.py) decides: `viewer_id` on a page;
    a file made for nobody at hand (PDF, Word, HTML file) sees as someone answering none of
    the domains but `blind_domains` (the exporter's open ones, ReportOptions). `parts`: the
    assignments when the caller has read them (no query for the rule then)."""
    numbers = instrument_content(assessment.instrument).numbers
    order = {key: index for index, key in enumerate(numbers)}
    files = EvidenceFile.objects.filter(assessment=assessment, status__in=AVAILABLE).order_by(
        "uploaded_at", "pk"
    )
    blind = blind_rule(
        assessment,
        viewer_id=viewer_id,
        still_answering=None if viewer_id is not None else blind_domains,
        parts=parts,
    )
    if blind is not None:
        files = blind.visible(files, author="uploaded_by_id", question="question_key")
    rows = [
        EvidenceRow(
            pk=f.pk,
            number=numbers.get(f.question_key, ""),
            question_key=f.question_key,
            name=f.name,
            size=f.size,
            uploaded_by=f.uploader_name,
            uploaded_at=f.uploaded_at,
            scanned=f.status == EvidenceFile.Status.CLEAN,
        )
        for f in files
    ]
    # A question of an earlier version (no number) goes last; sorted() keeps upload order.
    return sorted(rows, key=lambda row: order.get(row.question_key, len(order)))
