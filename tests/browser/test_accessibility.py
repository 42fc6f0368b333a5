"""Every page passes axe-core with no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from assessments.models import Assessment
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def _pages(world) -> list[str]:
    draft = factories.make_assessment(world.clinic, world.instrument, round_label="2026 spring")
    submitted = factories.make_assessment(
        world.hospital, world.instrument, round_label="2025 autumn"
    )
    answers_save(
        assessment=submitted,
        user=world.alice,
        changes=[
            AnswerChange(
                key="gov.q01", value="yes", comment="<b>Vendor</b> register in SharePoint"
            ),
            AnswerChange(key="gov.q02", value="no"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="some"),
        ],
    )
    assessment_submit(assessment=submitted, user=world.alice)
    earlier = factories.make_assessment(world.hospital, world.instrument, round_label="2025 spring")
    assessment_submit(assessment=earlier, user=world.alice)
    Assessment.objects.filter(pk=submitted.pk).update(previous=earlier)
    member = world.victor.memberships.get()
    slug = world.org.slug
    urls = [
        reverse("assessments:organisation", args=[slug]),
        reverse("assessments:site", args=[world.clinic.pk]),
        reverse("assessments:detail", args=[draft.pk]),
        reverse("assessments:domain", args=[draft.pk, "gov"]),
        reverse("assessments:domain", args=[submitted.pk, "gov"]),
        reverse("assessments:submit", args=[draft.pk]),
        reverse("assessments:targets", args=[draft.pk]),
        reverse("assessments:history", args=[submitted.pk]),
        reverse("assessments:manage-sites", args=[slug]),
        reverse("assessments:members", args=[slug]),
        reverse("assessments:instruments", args=[slug]),
        reverse("assessments:edit-site", args=[slug, world.clinic.pk]),
        reverse("assessments:edit-member", args=[slug, member.pk]),
        reverse("assessments:remove-member", args=[slug, member.pk]),
        reverse("assessments:import-json", args=[slug]),
        reverse("assessments:next-round", args=[submitted.pk]),
        reverse("assessments:round-diff", args=[submitted.pk]),
        reverse("reports:results", args=[submitted.pk]),
        reverse("reports:results", args=[draft.pk]),
        reverse("reports:gap-report", args=[submitted.pk]),
        reverse("reports:compare", args=[slug]),
        reverse("reports:branding", args=[slug]),
        "/password/reset/",
    ]
    return urls


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_login_page_is_accessible(page, world):
    page.goto("/login/")
    assert _serious(AXE.run(page)) == []


def test_every_page_is_accessible(page, world):
    urls = _pages(world)
    log_in(page, "alice")
    problems = {}
    for url in urls:
        response = page.goto(url)
        assert response.status < 400, url
        page.wait_for_load_state("networkidle")
        found = _serious(AXE.run(page))
        if found:
            problems[url] = found
    assert problems == {}
    assert page.console_errors == []
