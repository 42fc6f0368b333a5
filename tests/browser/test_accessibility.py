"""Every page passes axe-core with no serious or critical violation."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from actions.services import action_items_create_from_plan
from assessments.models import Assessment
from assessments.services import AnswerChange, answers_save, assessment_submit
from benchmark.publishing import benchmark_refresh
from evidence.models import EvidenceFile
from evidence.services import evidence_delete, evidence_upload
from respondents.independent import independent_mode_set
from tests import factories
from tests.benchmark.conftest import network, submit  # noqa: F401 (fixtures)
from tests.browser.conftest import log_in
from tests.evidence.samples import PDF, TEXT
from tests.respondents.scenario import CARLA, VICTOR, assign, respond, set_consensus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
# A page is ready for axe once every chart it draws on load (those within 200px of the screen;
# see static/js/charts.js) is drawn or has given up. Waiting for this rather than for the
# network to be idle spares half a second of silence per page.
CHARTS_SETTLED = """() => Array.from(document.querySelectorAll('[data-chart]:not([data-chart-on-demand])'))
  .filter((chart) => chart.getBoundingClientRect().top < window.innerHeight + 200)
  .every((chart) => chart.classList.contains('is-drawn') || chart.classList.contains('is-not-drawn'))"""


def _attach(assessment: Assessment, key: str, name: str, data: bytes, user) -> EvidenceFile:
    return evidence_upload(
        assessment=assessment,
        question_key=key,
        name=name,
        stream=io.BytesIO(data),
        size=len(data),
        user=user,
    ).evidence


def _independent(world, site, round_label: str) -> Assessment:
    """A round answered independently by Victor (viewer) and Carla (consultant)."""
    assessment = factories.make_assessment(site, world.instrument, round_label=round_label)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    assign(assessment, world.alice, world.victor, world.carla)
    return assessment


def _respondent_pages(world, answering: Assessment) -> list[str]:
    """Victor's pages while he answers his part on his own, Carla already done."""
    respond(answering, world.carla, CARLA)
    respond(answering, world.victor, {"gov": VICTOR["gov"]}, done=False)
    return [
        reverse("respondents:mine"),
        reverse("assessments:domain", args=[answering.pk, "gov"]),
        reverse("respondents:done", args=[answering.pk, "gov"]),
        reverse("assessments:domain", args=[answering.pk, "ops"]),
        reverse("accounts:notifications"),
        reverse("api_tokens:manage"),
    ]


def _pages(world, answering: Assessment) -> list[str]:
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
    # Evidence files: listed on the questionnaire, in the report's appendix and the history.
    _attach(submitted, "gov.q01", "Vendor register.pdf", PDF, world.alice)
    _attach(draft, "gov.q03", "Committee minutes.txt", TEXT, world.alice)
    removed = _attach(draft, "gov.q03", "Old minutes.txt", TEXT, world.alice)
    evidence_delete(evidence=removed, user=world.alice)
    assessment_submit(assessment=submitted, user=world.alice)
    action_items_create_from_plan(assessment=submitted, user=world.alice, limit=2)
    # Independent answers settled and submitted: results and report show the disagreements.
    settled = _independent(world, world.hospital, "2026 spring")
    respond(settled, world.victor, VICTOR)
    respond(settled, world.carla, CARLA)
    set_consensus(settled, world.alice)
    assessment_submit(assessment=settled, user=world.alice)
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
        reverse("respondents:assignments", args=[draft.pk]),
        reverse("respondents:assignments", args=[answering.pk]),
        reverse("respondents:consensus", args=[answering.pk, "gov"]),
        reverse("respondents:consensus", args=[settled.pk, "gov"]),
        reverse("assessments:detail", args=[answering.pk]),
        reverse("assessments:history", args=[draft.pk]),
        reverse("assessments:history", args=[settled.pk]) + "?show=assignments",
        reverse("reports:results", args=[settled.pk]),
        reverse("reports:gap-report", args=[settled.pk]),
        reverse("actions:organisation", args=[slug]),
        reverse("benchmark:participation", args=[slug]),
        reverse("api:docs"),
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


def test_every_page_is_accessible(page, world, settings, tmp_path, network):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    # Five other organisations with ten sites: the benchmark shows on results and reports.
    network(5)
    benchmark_refresh(instrument_ids=[world.instrument.pk])
    answering = _independent(world, world.clinic, "2026 autumn")
    # One browser page for everything: Victor's pages as a respondent, then Alice's.
    visits = {
        "victor": _respondent_pages(world, answering),
        "alice": _pages(world, answering),
    }
    problems = {}
    for username, urls in visits.items():
        page.context.clear_cookies()
        log_in(page, username)
        for url in urls:
            response = page.goto(url)
            assert response.status < 400, url
            page.wait_for_function(CHARTS_SETTLED)
            if url == reverse("reports:compare", args=[world.org.slug]):
                # What axe checks there includes a chart plotly.js drew.
                assert page.locator("[data-chart].is-drawn").count() >= 1
            if url == reverse("api:docs"):
                page.wait_for_selector(".opblock")  # Swagger UI draws from the fetched schema
            found = _serious(AXE.run(page))
            if found:
                problems[f"{username} {url}"] = found
    assert problems == {}
    assert page.console_errors == []
