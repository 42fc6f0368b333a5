"""Evidence files as the reports list them: plain rows for the HTML, PDF and Word appendix."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from assessments.content import instrument_content
from assessments.models import Assessment
from evidence.checks import size_words
from evidence.models import AVAILABLE, EvidenceFile

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
        return size_words(self.size)

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


def evidence_rows(assessment: Assessment) -> list[EvidenceRow]:
    """The files everyone may see, in questionnaire order, then oldest first (one query)."""
    numbers = instrument_content(assessment.instrument).numbers
    order = {key: index for index, key in enumerate(numbers)}
    files = EvidenceFile.objects.filter(assessment=assessment, status__in=AVAILABLE).order_by(
        "uploaded_at", "pk"
    )
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
