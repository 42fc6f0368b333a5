"""The access rules of assessments/access.py, through every questionnaire view and role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments import access
from assessments.models import Assessment
from tests import factories


def _get(user, url: str) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


@pytest.fixture
def assessments(world):
    return {
        "clinic": factories.make_assessment(world.clinic, world.instrument),
        "hospital": factories.make_assessment(world.hospital, world.instrument),
        "other": factories.make_assessment(world.other_site, world.instrument),
    }


ASSESSMENT_PAGES = ["detail", "history", "submit", "targets"]


@pytest.mark.parametrize("name", ASSESSMENT_PAGES)
def test_another_organisations_assessment_is_a_404(world, assessments, name):
    url = reverse(f"assessments:{name}", args=[assessments["other"].pk])
    for user in (world.alice, world.sam, world.carla, world.victor):
        assert _get(user, url) == 404


@pytest.mark.parametrize("name", ASSESSMENT_PAGES)
def test_a_site_admin_cannot_reach_another_sites_assessment(world, assessments, name):
    url = reverse(f"assessments:{name}", args=[assessments["hospital"].pk])
    assert _get(world.sam, url) == 404


def test_anonymous_users_are_sent_to_login(world, assessments):
    for url in (
        reverse("assessments:home"),
        reverse("assessments:organisation", args=[world.org.slug]),
        reverse("assessments:site", args=[world.clinic.pk]),
        reverse("assessments:detail", args=[assessments["clinic"].pk]),
        reverse("assessments:domain", args=[assessments["clinic"].pk, "gov"]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("sam", 200), ("carla", 200), ("victor", 200), ("oscar", 404)],
)
def test_the_domain_page_by_role(world, assessments, persona, expected):
    url = reverse("assessments:domain", args=[assessments["clinic"].pk, "gov"])
    assert _get(getattr(world, persona), url) == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("sam", 403), ("carla", 403), ("victor", 403), ("oscar", 404)],
)
def test_the_submit_page_needs_edit_rights(world, assessments, persona, expected):
    url = reverse("assessments:submit", args=[assessments["hospital"].pk])
    expected = 404 if persona == "sam" else expected  # not sam's site
    assert _get(getattr(world, persona), url) == expected


def test_the_organisation_page_lists_only_visible_sites(world, assessments):
    client = Client()
    client.force_login(world.sam)
    response = client.get(reverse("assessments:organisation", args=[world.org.slug]))
    names = [row["site"].name for row in response.context["rows"]]
    assert names == ["Northside Clinic"]
    assert _get(world.oscar, reverse("assessments:organisation", args=[world.org.slug])) == 404


def test_site_pages_by_role(world):
    url = reverse("assessments:site", args=[world.hospital.pk])
    assert _get(world.alice, url) == 200
    assert _get(world.victor, url) == 200
    assert _get(world.sam, url) == 404
    assert _get(world.oscar, url) == 404
    assert _get(world.alice, reverse("assessments:site", args=[999999])) == 404


def test_creating_an_assessment_checks_the_role_and_input(world):
    url = reverse("assessments:site", args=[world.clinic.pk])
    client = Client()
    client.force_login(world.victor)
    assert client.post(url, {}).status_code == 403
    client.force_login(world.sam)
    response = client.post(url, {"instrument": "999", "round_label": "", "round_date": "soon"})
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"instrument", "round_label", "round_date"}
    assert not Assessment.objects.exists()
    response = client.post(
        url,
        {
            "instrument": world.instrument.pk,
            "round_label": "2026 spring",
            "round_date": "2026-03-01",
        },
    )
    assessment = Assessment.objects.get()
    assert response.url == reverse("assessments:take", args=[assessment.pk])
    assert assessment.audit.filter(action="created").exists()


def test_an_instrument_of_another_organisation_cannot_be_chosen(world):
    own = factories.load_instrument_text(
        factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: other-own"), name="o.yaml"
    )
    own.organisation = world.other_org
    own.save()
    client = Client()
    client.force_login(world.alice)
    response = client.post(
        reverse("assessments:site", args=[world.clinic.pk]),
        {"instrument": own.pk, "round_label": "x", "round_date": "2026-03-01"},
    )
    assert "instrument" in response.context["form"].errors


def test_visible_sites_by_role(world):
    sam = world.sam.memberships.get()
    alice = world.alice.memberships.get()
    assert list(access.visible_sites(sam)) == [world.clinic]
    assert set(access.visible_sites(alice)) == {world.clinic, world.hospital}


@pytest.mark.parametrize(
    "url",
    [
        "/sites/99999999999999999999999/",
        "/a/123456789012345678901234567890/d/gov/",
        "/a/99999999999999999999/results/",
    ],
)
def test_an_id_too_big_for_the_database_is_a_404(world, url):
    assert _get(world.alice, url) == 404
