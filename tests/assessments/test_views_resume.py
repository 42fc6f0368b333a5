"""Resuming an assessment: the last domain is remembered when answers are saved, never on a GET."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment
from tests import factories
from tests.conftest import World

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def assessment(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.sam)
    return client


def _domain_url(assessment: Assessment, key: str) -> str:
    return reverse("assessments:domain", args=[assessment.pk, key])


def _writes(captured: CaptureQueriesContext) -> list[str]:
    """The statements that wrote, except to the session (sign-in expiry is kept there)."""
    statements = (query["sql"].lstrip().upper() for query in captured.captured_queries)
    return [sql for sql in statements if sql.startswith(WRITES) and "DJANGO_SESSION" not in sql]


def test_opening_a_domain_writes_nothing_to_the_database(world, assessment):
    client = _client(world)
    before = Assessment.objects.values().get(pk=assessment.pk)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_domain_url(assessment, "ops"))
    assert response.status_code == 200
    assert _writes(captured) == []
    assert Assessment.objects.values().get(pk=assessment.pk) == before


def test_resuming_goes_to_the_domain_last_saved_not_the_one_last_looked_at(world, assessment):
    client = _client(world)
    form = client.get(_domain_url(assessment, "ops")).context["form"]
    # The form as the browser posts it: hidden revisions and fingerprints included.
    data = {name: str(form[name].value()) for name in form.fields if form[name].value() is not None}
    saved = client.post(_domain_url(assessment, "ops"), {**data, "ops.q01": "some"})
    assert saved.status_code == 302
    client.get(_domain_url(assessment, "gov"))  # only looked at
    response = client.get(reverse("assessments:take", args=[assessment.pk]))
    assert response.status_code == 302
    assert response.url == _domain_url(assessment, "ops") + "#q-ops.q02"


def test_resuming_a_new_assessment_opens_the_first_domain(world, assessment):
    client = _client(world)
    client.get(_domain_url(assessment, "ops"))
    response = client.get(reverse("assessments:take", args=[assessment.pk]))
    assert response.url == _domain_url(assessment, "gov") + "#q-gov.q01"
