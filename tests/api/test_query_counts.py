"""The number of queries of each list stays the same as the list grows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.services import action_items_create_from_plan
from assessments.services import AnswerChange, answers_save, assessment_submit
from reports.job_services import report_batch_create
from respondents.models import Assignment
from tests import factories
from tests.api.conftest import api_client


def _grow(world, start: int, count: int) -> None:
    """`count` more rounds at each site: half submitted (with action items), half drafts
    (assigned to Victor), each with answers and audit entries."""
    for i in range(start, start + count):
        for site in (world.clinic, world.hospital):
            assessment = factories.make_assessment(
                site,
                world.instrument,
                round_label=f"Round {i}",
                round_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
            )
            answers_save(
                assessment=assessment,
                user=world.alice,
                changes=[AnswerChange("gov.q01", "no"), AnswerChange("gov.q03", str(i % 5))],
            )
            if i % 2:
                assessment_submit(assessment=assessment, user=world.alice)
                action_items_create_from_plan(assessment=assessment, user=world.alice)
                report_batch_create(
                    organisation=world.org,
                    user=world.alice,
                    title=f"Batch {i}",
                    filters=[],
                    assessment_ids=[assessment.pk],
                )
            else:
                Assignment.objects.create(
                    assessment=assessment, domain_key="gov", user=world.victor
                )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


LISTS = [
    "/api/v1/organisations/",
    "/api/v1/organisations/{org}/sites/",
    "/api/v1/organisations/{org}/instruments/",
    "/api/v1/assessments/",
    "/api/v1/assessments/?status=submitted",
    "/api/v1/assessments/{first}/answers/",
    "/api/v1/assessments/{first}/history/",
    "/api/v1/assessments/{first}/history/assignments/",
    "/api/v1/assessments/{draft}/assignments/",
    "/api/v1/organisations/{org}/action-items/",
    "/api/v1/organisations/{org}/batches/",
    "/api/v1/organisations/{org}/comparison/",
    "/api/v1/assignments/",
]


@pytest.mark.parametrize("template", LISTS)
def test_a_list_costs_the_same_queries_whatever_its_length(world, template):
    _grow(world, 1, 2)
    draft = world.clinic.assessments.filter(status="draft").order_by("pk").first()
    url = template.format(org=world.org.slug, first=draft.pk, draft=draft.pk)
    # An org admin and someone narrower: a site admin, or whom the list is for.
    other = world.sam
    if url == "/api/v1/assignments/":
        other = world.victor  # their own assignments
    elif "batches" in url:
        other = world.carla  # batch exports are for org admins and consultants
    clients = {user.username: api_client(user) for user in (world.alice, other)}
    small = {}
    for name, client in clients.items():
        client.get("/api/v1/me/")  # the token's first use is recorded once
        small[name] = _count(client, url)
    _grow(world, 3, 4)
    answers_save(
        assessment=draft,
        user=world.sam,
        changes=[
            AnswerChange("ops.q01", "all"),
            AnswerChange("ops.q02", "2", comment="More", evidence="Dashboards"),
            AnswerChange("gov.q01", "yes", base_revision=1),
        ],
    )
    Assignment.objects.create(assessment=draft, domain_key="ops", user=world.carla)
    for name, client in clients.items():
        assert _count(client, url) == small[name], (url, name)
