"""Help from every page: the help page, its glossary, the links to it, the sign-in page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments.glossary import TERMS, term

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_help_page_explains_the_workflow_and_every_term_without_signing_in():
    response = Client().get(reverse("assessments:help"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="workflow"' in html
    assert "Start a round." in html
    assert "Submit." in html
    for entry in TERMS:
        assert f'id="{entry.anchor}"' in html, entry.slug
        assert f"<dt>{entry.name}</dt>" in html.replace("&#x27;", "'"), entry.slug


def test_the_glossary_explains_the_words_the_issue_named():
    names = {entry.name for entry in TERMS}
    for word in (
        "Visible scored questions",
        "Instrument",
        "Export JSON",
        "Blocker",
        "Critical safeguard",
    ):
        assert word in names


def test_every_term_a_template_links_to_is_in_the_glossary():
    used = set()
    for path in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r'{% term_(?:help|short) "([\w-]+)" %}', path.read_text()))
    assert used, "no template links to the glossary"
    for slug in used:
        assert term(slug).slug == slug


def test_the_navigation_has_a_help_link_on_every_signed_in_page(world):
    client = _client(world.victor)
    help_url = reverse("assessments:help")
    for url in (
        reverse("assessments:organisation", args=[world.org.slug]),
        reverse("assessments:site", args=[world.clinic.pk]),
        reverse("reports:compare", args=[world.org.slug]),
    ):
        html = client.get(url).content.decode()
        assert f'<a class="nav-link" href="{help_url}">Help</a>' in html, url


@pytest.mark.django_db
def test_the_sign_in_page_shows_the_apps_name_a_help_link_and_asks_for_an_email_address():
    html = Client().get(reverse("login")).content.decode()
    brand = re.search(r'class="navbar-brand[^"]*"[^>]*>(.*?)</a>', html, re.S).group(1)
    assert settings.SITE_NAME in brand
    assert "testserver" not in brand  # the host name Django's login view calls site_name
    assert reverse("assessments:help") in html
    assert re.search(r'<label\s+for="id_username"[^>]*>\s*Email address', html)
    assert ">Username<" not in html


def test_a_wrong_password_names_the_email_address_field(world):
    response = Client().post(reverse("login"), {"username": "sam", "password": "wrong"})
    assert b"Please enter a correct email address and password" in response.content
