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
from typing import NamedTuple

from assessments.scoring import threshold_words
from reports.reference_titles import reference_title


class Framework(NamedTuple):
    """A published framework the instruments cite, and how its references are recognised.

    A reference belongs to the first framework whose `prefix` it starts with; the rest of the
    string (e.g. "164.308(a)(4)") is the reference within the framework.
    """

    key: str
    prefix: str
    name: str
    issuer: str = ""
    version: str = ""
    # Show the whole reference ("45 CFR 92.210") where the prefix alone is no name for it.
    keep_prefix: bool = False

    def label(self, reference: str) -> str:
        """The reference as listed under this framework's heading."""
        if self.keep_prefix:
            return reference
        return reference[len(self.prefix) :].strip() or reference

    @property
    def title(self) -> str:
        detail = ", ".join(part for part in (self.issuer, self.version) if part)
        return f"{self.name} ({detail})" if detail else self.name


# The one table of frameworks, in the order the crosswalk shows them. README of the
# instruments (assessments/instruments/README.md) lists the documents and sections behind them.
FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "hipaa",
        "HIPAA ",
        "HIPAA Privacy, Security and Breach Notification Rules (45 CFR Parts 160 and 164)",
        "HHS",
        "as amended to date",
    ),
    Framework(
        "part2",
        "42 CFR ",
        "Confidentiality of Substance Use Disorder Patient Records (42 CFR Part 2)",
        "HHS / SAMHSA",
        "2024 final rule",
    ),
    Framework(
        "section1557",
        "45 CFR 92.",
        "Section 1557 nondiscrimination in health programs and activities (45 CFR Part 92)",
        "HHS Office for Civil Rights",
        "2024 final rule",
        keep_prefix=True,
    ),
    Framework(
        "onc",
        "45 CFR 170.",
        "ONC Health IT Certification Program criteria (45 CFR Part 170)",
        "HHS ASTP/ONC",
        keep_prefix=True,
    ),
    Framework("nist", "NIST AI RMF ", "AI Risk Management Framework and Playbook", "NIST", "1.0"),
    Framework(
        "who",
        "WHO AI ethics: ",
        "Ethics and governance of artificial intelligence for health",
        "World Health Organization",
        "2021",
    ),
    Framework(
        "who_lmm",
        "WHO LMM guidance: ",
        "Ethics and governance of AI for health: guidance on large multi-modal models",
        "World Health Organization",
        "2024",
    ),
    Framework(
        "jc_chai",
        "Joint Commission + CHAI 2025: ",
        "Guidance on the Responsible Use of AI in Healthcare",
        "The Joint Commission and Coalition for Health AI",
        "2025",
    ),
    Framework(
        "chai_blueprint",
        "CHAI Blueprint 2023: ",
        "Blueprint for Trustworthy AI Implementation Guidance and Assurance for Healthcare",
        "Coalition for Health AI",
        "2023",
    ),
    Framework(
        "chai_guide",
        "CHAI Assurance Standards Guide 2024: ",
        "Assurance Standards Guide",
        "Coalition for Health AI",
        "2024",
    ),
    # Instruments 1.0 cite CHAI principles without naming the document.
    Framework("chai", "CHAI assurance: ", "CHAI assurance principles", "Coalition for Health AI"),
    Framework(
        "fda_cds",
        "FDA CDS guidance 2026: ",
        "Clinical Decision Support Software: guidance for industry and FDA staff",
        "US Food and Drug Administration",
        "January 2026",
    ),
    Framework(
        "apa",
        "APA 2025: ",
        "Health advisory on the use of generative AI chatbots and wellness applications for "
        "mental health",
        "American Psychological Association",
        "November 2025",
    ),
    Framework("state", "State law: ", "State laws on AI in health care"),
)
OTHER_FAMILY = Framework("other", "", "Other references")

COVERED = "covered"
GAP = "gap"
NOT_ASSESSED = "not_assessed"
STATUS_LABELS = {COVERED: "Covered", GAP: "Gap", NOT_ASSESSED: "Not assessed"}

# A question answered at or above the instrument's blocker threshold (PRODUCT.md, "Critical
# items") covers the practice it cites: the same line that makes a critical item a blocker.
DEFAULT_COVERAGE_THRESHOLD = Fraction(1, 2)


def coverage_rule(threshold: Fraction = DEFAULT_COVERAGE_THRESHOLD) -> str:
    """The crosswalk's rule in words, for the report."""
    share = threshold_words(threshold)
    return (
        "A reference is covered when at least one question that cites it has been answered "
        f"(not N/A) and every answered question that cites it scores at least {share} of its "
        "top option. It is a gap when any answered question that cites it scores below that. "
        "It is not assessed when no question that cites it has an answer that counts: "
        "unanswered, not applicable, free text, or a follow-up hidden by an earlier answer."
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
    title: str = ""  # in plain language, beside a bare citation (reports/reference_titles.py)

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


def reference_family(reference: str) -> Framework:
    """The framework a reference belongs to (OTHER_FAMILY when no prefix matches)."""
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


def framework_crosswalk(
    questions: Iterable[QuestionCoverage], threshold: Fraction = DEFAULT_COVERAGE_THRESHOLD
) -> list[FrameworkCoverage]:
    """For each framework the questions cite, which of its references are covered or gaps.

    A counted question below `threshold` (the instrument's blocker_below) is a gap. Frameworks
    come in the order of FRAMEWORKS (others last); references in natural order.
    """
    citing: dict[str, list[QuestionCoverage]] = {}
    for question in questions:
        for reference in dict.fromkeys(question.references):
            citing.setdefault(reference.strip(), []).append(question)

    families: dict[str, list[ReferenceCoverage]] = {}
    for reference, cited_by in citing.items():
        if not reference:
            continue
        framework = reference_family(reference)
        counted = [q for q in cited_by if q.normalised is not None]
        gaps = tuple(
            q.key for q in counted if q.normalised is not None and q.normalised < threshold
        )
        if gaps:
            status = GAP
        elif counted:
            status = COVERED
        else:
            status = NOT_ASSESSED
        families.setdefault(framework.key, []).append(
            ReferenceCoverage(
                reference=reference,
                label=framework.label(reference),
                status=status,
                questions=tuple(q.key for q in cited_by),
                gap_questions=gaps,
                pending=sum(1 for q in cited_by if q.pending),
                title=reference_title(reference),
            )
        )

    result = []
    for framework in (*FRAMEWORKS, OTHER_FAMILY):
        references = families.get(framework.key)
        if references:
            result.append(
                FrameworkCoverage(
                    key=framework.key,
                    prefix=framework.prefix,
                    title=framework.title,
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
