"""Who exported a comparison is recorded by a service, not by the function writing the file."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import ExportRecord, Membership
from reports import comparison
from reports.comparison import CompareFilters, SiteStanding
from reports.services import export_record_create
from tests.conftest import World
from tests.reports.compare_data import build_golden

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden(world: World) -> World:
    return build_golden(world)


def _membership(world: World, user: Any) -> Membership:
    return Membership.objects.get(user=user, organisation=world.org)


def test_the_service_records_who_exported_what_with_the_filters_as_text(world):
    filters = CompareFilters(slug="small-test", site_ids=(3, 4), include_archived=True)
    record = export_record_create(
        organisation=world.org,
        user=world.alice,
        kind="comparison-csv",
        rows=7,
        filters=filters.describe(),
    )
    record.refresh_from_db()
    assert (record.organisation, record.user, record.kind, record.rows) == (
        world.org,
        world.alice,
        "comparison-csv",
        7,
    )
    assert record.filters["Sites"] == "3, 4"
    assert record.filters["Archived sites"] == "included"


def test_the_service_records_an_export_without_a_signed_in_person(world):
    record = export_record_create(
        organisation=world.org, user=None, kind="comparison-csv", rows=0, filters=[]
    )
    assert record.user is None
    assert record.filters == {}


def test_writing_the_files_records_nothing_by_itself(golden):
    membership = _membership(golden, golden.alice)
    filters = CompareFilters(slug="small-test")
    csv_file = comparison.export_csv(membership, filters)
    xlsx_file = comparison.export_xlsx(membership, filters, user=golden.alice)
    assert not ExportRecord.objects.exists()
    # The latest round of the clinic and of the hospital, as the page shows them.
    assert (csv_file.rows, xlsx_file.rows) == (2, 2)
    assert csv_file.content.count(b"\r\n") == 3  # the headers and two rows


def test_the_download_records_the_rows_it_sent(golden):
    client = Client()
    client.force_login(golden.alice)
    url = reverse("reports:compare-csv", args=[golden.org.slug])
    response = client.get(url, {"instrument": "small-test", "round": "2026 spring"})
    assert response.status_code == 200
    record = ExportRecord.objects.get()
    assert record.rows == 2
    assert record.filters["Round"] == "2026 spring"


def test_the_site_page_gets_its_standing_from_the_view(golden):
    client = Client()
    client.force_login(golden.alice)
    response = client.get(reverse("assessments:site", args=[golden.clinic.pk]))
    standing = response.context["standing"]
    assert isinstance(standing, SiteStanding)
    assert [(d.key, str(d.score), str(d.median)) for d in standing.domains] == [
        ("gov", "75.0", "47.5"),
        ("ops", "55.0", "56.3"),
    ]
