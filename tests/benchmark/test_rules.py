from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from benchmark import rules


def _c(org: int, site: int, score: float, kind: str = "clinic") -> rules.Contribution:
    return rules.Contribution(
        org, site, 1000 + site, kind, Decimal(str(score)), {"gov": Decimal(str(score))}
    )


def test_quartiles_interpolate_and_round_half_up() -> None:
    values = [Decimal(v) for v in ("10", "20", "30", "40", "50")]
    assert rules.quartiles(values) == (20, 30, 40)
    assert rules.quartiles([Decimal("10"), Decimal("11")]) == (10, 11, 11)  # 10.25, 10.5, 10.75


@pytest.mark.parametrize(
    ("organisations", "sites", "shown"),
    [(4, 12, False), (5, 9, False), (5, 10, True), (10, 10, True)],
)
def test_figures_need_five_organisations_and_ten_sites(
    organisations: int, sites: int, shown: bool
) -> None:
    contributions = [_c(i % organisations, i, 40 + i) for i in range(sites)]
    figures = rules.summarise(contributions, [("gov", "Governance")])
    assert bool(figures) is shown
    if shown:
        assert figures["overall"]["organisations"] == organisations  # type: ignore[index, unused-ignore]
        assert figures["overall"]["sites"] == sites  # type: ignore[index, unused-ignore]


def test_a_domain_scored_by_too_few_is_withheld_on_its_own() -> None:
    contributions = [_c(i % 5, i, 50) for i in range(10)]
    contributions += [rules.Contribution(9, 99, 999, "clinic", Decimal(60), {})]
    figures = rules.summarise(contributions, [("gov", "Governance"), ("ops", "Operations")])
    domains: Any = figures["domains"]
    assert "median" in domains[0]
    assert domains[1] == {"key": "ops", "title": "Operations", "withheld": True}


@pytest.mark.parametrize(("changed", "allowed"), [(0, True), (1, False), (4, False), (5, True)])
def test_a_publication_differs_from_every_earlier_one_by_none_or_five_organisations(
    changed: int, allowed: bool
) -> None:
    earlier = {org: frozenset({org}) for org in range(10)}
    candidate = {org: frozenset({org + 100 if org < changed else org}) for org in range(10)}
    assert rules.changed_organisations(candidate, earlier) == changed
    assert rules.may_publish(candidate, [earlier]) is allowed
