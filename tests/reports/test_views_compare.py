"""The comparison page and its exports: access, filters, sorting, paging, query counts."""

from __future__ import annotations

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Site
from reports import comparison
from tests import factories
from tests.conftest import World
from tests.reports.compare_data import add_peer_sites

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(world: World, name: str = "reports:compare") -> str:
    return reverse(name, args=[world.org.slug])


def _chart_payloads(response) -> str:
    """Every chart's figure JSON, as the browser receives it."""
    charts = response.context["charts"]
    return json.dumps([c["payload"] for c in charts.values()])


def test_the_page_shows_heatmap_ranking_trend_and_distribution(golden):
    response = _client(golden.alice).get(_url(golden))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Domain scores by site",
        "Ranking",
        "Trend across rounds",
        "Distribution per domain",
    ):
        assert heading in html
    assert 'data-chart="chart-heatmap-data"' in html
    assert 'id="chart-heatmap-data" type="application/json"' in html
    assert "js/charts.js" in html
    assert "vendor/plotly-custom-4.1.1.min.js" in html
    assert "<script>" not in html  # strict CSP: no inline script or style
    assert "style=" not in html
    ranking = response.context["result"].rows
    assert [r.site for r in ranking] == ["Northside Clinic", "Northside Hospital"]
    assert "▲ +21.7" in html
    assert "Provisional" in html


def test_each_chart_has_a_table_with_its_figures(golden):
    html = _client(golden.alice).get(_url(golden)).content.decode()
    for table in ("chart-heatmap-table", "chart-trend-table", "chart-distribution-table"):
        assert f'id="{table}"' in html
    assert '75.0 <span class="text-body-secondary">(level 4)</span>' in html
    assert "Median of all compared sites" in html


def test_the_heatmap_figure_carries_scores_levels_and_dashes(golden):
    response = _client(golden.alice).get(_url(golden))
    figure = response.context["charts"]["heatmap"]["payload"]
    missing, levels = figure["data"]
    assert levels["z"] == [[4, 3], [2, 3]]
    assert levels["text"] == [["75.0 · L4", "55.0 · L3"], ["20.0 · L2", "57.5 · L3"]]
    assert levels["y"] == ["Northside Clinic", "Northside Hospital"]
    assert missing["text"] == [["", ""], ["", ""]]


def test_a_site_admin_sees_only_their_site_in_page_charts_and_exports(golden):
    client = _client(golden.sam)
    response = client.get(_url(golden))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Northside Hospital" not in html
    assert "Northside Hospital" not in _chart_payloads(response)
    assert "Other Clinic" not in html
    csv_body = client.get(_url(golden, "reports:compare-csv")).content.decode()
    assert "Northside Clinic" in csv_body
    assert "Northside Hospital" not in csv_body
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(_url(golden, "reports:compare-xlsx")).content)
    )
    names = [row[0].value for row in book["Scores"].iter_rows(min_row=2)]
    assert names == ["Northside Clinic"]  # its latest round, as on the page


def test_a_site_admin_cannot_pick_a_site_they_may_not_see(golden):
    response = _client(golden.sam).get(_url(golden), {"site": golden.hospital.pk})
    assert response.status_code == 422
    assert "One of the chosen sites is not available." in response.content.decode()
    assert [r.site for r in response.context["result"].rows] == ["Northside Clinic"]
    csv_response = _client(golden.sam).get(
        _url(golden, "reports:compare-csv"), {"site": golden.hospital.pk}
    )
    assert csv_response.status_code == 302  # back to the page, which explains


@pytest.mark.parametrize("name", ["reports:compare", "reports:compare-csv", "reports:compare-xlsx"])
def test_another_organisations_admin_gets_a_404(golden, name):
    assert _client(golden.oscar).get(_url(golden, name)).status_code == 404


