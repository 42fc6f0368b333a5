"""A hand-made comparison data set: submitted assessments with their stored results set directly."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from assessments.models import Assessment, DomainResult, Site
from tests import factories
from tests.conftest import World

D = Decimal
SPRING = (("2026 spring", datetime.date(2026, 3, 2)),)


def make_submitted(
    site: Site,
    instrument: Any,
    round_label: str,
    round_date: datetime.date,
    *,
    score: str | None,
    level: int | None,
    verdict: str = "Not ready",
    provisional: bool = False,
    completeness: str = "100.0",
    domains: dict[str, tuple[str | None, int | None, list[str]]] | None = None,
) -> Assessment:
    """A submitted assessment with its stored results set directly (no questionnaire)."""
    assessment = factories.make_assessment(
        site,
        instrument,
        round_label=round_label,
        round_date=round_date,
        status=Assessment.Status.SUBMITTED,
        result_score=None if score is None else D(score),
        result_level=level,
        result_verdict=verdict,
        result_provisional=provisional,
        result_completeness=D(completeness),
    )
    for order, (key, (dscore, dlevel, blockers)) in enumerate((domains or {}).items()):
        DomainResult.objects.create(
            assessment=assessment,
            domain_key=key,
            order=order,
            score=None if dscore is None else D(dscore),
            level=dlevel,
            completeness=D("100.0"),
            target=D("60.0"),
            gap=None,
            applicable=dscore is not None,
            blockers=blockers,
        )
    return assessment


def build_golden(world: World) -> World:
    """Two rounds at the clinic, one at the hospital, and noise that must never show."""
    i = world.instrument
    make_submitted(
        world.clinic,
        i,
        "2025 autumn",
        datetime.date(2025, 10, 1),
        score="40.0",
        level=3,
        domains={"gov": ("50.0", 3, []), "ops": ("35.0", 2, [])},
    )
    make_submitted(
        world.clinic,
        i,
        "2026 spring",
        datetime.date(2026, 3, 1),
        score="61.7",
        level=4,
        verdict="Conditionally ready",
        domains={"gov": ("75.0", 4, []), "ops": ("55.0", 3, [])},
    )
    make_submitted(
        world.hospital,
        i,
        "2026 spring",
        datetime.date(2026, 3, 15),
        score="45.0",
        level=3,
        provisional=True,
        completeness="66.7",
        domains={"gov": ("20.0", 2, ["gov.q02"]), "ops": ("57.5", 3, [])},
    )
    # A draft is not compared; nor is another organisation's site.
    factories.make_assessment(world.hospital, i, round_label="2026 autumn")
    make_submitted(
        world.other_site,
        i,
        "2026 spring",
        datetime.date(2026, 3, 1),
        score="99.0",
        level=5,
        domains={"gov": ("99.0", 5, []), "ops": ("99.0", 5, [])},
    )
    return world


def add_peer_sites(
    world: World,
    count: int,
    *,
    name: str = "Peer",
    score: Callable[[int], int] = lambda n: 50,
    rounds: Sequence[tuple[str, datetime.date]] = SPRING,
) -> None:
    """`count` more sites of world.org, named "<name> 000" on (numbering goes on across calls),
    each with a submitted assessment per round that scores `score(n)` in every domain."""
    start = Site.objects.filter(organisation=world.org, name__startswith=f"{name} ").count()
    for n in range(start, start + count):
        site = factories.make_site(world.org, f"{name} {n:03d}")
        value, level = f"{score(n)}.0", min(5, 1 + score(n) // 20)
        for round_label, round_date in rounds:
            make_submitted(
                site,
                world.instrument,
                round_label,
                round_date,
                score=value,
                level=level,
                domains={"gov": (value, level, []), "ops": (value, level, [])},
            )
