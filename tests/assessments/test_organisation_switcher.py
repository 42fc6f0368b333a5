"""The navigation's organisation switcher: every organisation of the person, the current one
marked, on pages that found the membership themselves (the access check reads every
membership of the person) and on pages that did not (the switcher asks)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Membership
from tests import factories


def _switcher(html: str) -> list[tuple[str, bool]]:
    menu = html.split("Switch organisation", 1)[1].split("</ul>", 1)[0]
    return [
        (name.strip(), "active" in classes)
        for classes, name in re.findall(r'class="dropdown-item([^"]*)"[^>]*>([^<]+)<', menu)
    ]


@pytest.fixture
def two_organisations(world) -> Client:
    Membership.objects.create(
        user=world.alice, organisation=world.other_org, role=Membership.Role.VIEWER
    )
    client = Client()
    client.force_login(world.alice)
    return client


def test_each_kind_of_page_lists_every_organisation_with_the_current_one_marked(
    world, two_organisations
):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    pages = {
        # the organisation's own pages: access.get_organisation_for_user
        reverse("assessments:organisation", args=[world.org.slug]): "Northside Health",
        reverse("assessments:organisation", args=[world.other_org.slug]): "Other Org",
        # an assessment's pages: access.get_assessment_for_user
        reverse("assessments:detail", args=[assessment.pk]): "Northside Health",
        reverse("reports:gap-report", args=[assessment.pk]): "Northside Health",
        # no organisation at hand: the switcher reads the memberships itself
        reverse("accounts:two-factor"): None,
    }
    for url, current in pages.items():
        response = two_organisations.get(url)
        assert response.status_code == 200, url
        switcher = _switcher(response.content.decode())
        assert sorted(name for name, _ in switcher) == ["Northside Health", "Other Org"], url
        assert [name for name, active in switcher if active] == ([current] if current else [])


def test_one_organisation_shows_its_name_without_a_switcher(world):
    client = Client()
    client.force_login(world.alice)
    html = client.get(reverse("assessments:organisation", args=[world.org.slug])).content
    assert b"Switch organisation" not in html
    assert b'<span class="navbar-text me-3">Northside Health</span>' in html
