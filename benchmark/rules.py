"""The benchmark's rules over plain data: thresholds, quartiles, and when a refresh may publish.

Pure Python (no Django), so the privacy rules are testable without a database and readable in
one place. benchmark/publishing.py explains why the rules are what they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# A figure is published only from at least this many organisations and sites.
MIN_ORGANISATIONS = 5
MIN_SITES = 10
# Two published figures of one instrument version either come from the same contributions or
# differ in the contributions of at least this many organisations.
MIN_CHANGED_ORGANISATIONS = 5

# {organisation id: the ids of the assessments it contributes}
Contributors = Mapping[int, frozenset[int]]


@dataclass(frozen=True)
class Contribution:
    """One site's latest submitted assessment of the instrument version."""

    organisation_id: int
    site_id: int
    assessment_id: int
    kind: str
    overall: Decimal | None
    domains: Mapping[str, Decimal] = field(default_factory=dict)  # applicable domains only


def whole(value: Decimal) -> int:
    """Published figures are whole numbers, rounded half up."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quartiles(values: Sequence[Decimal]) -> tuple[int, int, int]:
    """(lower quartile, median, upper quartile) of at least one value, each rounded to whole.

    Linear interpolation between order statistics (numpy's default and the "inclusive" method
    of Python's statistics.quantiles), done in Decimal so that rounding is exact.
    """
    ordered = sorted(values)
    last = len(ordered) - 1

    def at(fraction: Decimal) -> Decimal:
        position = fraction * last
        low = int(position)
        high = min(low + 1, last)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return whole(at(Decimal("0.25"))), whole(at(Decimal("0.5"))), whole(at(Decimal("0.75")))


def enough(organisations: int, sites: int) -> bool:
    return organisations >= MIN_ORGANISATIONS and sites >= MIN_SITES


def _row(key: str, title: str, pairs: Sequence[tuple[int, Decimal]]) -> dict[str, object]:
    organisations = len({organisation for organisation, _ in pairs})
    if not enough(organisations, len(pairs)):
        return {"key": key, "title": title, "withheld": True}
    q1, median, q3 = quartiles([value for _, value in pairs])
    return {
        "key": key,
        "title": title,
        "q1": q1,
        "median": median,
        "q3": q3,
        "sites": len(pairs),
        "organisations": organisations,
    }


def summarise(
    contributions: Sequence[Contribution], domains: Sequence[tuple[str, str]]
) -> dict[str, object]:
    """The figures of a benchmark: overall and per domain (key, title), each withheld on its own
    when fewer than MIN_ORGANISATIONS organisations or MIN_SITES sites have a score for it;
    {} when the contributions as a whole are below the thresholds."""
    if not enough(len({c.organisation_id for c in contributions}), len(contributions)):
        return {}
    overall = [(c.organisation_id, c.overall) for c in contributions if c.overall is not None]
    return {
        "overall": _row("overall", "Overall", overall),
        "domains": [
            _row(
                key,
                title,
                [(c.organisation_id, c.domains[key]) for c in contributions if key in c.domains],
            )
            for key, title in domains
        ],
    }


def contributors_of(contributions: Iterable[Contribution]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = {}
    for c in contributions:
        found.setdefault(c.organisation_id, set()).add(c.assessment_id)
    return {organisation: frozenset(ids) for organisation, ids in found.items()}


def changed_organisations(a: Contributors, b: Contributors) -> int:
    """How many organisations contribute differently to a and b (joined, left, or a site's
    contribution added, removed or replaced by a newer submission)."""
    return sum(
        1 for organisation in a.keys() | b.keys() if a.get(organisation) != b.get(organisation)
    )


def may_publish(candidate: Contributors, published: Iterable[Contributors]) -> bool:
    """Whether figures from `candidate` may be published beside every figure ever published
    for the same instrument version: each either comes from the same contributions or differs
    in at least MIN_CHANGED_ORGANISATIONS organisations."""
    for earlier in published:
        changed = changed_organisations(candidate, earlier)
        if 0 < changed < MIN_CHANGED_ORGANISATIONS:
            return False
    return True