def test_anonymous_people_are_sent_to_log_in(golden):
    response = Client().get(_url(golden))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_organisations_sites_never_appear(golden):
    response = _client(golden.alice).get(_url(golden), {"site": golden.other_site.pk})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Other Clinic" not in html
    assert "Other Clinic" not in _chart_payloads(response)
    assert (
        "Other Clinic"
        not in _client(golden.alice).get(_url(golden, "reports:compare-csv")).content.decode()
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "not-a-date"}, "date_from", "Enter a valid date."),
        (
            {"date_from": "2025-01-01", "date_to": "2024-01-01"},
            "date_to",
            "The end date is before the start date.",
        ),
        ({"instrument": "nope"}, "instrument", "Select a valid choice."),
        ({"round": "1999 never"}, "round", "Select a valid choice."),
        ({"site": "abc"}, "site", "Choose sites from the list."),
        ({"site": "999999"}, "site", "One of the chosen sites is not available."),
        # Beyond a 64-bit id: an OverflowError in SQLite, never a 500.
        ({"site": "99999999999999999999"}, "site", "Choose sites from the list."),
        ({"site": ["1", "-99999999999999999999"]}, "site", "Choose sites from the list."),
        ({"site": "9" * 4400}, "site", "Choose sites from the list."),
        ({"kind": "castle"}, "kind", "Select a valid choice."),
        ({"per_page": "7"}, "per_page", "Select a valid choice."),
        ({"name": "x" * 101}, "name", "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_filters_get_a_message_next_to_the_field_and_the_rest_still_works(
    golden, params, field, message
):
    response = _client(golden.alice).get(_url(golden), params)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="{field}-error"' in html
    assert message in html
    assert response.context["result"].total_sites == 2  # the bad filter is left out


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "99999"},
        {"sort": "evil"},
        {"dir": "sideways"},
        {"focus": "x"},
        {"page": "1" * 40},
    ],
)
def test_bad_paging_and_sorting_fall_back_quietly(golden, params):
    response = _client(golden.alice).get(_url(golden), params)
    assert response.status_code == 200
    assert response.context["result"].page == 1


def test_filters_narrow_the_page(golden):
    client = _client(golden.alice)
    response = client.get(_url(golden), {"kind": Site.Kind.HOSPITAL})
    assert [r.site for r in response.context["result"].rows] == ["Northside Hospital"]
    response = client.get(_url(golden), {"round": "2025 autumn"})
    assert [r.round_label for r in response.context["result"].rows] == ["2025 autumn"]
    response = client.get(_url(golden), {"date_to": "2025-12-31"})
    assert [r.site for r in response.context["result"].rows] == ["Northside Clinic"]
    response = client.get(_url(golden), {"site": [golden.hospital.pk, golden.clinic.pk]})
    assert response.context["result"].total_sites == 2


def test_sort_links_are_accessible_and_toggle(golden):
    client = _client(golden.alice)
    html = client.get(_url(golden)).content.decode()
    assert 'aria-sort="descending"' in html
    assert "sort=score&amp;dir=asc" in html  # choosing the current column again reverses it
    response = client.get(_url(golden), {"sort": "name", "dir": "desc"})
    assert [r.site for r in response.context["result"].rows] == [
        "Northside Hospital",
        "Northside Clinic",
    ]
    assert 'aria-sort="descending"' in response.content.decode()


def test_many_sites_are_paged_and_the_site_filter_becomes_a_name_search(world):
    add_peer_sites(world, 210, name="Site", score=lambda n: n % 100)
    client = _client(world.alice)
    response = client.get(_url(world), {"page": "3", "per_page": "50"})
    result = response.context["result"]
    assert (result.total_sites, result.pages, result.page, len(result.rows)) == (210, 5, 3, 50)
    assert result.rows[0].site != result.rows[1].site
    heatmap = response.context["charts"]["heatmap"]["payload"]["data"][1]
    assert len(heatmap["y"]) == 50  # the heatmap shows this page's sites only
    html = response.content.decode()
    assert 'name="name"' in html
    assert '<select name="site"' not in html
    assert 'aria-label="Pages of the ranking"' in html
    response = client.get(_url(world), {"name": "Site 00"})
    assert response.context["result"].total_sites == 10


def test_focus_opens_the_page_with_that_site(world):
    add_peer_sites(world, 30, name="Site", score=lambda n: n)
    focused = Site.objects.get(name="Site 000")  # the lowest score: last page
    response = _client(world.alice).get(_url(world), {"focus": focused.pk})
    result = response.context["result"]
    assert result.page == 2
    assert 'aria-current="true"' in response.content.decode()


