"""What the comparison hands to views and templates: typed rows of plain Python values.

Scores are `Decimal`s rounded to one place (PRODUCT.md, "Rounding"), or None where there is
none; nothing here is a pandas object.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from reports.comparison.filters import CompareFilters

# A site admin sees the organisation's median only when this many sites make it up, so that
# no other site's score can be read off it; those who see every site see it from two on.
MEDIAN_MIN_SITES_RESTRICTED = 5
MEDIAN_MIN_SITES = 2


@dataclass(frozen=True)
class DomainColumn:
    key: str
    title: str


@dataclass(frozen=True)
class DomainCell:
    """One domain of one site's latest round: a heatmap cell."""

    key: str
    title: str
    score: Decimal | None
    level: int | None
    applicable: bool | None  # None when the round has no result for the domain


@dataclass(frozen=True)
class RankedSite:
    """One row of the ranking: a site's latest submitted round."""

    assessment_id: int
    site_id: int
    site: str
    kind: str
    kind_display: str
    round_label: str
    round_date: datetime.date
    version: str
    score: Decimal | None
    level: int | None
    level_name: str
    verdict: str
    provisional: bool
    completeness: Decimal | None
    blockers: int
    previous_score: Decimal | None
    change: Decimal | None
    domains: list[DomainCell]
    focus: bool  # the site the page was asked to show


@dataclass(frozen=True)
class Summary:
    sites: int
    median_score: Decimal | None
    verdicts: list[tuple[str, int]]  # (verdict, how many sites), only verdicts that occur
    provisional: int
    with_blockers: int


@dataclass(frozen=True)
class TrendLine:
    """A site's overall score per round of `Comparison.rounds` (None: no round there)."""

    site_id: int
    site: str
    scores: list[Decimal | None]


@dataclass(frozen=True)
class DomainSpread:
    """Per domain, the spread of the sites' latest scores, and the single points while few."""

    key: str
    title: str
    count: int
    minimum: Decimal | None = None
    q1: Decimal | None = None
    median: Decimal | None = None
    q3: Decimal | None = None
    maximum: Decimal | None = None
    points: list[tuple[str, Decimal | None]] = field(default_factory=list)


@dataclass(frozen=True)
class LeftOutSite:
    """A site with submitted rounds of another instrument only: not on this comparison."""

    site_id: int
    site: str
    slug: str  # the instrument its latest submitted round is on
    title: str


@dataclass(frozen=True)
class MostImproved:
    """The site whose latest round moved most since its previous round."""

    site_id: int
    site: str
    change: Decimal
    score: Decimal | None
    previous_score: Decimal | None


@dataclass
class Comparison:
    """Everything the comparison page shows."""

    filters: CompareFilters
    domains: list[DomainColumn]
    rows: list[RankedSite]  # the ranking page, in display order
    total_sites: int
    page: int
    pages: int
    per_page: int
    sort: str
    descending: bool
    summary: Summary
    rounds: list[str]  # round labels of the trend, oldest first
    trend: list[TrendLine]
    trend_median: list[Decimal | None]
    distribution: list[DomainSpread]
    focus_found: bool = False
    left_out: list[LeftOutSite] = field(default_factory=list)
    most_improved: MostImproved | None = None

    @property
    def weakest_domain(self) -> DomainSpread | None:
        """The domain with the lowest median over the sites' latest rounds; the first in the
        instrument's order on a tie; None when no domain has a score."""
        scored = [d for d in self.distribution if d.median is not None]
        return min(scored, key=lambda d: d.median or 0) if scored else None

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_rank(self) -> int:
        return self.first_rank + len(self.rows) - 1

    @property
    def page_numbers(self) -> list[int]:
        """A short run of page numbers around the current one, for the pager."""
        start = max(1, min(self.page - 2, self.pages - 4))
        return list(range(start, min(self.pages, start + 4) + 1))


@dataclass(frozen=True)
class DomainStanding:
    key: str
    title: str
    score: Decimal | None
    median: Decimal | None
    difference: Decimal | None


@dataclass
class SiteStanding:
    """A site's latest submitted results next to the organisation's median per domain."""

    assessment_id: int
    round_label: str
    round_date: datetime.date
    instrument_title: str
    overall: Decimal | None
    overall_median: Decimal | None
    sites: int  # how many sites make up the median
    domains: list[DomainStanding] = field(default_factory=list)
    shown: bool = True  # False when too few sites make up the median to show it
    minimum: int = MEDIAN_MIN_SITES  # how many sites it takes to show the median

    @property
    def overall_difference(self) -> Decimal | None:
        if self.overall is None or self.overall_median is None:
            return None
        return self.overall - self.overall_median
