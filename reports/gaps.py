"""Gap analysis over plain data: the top gaps of an assessment and the framework crosswalk.

Pure Python (no Django, no models), so the rules the report states are tested without a
database. Scores come in as the scoring module rounded them; nothing is recomputed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# Reference prefixes used by the instruments, with the framework each one names.
FRAMEWORKS: tuple[tuple[str, str, str], ...] = (
    ("hipaa", "HIPAA ", "HIPAA Privacy and Security Rules (45 CFR Parts 160 and 164)"),
    ("nist", "NIST AI RMF ", "NIST AI Risk Management Framework 1.0"),
    ("who", "WHO AI ethics: ", "WHO guidance on ethics and governance of AI for health"),
    ("chai", "CHAI assurance: ", "Coalition for Health AI (CHAI) assurance standards"),
)
OTHER_FAMILY = ("other", "", "Other references")

COVERED = "covered"
GAP = "gap"
NOT_ASSESSED = "not_assessed"
STATUS_LABELS = {COVERED: "Covered", GAP: "Gap", NOT_ASSESSED: "Not assessed"}

# A question answered at or above half of its top option covers the practice it cites; the
# same threshold makes a critical item a blocker below it (PRODUCT.md, "Critical items").
COVERAGE_THRESHOLD = Fraction(1, 2)

COVERAGE_RULE = (
    "A reference is covered when at least one question that cites it has been answered "
    "(not N/A) and every answered question that cites it scores at least half of its top "
    "option (for example \u201cPartially in place\u201d, 2 of 4, or \u201cYes\u201d). "
    "It is a gap when any answered question that cites it scores below half. It is not "
    "assessed when no question that cites it has an answer that counts: unanswered, "
    "not applicable, free text, or a follow-up hidden by an earlier answer."
)


@dataclass(frozen=True)
class QuestionCoverage:
    """One question of the instrument as the crosswalk needs it.

    `normalised` is the counted item's score as a fraction of its top option, or None when
    the item is not counted (hidden, free text, unanswered or N/A).
    """

    key: str
    references: tuple[str, ...]
    normalised: Fraction | None
    pending: bool = False  # visible, scored and not answered yet


@dataclass(frozen=True)
class ReferenceCoverage:
    reference: str  # as written in the instrument, e.g. "HIPAA 45 CFR 164.308(a)(4)"
    label: str  # without the family prefix, e.g. "45 CFR 164.308(a)(4)"
    status: str  # COVERED | GAP | NOT_ASSESSED
    questions: tuple[str, ...]  # every question citing it, in instrument order
    gap_questions: tuple[str, ...]  # counted questions scoring below the threshold
    pending: int  # citing questions still to answer

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class FrameworkCoverage:
    key: str
    prefix: str
    title: str
    references: tuple[ReferenceCoverage, ...]

    @property
    def covered(self) -> int:
        return sum(1 for r in self.references if r.status == COVERED)

    @property
    def gaps(self) -> int:
        return sum(1 for r in self.references if r.status == GAP)

    @property
    def not_assessed(self) -> int:
        return sum(1 for r in self.references if r.status == NOT_ASSESSED)


def reference_family(reference: str) -> tuple[str, str, str]:
    """(key, prefix, title) of the framework a reference belongs to."""
    for family in FRAMEWORKS:
        if reference.startswith(family[1]):
            return family
    return OTHER_FAMILY


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "164.308(a)(10)" after "164.308(a)(9)" and "GOVERN 1.10" after "GOVERN 1.9"."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def framework_crosswalk(questions: Iterable[QuestionCoverage]) -> list[FrameworkCoverage]:
    """For each framework the questions cite, which of its references are covered or gaps.

    Frameworks come in the order of FRAMEWORKS (others last); references in natural order.
    """
    citing: dict[str, list[QuestionCoverage]] = {}
    for question in questions:
        for reference in dict.fromkeys(question.references):
            citing.setdefault(reference.strip(), []).append(question)

    families: dict[str, list[ReferenceCoverage]] = {}
    for reference, cited_by in citing.items():
        if not reference:
            continue
        key, prefix, _ = reference_family(reference)
        counted = [q for q in cited_by if q.normalised is not None]
        gaps = tuple(
            q.key for q in counted if q.normalised is not None and q.normalised < COVERAGE_THRESHOLD
        )
        if gaps:
            status = GAP
        elif counted:
            status = COVERED
        else:
            status = NOT_ASSESSED
        families.setdefault(key, []).append(
            ReferenceCoverage(
                reference=reference,
                label=reference[len(prefix) :].strip() or reference,
                status=status,
                questions=tuple(q.key for q in cited_by),
                gap_questions=gaps,
                pending=sum(1 for q in cited_by if q.pending),
            )
        )

    result = []
    for key, prefix, title in (*FRAMEWORKS, OTHER_FAMILY):
        references = families.get(key)
        if references:
            result.append(
                FrameworkCoverage(
                    key=key,
                    prefix=prefix,
                    title=title,
                    references=tuple(sorted(references, key=lambda r: natural_key(r.label))),
                )
            )
    return result


@dataclass(frozen=True)
class DomainGap:
    key: str
    title: str
    order: int
    score: Decimal | None
    target: Decimal
    gap: Decimal | None
    blockers: int = 0


def top_gaps(domains: Sequence[DomainGap], limit: int = 3) -> list[DomainGap]:
    """The domains furthest below their targets, largest gap first (ties in domain order).

    Domains at or above target, and those without a score, have no gap to show.
    """
    below = [d for d in domains if d.gap is not None and d.gap > 0]
    return sorted(below, key=lambda d: (-(d.gap or Decimal(0)), d.order))[:limit]