def test_the_csv_export_uses_the_filters_of_the_page(golden):
    response = _client(golden.alice).get(
        _url(golden, "reports:compare-csv"), {"round": "2026 spring"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows[1:]] == ["Northside Clinic", "Northside Hospital"]


def test_the_excel_export_has_two_sheets(golden):
    response = _client(golden.victor).get(_url(golden, "reports:compare-xlsx"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Scores", "Filters"]
    filters = {row[0].value: row[1].value for row in book["Filters"].iter_rows(min_row=2)}
    assert filters["Exported by"] == "Victor Viewer"
    assert filters["Instrument"] == "Small test instrument"
    # The two sites the page shows, not their earlier rounds besides.
    assert len(list(book["Scores"].iter_rows(min_row=2))) == 2


def test_an_export_with_bad_filters_goes_back_to_the_page(golden):
    response = _client(golden.alice).get(
        _url(golden, "reports:compare-xlsx"), {"date_from": "garbage"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(_url(golden))
    assert "date_from=garbage" in response["Location"]


@pytest.mark.parametrize("name", ["reports:compare-csv", "reports:compare-xlsx"])
def test_an_export_with_an_out_of_range_site_id_shows_the_page_with_the_message(golden, name):
    response = _client(golden.alice).get(
        _url(golden, name), {"site": "99999999999999999999"}, follow=True
    )
    assert response.status_code == 422
    assert 'id="site-error"' in response.content.decode()
    assert "Choose sites from the list." in response.content.decode()


def test_an_organisation_without_submitted_assessments_gets_an_explanation(world):
    factories.make_assessment(world.clinic, world.instrument)
    response = _client(world.alice).get(_url(world))
    assert response.status_code == 200
    assert "No site has a submitted assessment yet" in response.content.decode()
    export = _client(world.alice).get(_url(world, "reports:compare-csv"))
    assert export.status_code == 200
    assert export.content.decode().splitlines() == [",".join(comparison.EXPORT_HEADERS)]


def test_page_queries_do_not_grow_with_sites_and_rounds(world, django_assert_max_num_queries):
    rounds = (("R0", datetime.date(2025, 10, 1)), ("R1", datetime.date(2026, 3, 1)))
    client = _client(world.alice)
    add_peer_sites(world, 3, rounds=rounds)
    params = {"instrument": "small-test", "round": "", "kind": ""}
    with django_assert_max_num_queries(14) as small:
        assert client.get(_url(world), params).status_code == 200
    with django_assert_max_num_queries(12) as small_csv:
        assert client.get(_url(world, "reports:compare-csv"), params).status_code == 200
    add_peer_sites(world, 27, rounds=rounds)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(_url(world), params)
    assert response.context["result"].total_sites == 30
    with django_assert_max_num_queries(len(small_csv.captured_queries)):
        assert client.get(_url(world, "reports:compare-csv"), params).status_code == 200


def test_the_site_page_shows_where_the_site_stands_against_the_organisation(golden):
    url = reverse("assessments:site", args=[golden.clinic.pk])
    response = _client(golden.alice).get(url)
    html = response.content.decode()
    assert "Against the organisation" in html
    assert "of 2 sites of the organisation" in html
    assert f"?focus={golden.clinic.pk}" in html
    # The clinic's 75.0 in Governance against the median of 75.0 and 20.0.
    assert "47.5" in html


def test_a_site_admin_sees_no_median_made_of_too_few_sites(golden):
    url = reverse("assessments:site", args=[golden.clinic.pk])
    html = _client(golden.sam).get(url).content.decode()
    assert "at least 5 sites" in html
    assert "47.5" not in html


def test_the_site_page_queries_do_not_grow_with_the_organisation(
    golden, django_assert_max_num_queries
):
    client = _client(golden.alice)
    url = reverse("assessments:site", args=[golden.clinic.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    add_peer_sites(golden, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["reports:compare-csv", "reports:compare-xlsx"])
def test_an_export_is_recorded_with_who_and_when(golden, name):
    from assessments.models import ExportRecord

    response = _client(golden.alice).get(_url(golden, name))
    assert response.status_code == 200
    record = ExportRecord.objects.get()
    assert record.user == golden.alice
    assert record.organisation == golden.org
    assert record.kind == "comparison-" + name.rsplit("-", 1)[1]
    assert record.rows > 0
