from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Assessment, DomainResult, Instrument, Organisation, Site
from benchmark.models import Participation
from tests import factories

Submit = Callable[..., Assessment]


@pytest.fixture
def submit(small_instrument: Instrument) -> Submit:
    """A submitted assessment with stored results (what the benchmark reads)."""
    counter = iter(range(1, 10_000))

    def make(
        site: Site,
        overall: float,
        gov: float | None = None,
        ops: float | None = None,
        round_label: str | None = None,
    ) -> Assessment:
        n = next(counter)
        assessment = factories.make_assessment(
            site,
            small_instrument,
            round_label=round_label or f"round {n}",
            status=Assessment.Status.SUBMITTED,
            submitted_at=timezone.now() + datetime.timedelta(seconds=n),
            result_score=Decimal(str(overall)),
        )
        for order, (key, score) in enumerate((("gov", gov), ("ops", ops))):
            DomainResult.objects.create(
                assessment=assessment,
                domain_key=key,
                order=order,
                score=None if score is None else Decimal(str(score)),
                applicable=score is not None,
                target=Decimal(60),
            )
        return assessment

    return make


@pytest.fixture
def network(submit: Submit) -> Callable[..., list[Organisation]]:
    """`count` opted-in organisations with `sites` clinics each, scores spread out."""

    def make(
        count: int, sites: int = 2, prefix: str = "Peer", opted_in: bool = True
    ) -> list[Organisation]:
        organisations = []
        for i in range(count):
            organisation = factories.make_organisation(f"{prefix} {i}")
            Participation.objects.create(organisation=organisation, opted_in=opted_in)
            for j in range(sites):
                site = factories.make_site(
                    organisation, f"{prefix} {i} site {j}", kind=Site.Kind.CLINIC
                )
                score = 30 + 7 * i + 3 * j
                submit(site, score, gov=score - 5, ops=score + 5)
            organisations.append(organisation)
        return organisations

    return make
