"""Comparison across versions of one instrument (issue 9 C): rounds on 1.0 and on 1.1 are
compared by domain key, and every row says which version it was answered on."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Instrument
from reports import comparison
from tests import factories
from tests.conftest import World
from tests.reports.compare_data import make_submitted

pytestmark = pytest.mark.django_db

# 1.1 of the small instrument: the same domain keys, a reworded domain title and a new question.
SMALL_1_1 = factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "1.1"').replace(
    "title: Operations", "title: Operations and monitoring"
)


@pytest.fixture
def two_versions(world: World) -> tuple[World, Instrument]:
    newer = factories.load_instrument_text(SMALL_1_1, "small-1.1.yaml")
    make_submitted(
        world.clinic,
        world.instrument,
        "2025 autumn",
        datetime.date(2025, 10, 1),
        score="40.0",
        level=3,
        domains={"gov": ("50.0", 3, []), "ops": ("35.0", 2, [])},
    )
    make_submitted(
        world.clinic,
        newer,
        "2026 spring",
        datetime.date(2026, 3, 1),
        score="61.7",
        level=4,
        domains={"gov": ("75.0", 4, []), "ops": ("55.0", 3, [])},
    )
    make_submitted(
        world.hospital,
        world.instrument,
        "2026 spring",
        datetime.date(2026, 3, 15),
        score="45.0",
        level=3,
        domains={"gov": ("20.0", 2, ["gov.q02"]), "ops": ("57.5", 3, [])},
    )
    return world, newer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_all_versions_compare_by_domain_key_with_the_version_on_each_row(two_versions):
    world, _ = two_versions
    membership = world.alice.memberships.get()
    result = comparison.compare_sites(membership, comparison.CompareFilters(slug="small-test"))
    by_site = {row.site: row for row in result.rows}
    assert by_site["Northside Clinic"].version == "1.1"  # its latest round
    assert by_site["Northside Hospital"].version == "1.0"
    clinic_cells = {c.key: c.score for c in by_site["Northside Clinic"].domains}
    hospital_cells = {c.key: c.score for c in by_site["Northside Hospital"].domains}
    assert (str(clinic_cells["ops"]), str(hospital_cells["ops"])) == ("55.0", "57.5")
    # One column per domain key, titled from the newest version.
    assert [(d.key, d.title) for d in result.domains] == [
        ("gov", "Governance"),
        ("ops", "Operations and monitoring"),
    ]
    # The clinic's change since its previous round spans the two versions.
    assert str(by_site["Northside Clinic"].change) == "21.7"


def test_the_page_and_the_exports_show_the_version(two_versions):
    world, newer = two_versions
    client = _client(world.alice)
    url = reverse("reports:compare", args=[world.org.slug])
    html = client.get(url, {"instrument": "small-test"}).content.decode()
    assert "v1.0" in html
    assert "v1.1" in html
    body = client.get(
        reverse("reports:compare-csv", args=[world.org.slug]), {"instrument": "small-test"}
    ).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    # The export holds what the page shows: each site's latest round (issue 11 item 3).
    assert {(r["Site"], r["Round"], r["Version"]) for r in rows} == {
        ("Northside Clinic", "2026 spring", "1.1"),
        ("Northside Hospital", "2026 spring", "1.0"),
    }
    assert [r["Operations and monitoring"] for r in rows if r["Version"] == "1.1"] == ["55.0"]
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                reverse("reports:compare-xlsx", args=[world.org.slug]),
                {"instrument": "small-test"},
            ).content
        )
    )
    sheet = book["Scores"]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    version_column = headers.index("Version")
    versions = sorted(str(row[version_column].value) for row in sheet.iter_rows(min_row=2))
    assert versions == ["1.0", "1.1"]


def test_one_version_can_be_chosen(two_versions):
    world, newer = two_versions
    membership = world.alice.memberships.get()
    only_new = comparison.compare_sites(
        membership, comparison.CompareFilters(slug="small-test", version="1.1")
    )
    assert [(r.site, r.version) for r in only_new.rows] == [("Northside Clinic", "1.1")]
    response = _client(world.alice).get(
        reverse("reports:compare", args=[world.org.slug]), {"instrument": "small-test@1.0"}
    )
    assert response.status_code == 200
    assert {r.version for r in response.context["result"].rows} == {"1.0"}
