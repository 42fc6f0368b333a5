"""The report's framework crosswalk: each cited reference of each framework, whether the
assessment covers it, and which numbered questions cite it (reports/gaps.py decides coverage)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reports import gaps


@dataclass
class CrosswalkRow:
    reference: gaps.ReferenceCoverage
    cited: list[dict[str, Any]]  # {"number", "key", "gap"} per citing question

    @property
    def label(self) -> str:
        return self.reference.label

    @property
    def status(self) -> str:
        return self.reference.status

    @property
    def status_label(self) -> str:
        return self.reference.status_label

    @property
    def pending(self) -> int:
        return self.reference.pending


@dataclass
class CrosswalkFramework:
    framework: gaps.FrameworkCoverage
    rows: list[CrosswalkRow]

    @property
    def title(self) -> str:
        return self.framework.title

    @property
    def references(self) -> tuple[gaps.ReferenceCoverage, ...]:
        return self.framework.references

    @property
    def covered(self) -> int:
        return self.framework.covered

    @property
    def gaps(self) -> int:
        return self.framework.gaps

    @property
    def not_assessed(self) -> int:
        return self.framework.not_assessed


def report_crosswalk(
    questions: Iterable[gaps.QuestionCoverage],
    numbers: Mapping[str, str],
    blocker_below: Fraction,
) -> list[CrosswalkFramework]:
    """The frameworks as the report shows them; `numbers` gives each question's number."""
    return [
        CrosswalkFramework(
            framework=framework,
            rows=[
                CrosswalkRow(
                    reference=reference,
                    cited=[
                        {"number": numbers[key], "key": key, "gap": key in reference.gap_questions}
                        for key in reference.questions
                    ],
                )
                for reference in framework.references
            ],
        )
        for framework in gaps.framework_crosswalk(questions, threshold=blocker_below)
    ]
