"""The comparison's headline answers (weakest domain, most improved site) and the sites it
leaves out for being on another instrument (issue 11 item 3). Expected values by hand from
tests/reports/compare_data.py (`build_golden`):

- latest rounds: Northside Clinic 2026 spring (61.7; gov 75.0, ops 55.0; previous 40.0),
  Northside Hospital 2026 spring (45.0; gov 20.0, ops 57.5; its only round);
- medians: gov (75.0 + 20.0) / 2 = 47.5, ops (55.0 + 57.5) / 2 = 56.25 -> 56.3, so the
  weakest domain is Governance at 47.5;
- the only site with two rounds is the clinic: 61.7 - 40.0 = +21.7.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Membership
from reports import comparison
from tests import factories
from tests.conftest import World
from tests.reports.compare_data import make_submitted

pytestmark = pytest.mark.django_db
D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(world: World) -> str:
    return reverse("reports:compare", args=[world.org.slug])


def _compare(world: World, user, **filters):
    membership = Membership.objects.get(user=user, organisation=world.org)
    return comparison.compare_sites(
        membership, comparison.CompareFilters(slug="small-test", **filters)
    )


def _mental_health_site(world: World, name: str = "Northside Counselling"):
    site = factories.make_site(world.org, name)
    mental = factories.load_instrument("mental-health-ai", "1.0")
    make_submitted(site, mental, "2026 spring", datetime.date(2026, 3, 5), score="50.0", level=3)
    return site


def test_the_weakest_domain_is_the_lowest_median_of_the_latest_rounds(golden):
    result = _compare(golden, golden.alice)
    weakest = result.weakest_domain
    assert weakest is not None
    assert (weakest.key, weakest.title, weakest.median) == ("gov", "Governance", D("47.5"))
    assert [d.median for d in result.distribution] == [D("47.5"), D("56.3")]


def test_the_most_improved_site_has_the_largest_change_since_its_previous_round(golden):
    best = _compare(golden, golden.alice).most_improved
    assert best is not None
    assert (best.site, best.change, best.previous_score, best.score) == (
        "Northside Clinic",
        D("21.7"),
        D("40.0"),
        D("61.7"),
    )


def test_a_larger_rise_elsewhere_becomes_the_most_improved(golden):
    # The hospital's earlier round at 10.0: 45.0 - 10.0 = +35.0 beats the clinic's +21.7.
    make_submitted(
        golden.hospital,
        golden.instrument,
        "2025 autumn",
        datetime.date(2025, 10, 2),
        score="10.0",
        level=1,
    )
    best = _compare(golden, golden.alice).most_improved
    assert best is not None
    assert (best.site, best.change) == ("Northside Hospital", D("35.0"))


def test_without_two_rounds_the_page_says_so(golden):
    result = _compare(golden, golden.alice, round_label="2026 spring")
    # The change is since the round before whatever the filters, so filter by site instead.
    assert result.most_improved is not None
    only_hospital = _compare(golden, golden.alice, site_ids=(golden.hospital.pk,))
    assert only_hospital.most_improved is None
    html = (
        _client(golden.alice)
        .get(_url(golden), {"instrument": "small-test", "site": golden.hospital.pk})
        .content.decode()
    )
    assert "No site has two rounds yet." in html
    assert "Weakest domain across the organisation" in html
    # One site: the hospital's own scores are the medians; ops 57.5 > gov 20.0.
    assert "Median 20.0 over 1 site" in html


def test_the_page_shows_both_answers_at_the_top(golden):
    html = _client(golden.alice).get(_url(golden)).content.decode()
    answers = html.index('id="compare-answers"')
    assert answers < html.index('id="compare-summary"')
    block = html[answers : html.index('id="compare-summary"')]
    assert "Governance" in block
    assert "Median 47.5 over 2 sites" in block
    assert "Northside Clinic" in block
    assert "▲ +21.7" in block
    assert "40.0 → 61.7" in block


def test_a_site_on_another_instrument_is_named_with_a_switch_to_it(golden):
    site = _mental_health_site(golden)
    result = _compare(golden, golden.alice)
    assert [(s.site_id, s.site, s.slug, s.title) for s in result.left_out] == [
        (site.pk, "Northside Counselling", "mental-health-ai", "Mental-health AI readiness")
    ]
    assert result.total_sites == 2
    response = _client(golden.alice).get(
        _url(golden), {"instrument": "small-test", "round": "2026 spring", "kind": ""}
    )
    html = response.content.decode()
    assert "1 site not shown" in html
    assert "Northside Counselling: on Mental-health AI readiness (mental-health-ai)" in html
    link = response.context["left_out"][0]["url"]
    # The round belongs to the other instrument's rounds no more: the switch drops it.
    assert link == "?kind=&instrument=mental-health-ai"
    assert f'href="{link}"' in html.replace("&amp;", "&")
    switched = _client(golden.alice).get(_url(golden) + link)
    assert [r.site for r in switched.context["result"].rows] == ["Northside Counselling"]
    # Seen from the other side, the two small-test sites are the ones left out.
    assert [s.site for s in switched.context["result"].left_out] == [
        "Northside Clinic",
        "Northside Hospital",
    ]


def test_a_site_with_both_instruments_is_not_left_out(golden):
    mental = factories.load_instrument("mental-health-ai", "1.0")
    make_submitted(
        golden.clinic, mental, "2026 spring", datetime.date(2026, 3, 6), score="1.0", level=1
    )
    assert _compare(golden, golden.alice).left_out == []
    assert 'id="compare-left-out"' not in _client(golden.alice).get(_url(golden)).content.decode()


def test_left_out_sites_respect_access_and_filters(golden):
    _mental_health_site(golden)
    other = factories.make_site(golden.other_org, "Elsewhere Counselling")
    mental = factories.load_instrument("mental-health-ai", "1.0")
    make_submitted(other, mental, "2026 spring", datetime.date(2026, 3, 5), score="9.0", level=1)
    # A site admin of the clinic sees no other site, left out or not.
    assert _compare(golden, golden.sam).left_out == []
    # The name filter applies to the sites left out as to those shown.
    assert _compare(golden, golden.alice, name="Clinic").left_out == []
    assert [s.site for s in _compare(golden, golden.alice).left_out] == ["Northside Counselling"]
