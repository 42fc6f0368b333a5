"""The History marks what came through the REST API: a "via API" badge on the line (the audit
row's `via`, assessments/audit_source.py), and a script's writes are never folded into the
person's own clicks on the same answer."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from assessments.history import history_lines
from assessments.models import AuditEntry
from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.api.conftest import api_client

BADGE = re.compile(r'<span class="badge[^"]*"[^>]*>via API</span>')


def _history(user, assessment) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("assessments:history", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, flags=re.S)


def test_a_change_through_the_api_has_the_badge_and_one_on_the_pages_has_none(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(assessment=assessment, user=world.sam, changes=[AnswerChange("gov.q01", "no")])
    response = api_client(world.sam).put_json(
        f"/api/v1/assessments/{assessment.pk}/answers/gov.q03/", {"value": "2", "revision": 0}
    )
    assert response.status_code == 200
    assert list(
        AuditEntry.objects.filter(assessment=assessment, action="answer")
        .order_by("pk")
        .values_list("subject", "via")
    ) == [("gov.q01", ""), ("gov.q03", "api")]
    rows = _rows(_history(world.alice, assessment))
    via_api = [row for row in rows if BADGE.search(row)]
    assert len(via_api) == 1
    assert "Is there an AI governance committee?" in via_api[0]
    assert all("via API" not in row for row in rows if row not in via_api)


def test_a_scripts_write_is_its_own_line_between_the_persons_clicks(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(assessment=assessment, user=world.sam, changes=[AnswerChange("gov.q03", "1")])
    api_client(world.sam).put_json(
        f"/api/v1/assessments/{assessment.pk}/answers/gov.q03/", {"value": "2", "revision": 1}
    )
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[AnswerChange("gov.q03", "3", base_revision=2)],
    )
    entries = list(AuditEntry.objects.filter(assessment=assessment, action="answer"))
    assert len(entries) == 3  # within seconds: one line were it not for the API in between
    lines = history_lines(entries, {})
    assert [(line.new["value"], line.via_api) for line in lines] == [
        ("3", False),
        ("2", True),
        ("1", False),
    ]
