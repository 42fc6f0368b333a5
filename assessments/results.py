"""The results of an assessment as every page reads them: stored once submitted, else live.

A submitted assessment keeps the results stored when it was handed in (what comparisons
aggregate, and what a later change to the scoring code must not rewrite); any other
assessment is scored by scoring.py from its current answers. Both come in the one shape of
the assessment JSON's "results" object (`scoring.result_to_dict`), so the results page, the
report and the round diff read them alike. This is the database side of scoring.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from assessments.models import Assessment
from assessments.scoring import result_to_dict


class ResultSource(models.TextChoices):
    STORED = "stored", "Stored at submission"
    LIVE = "live", "Live from the current answers"


def to_decimal(value: Any) -> Decimal | None:
    """A one-decimal number of the results JSON as an exact Decimal (62.3, not 62.2999…)."""
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class AssessmentResults:
    data: dict[str, Any]  # the "results" object of the assessment JSON
    source: ResultSource

    @property
    def live(self) -> bool:
        return self.source == ResultSource.LIVE

    @property
    def overall(self) -> dict[str, Any]:
        overall: dict[str, Any] = self.data["overall"]
        return overall

    @property
    def domains(self) -> dict[str, dict[str, Any]]:
        domains: dict[str, dict[str, Any]] = self.data["domains"]
        return domains

    @property
    def overall_score(self) -> Decimal | None:
        return to_decimal(self.overall.get("score"))

    @property
    def overall_level(self) -> int | None:
        level = self.overall.get("level")
        return None if level is None else int(level)

    @property
    def verdict(self) -> str | None:
        return self.overall.get("verdict") or None

    def domain(self, key: str) -> dict[str, Any]:
        """One domain's results ({} for a domain these results do not have)."""
        return self.domains.get(key, {})


def _stored_results(assessment: Assessment) -> dict[str, Any] | None:
    """The results stored at submission, when the assessment is submitted and has them whole."""
    stored = assessment.results
    if (
        assessment.status == Assessment.Status.SUBMITTED
        and isinstance(stored, dict)
        and isinstance(stored.get("domains"), dict)
        and "overall" in stored
    ):
        return stored
    return None


def assessment_results(
    assessment: Assessment, values: Mapping[str, str] | None = None
) -> AssessmentResults:
    """The stored results of a submitted assessment, else live ones from `values` (its answers
    by question key; read from the database when None)."""
    stored = _stored_results(assessment)
    if stored is not None:
        return AssessmentResults(data=stored, source=ResultSource.STORED)
    answers = None if values is None else dict(values)
    return AssessmentResults(
        data=result_to_dict(assessment.compute_results(answers)), source=ResultSource.LIVE
    )
