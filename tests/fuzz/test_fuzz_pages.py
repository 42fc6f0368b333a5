"""Fuzz the GET pages: random query strings, ids and keys in paths, the comparison filters
and exports. No page gives a 500, writes anything or shows another organisation's site.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.common import (
    FUZZ,
    assessment_with_work,
    rolled_back,
    saved_state,
    signed_in,
    values,
)

pytestmark = pytest.mark.django_db


# --- GET pages: random query strings and ids --------------------------------------------------


QUERY_KEYS = [
    "page",
    "sort",
    "order",
    "archived",
    "instrument",
    "round",
    "from",
    "to",
    "date",
    "domain",
    "site",
    "sites",
    "format",
    "q",
    "next",
    "dir",
    "rounds",
    "kind",
]


@FUZZ
@given(data=st.data())
def test_fuzz_query_strings_of_the_pages(world, data):
    query = data.draw(
        st.dictionaries(
            st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=10)),
            st.one_of(values(), st.integers().map(str)),
            max_size=5,
        )
    )
    with rolled_back():
        assessment = assessment_with_work(world, submitted=data.draw(st.booleans()))
        before = saved_state()
        pages = [
            reverse("assessments:home"),
            reverse("assessments:organisation", args=[world.org.slug]),
            reverse("assessments:site", args=[world.clinic.pk]),
            reverse("assessments:detail", args=[assessment.pk]),
            reverse("assessments:domain", args=[assessment.pk, "gov"]),
            reverse("assessments:history", args=[assessment.pk]),
            reverse("assessments:targets", args=[assessment.pk]),
            reverse("assessments:submit", args=[assessment.pk]),
            reverse("assessments:manage-sites", args=[world.org.slug]),
            reverse("assessments:members", args=[world.org.slug]),
            reverse("assessments:instruments", args=[world.org.slug]),
            reverse("assessments:import-json", args=[world.org.slug]),
            reverse("reports:compare", args=[world.org.slug]),
            reverse("reports:results", args=[assessment.pk]),
            reverse("reports:gap-report", args=[assessment.pk]),
            reverse("reports:gap-report-docx", args=[assessment.pk]),
            reverse("reports:branding", args=[world.org.slug]),
            reverse("reports:blank-questionnaire", args=[world.org.slug, assessment.instrument_id]),
        ]
        url = data.draw(st.sampled_from(pages))
        response = signed_in(world.alice).get(url + "?" + urlencode(query))
        assert response.status_code < 500, (url, query)
        assert saved_state() == before


COMPARE_KEYS = [
    "instrument",
    "round",
    "date_from",
    "date_to",
    "site",
    "name",
    "kind",
    "per_page",
    "archived",
    "sort",
    "dir",
    "page",
    "focus",
]


@FUZZ
@given(data=st.data())
def test_fuzz_the_comparison_filters_and_exports(world, data):
    query = data.draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(COMPARE_KEYS), st.text(max_size=8)),
                st.one_of(
                    values(),
                    st.sampled_from(
                        [
                            "small-test",
                            "small-test 1.0",
                            "2026 spring",
                            "score",
                            "name",
                            "asc",
                            "desc",
                            "25",
                        ]
                    ),
                ),
            ),
            max_size=8,
        )
    )
    if data.draw(st.booleans()):
        query.append(
            (
                "site",
                str(
                    data.draw(
                        st.sampled_from(
                            [
                                world.clinic.pk,
                                world.hospital.pk,
                                world.other_site.pk,
                                0,
                                -1,
                                2**40,
                                2**63,
                                10**20,
                            ]
                        )
                    )
                ),
            )
        )
    with rolled_back():
        assessment_with_work(world, submitted=True)
        before = saved_state()
        name = data.draw(
            st.sampled_from(["reports:compare", "reports:compare-csv", "reports:compare-xlsx"])
        )
        response = signed_in(world.carla).get(
            reverse(name, args=[world.org.slug]) + "?" + urlencode(query)
        )
        assert response.status_code < 500, query
        body = b"".join(response) if response.streaming else response.content
        assert b"Other Clinic" not in body  # never another organisation's site
        assert saved_state() == before


@FUZZ
@given(
    number=st.one_of(st.integers(min_value=0), st.integers(min_value=2**31 - 5, max_value=2**70)),
    key=st.one_of(
        st.sampled_from(["gov", "ops", "GOV", "gov.q01", "..", "%2e%2e"]),
        st.text(st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=30),
    ),
    name=st.sampled_from(
        [
            "site",
            "detail",
            "take",
            "domain",
            "history",
            "targets",
            "submit",
            "export-json",
            "results",
            "gap-report",
            "gap-report-docx",
            "edit-site",
            "edit-member",
        ]
    ),
)
def test_fuzz_ids_and_keys_in_paths(world, number, key, name):
    with rolled_back():
        assessment_with_work(world)
        if name == "domain":
            path = f"/a/{number}/d/{key}/"
        elif name in {"edit-site", "edit-member"}:
            part = "sites" if name == "edit-site" else "members"
            path = f"/o/{world.org.slug}/{part}/{number}/"
        elif name == "site":
            path = f"/sites/{number}/"
        else:
            suffix = {
                "detail": "",
                "export-json": "export.json",
                "results": "results/",
                "gap-report": "report/",
                "gap-report-docx": "report.docx",
            }.get(name, f"{name}/")
            path = f"/a/{number}/{suffix}"
        response = signed_in(world.alice).get(path)
        assert response.status_code < 500, path
        response = signed_in(world.alice).get(f"/a/{number}/d/{key}/")
        assert response.status_code < 500, key


@FUZZ
@given(
    page=st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**80).map(str), values())
)
def test_fuzz_the_history_page_number(world, page):
    with rolled_back():
        assessment = assessment_with_work(world)
        response = signed_in(world.victor).get(
            reverse("assessments:history", args=[assessment.pk]), {"page": page}
        )
        assert response.status_code in {200, 404}


@FUZZ
@given(
    page=st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**80).map(str), values()),
    show=st.one_of(st.just("assignments"), values()),
)
def test_fuzz_the_history_tabs_and_their_page_numbers(world, page, show):
    with rolled_back():
        assessment = assessment_with_work(world)
        response = signed_in(world.victor).get(
            reverse("assessments:history", args=[assessment.pk]),
            {"show": show, "events_page": page, "page": page},
        )
        assert response.status_code in {200, 404}


# --- 500s found by fuzzing, fixed; kept as regression tests --------------------------------------


def test_a_huge_history_page_number_is_not_a_server_error(world):
    assessment = assessment_with_work(world)
    client = signed_in(world.victor)
    response = client.get(
        reverse("assessments:history", args=[assessment.pk]), {"page": str(10**20)}
    )
    assert response.status_code in {200, 404}
