"""The demo's benchmark and independent round (issue 15): `manage.py seed_demo` adds anonymous
peers enough for the benchmark to show on the results, report and comparison pages, a filter by
kind of site that is withheld, and a round answered in independent mode whose disagreements
show in the results."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments import demo
from assessments.models import Assessment, Organisation
from benchmark.demo import PEERS_FILE, PeersDataError, demo_benchmark_seed, load_peers
from benchmark.models import Participation, Snapshot
from benchmark.publishing import published_snapshot
from benchmark.rules import MIN_ORGANISATIONS, MIN_SITES
from respondents.models import Assignment, IndependentAnswering

pytestmark = pytest.mark.django_db

WITHHELD = "withheld for privacy"
PEERS = load_peers()


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The demo seeded once by the command, rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _spring(site: str) -> Assessment:
    return Assessment.objects.get(site__name=site, round_label="2026 spring")


def test_the_benchmark_of_the_demo_round_is_published(seeded: str) -> None:
    assert "Demo benchmark: 10 assessments of anonymous peers created." in seeded
    snapshot = Snapshot.objects.get(
        instrument__slug="clinical-ai", instrument__version="1.1", kind="", figures__isnull=False
    )
    assert not snapshot.withheld
    assert snapshot.organisations >= MIN_ORGANISATIONS
    assert snapshot.sites >= MIN_SITES
    # Every peer and the demo organisation that takes part are opted in.
    names = [o.name for o in PEERS.organisations] + list(PEERS.take_part)
    assert set(
        Participation.objects.filter(opted_in=True).values_list("organisation__name", flat=True)
    ) == set(names)
    # Each kind of site alone is below the thresholds: withheld.
    for kind in ("hospital", "clinic", "practice", "other"):
        kind_snapshot = published_snapshot(snapshot.instrument_id, kind)
        assert kind_snapshot is None or kind_snapshot.withheld, kind


def test_the_results_report_and_comparison_show_it_without_a_name(seeded: str) -> None:
    client = _client(demo.ADMIN)
    hospital = _spring("Riverbend General Hospital")
    pages = [
        reverse("reports:results", args=[hospital.pk]),
        reverse("reports:gap-report", args=[hospital.pk]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "Benchmark across organisations" in page
        assert WITHHELD not in page
        assert "benchmark-table" in page
        for peer in PEERS.organisations:
            assert peer.name not in page
            assert all(site.name not in page for site in peer.sites)
    organisation = Organisation.objects.get(name=demo.RIVERBEND)
    compare = reverse("reports:compare", args=[organisation.slug])
    page = client.get(compare, {"instrument": "clinical-ai"}).content.decode()
    assert "benchmark-table" in page
    assert WITHHELD not in page


def test_a_filter_by_kind_of_site_shows_the_withheld_message(seeded: str) -> None:
    organisation = Organisation.objects.get(name=demo.RIVERBEND)
    compare = reverse("reports:compare", args=[organisation.slug])
    page = (
        _client(demo.ADMIN)
        .get(compare, {"instrument": "clinical-ai", "kind": "hospital"})
        .content.decode()
    )
    assert WITHHELD in page
    assert "benchmark-table" not in page


def test_the_independent_round_shows_where_respondents_disagreed(seeded: str) -> None:
    northgate = _spring("Northgate Urgent Care")
    assert IndependentAnswering.objects.filter(assessment=northgate).exists()
    assert northgate.status == Assessment.Status.SUBMITTED
    people = set(
        Assignment.objects.filter(assessment=northgate).values_list("user__username", flat=True)
    )
    assert len(people) == 3
    assert demo.VIEWER in people  # the demo's viewer login answers some domains herself
    page = _client(demo.ADMIN).get(reverse("reports:results", args=[northgate.pk]))
    html = page.content.decode()
    assert "Where respondents disagreed" in html
    for key in ("ethics.q02a", "training.q01", "patients.q08"):
        assert f'id="disagree-q-{key}"' in html
    assert "legal confirmed none is signed" in html
    # Other rounds are single-answer: no section.
    hospital = _spring("Riverbend General Hospital")
    page = _client(demo.ADMIN).get(reverse("reports:results", args=[hospital.pk]))
    assert "Where respondents disagreed" not in page.content.decode()


def test_seeding_again_changes_nothing(seeded: str) -> None:
    snapshots = Snapshot.objects.count()
    assessments = Assessment.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo benchmark" not in out.getvalue()
    assert Snapshot.objects.count() == snapshots
    assert Assessment.objects.count() == assessments


def test_an_organisation_that_opted_out_stays_out(seeded: str) -> None:
    riverbend = Organisation.objects.get(name=demo.RIVERBEND)
    Participation.objects.filter(organisation=riverbend).update(opted_in=False)
    assert demo_benchmark_seed() == 0
    assert not Participation.objects.get(organisation=riverbend).opted_in


def test_a_mistake_in_the_peers_file_names_the_key(tmp_path: Path) -> None:
    raw = yaml.safe_load(PEERS_FILE.read_text(encoding="utf-8"))
    raw["organisations"][1]["sites"][0]["kind"] = "spa"
    path = tmp_path / "peers.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(PeersDataError, match=r"organisations\[1\]\.sites\[0\]\.kind: must be one"):
        load_peers(path)
