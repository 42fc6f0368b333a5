"""The printable blank questionnaire (issue 11 item 11): its content, the PDF's paper and
headings, and who may download it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Instrument
from reports.questionnaire import blank_domains, blank_questionnaire_pdf
from tests import factories
from tests.conftest import World
from tests.reports.test_pdf import pdf_pages
from tests.reports.test_report_options import A4, LETTER, _page_size, _pages_text

pytestmark = pytest.mark.django_db


def _url(world: World, instrument: Instrument) -> str:
    return reverse("reports:blank-questionnaire", args=[world.org.slug, instrument.pk])


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_question_has_its_number_options_and_follow_up_condition(world):
    domains = blank_domains(world.instrument)
    assert [(d.number, d.title) for d in domains] == [(1, "Governance"), (2, "Operations")]
    gov = {q.key: q for q in domains[0].questions}
    assert [q.number for q in domains[0].questions] == ["1.1", "1.2", "1.3", "1.4"]
    assert gov["gov.q01"].options == ["Yes", "No"]
    assert gov["gov.q01"].allow_na is True
    # gov.q02 allows no N/A and is asked only after a "yes" to 1.1.
    assert gov["gov.q02"].allow_na is False
    assert gov["gov.q02"].condition == "Answer only if 1.1 is “Yes”."
    assert gov["gov.q02"].help == "Every vendor that receives PHI has a signed BAA."
    # Free text has lines, not boxes, and no N/A.
    assert (gov["gov.q04"].options, gov["gov.q04"].allow_na) == ([], False)
    ops = domains[1].questions
    assert [q.number for q in ops] == ["2.1", "2.2"]
    assert ops[0].options == ["Not reviewed", "Sometimes", "Always"]


@pytest.mark.parametrize(("setting", "size"), [("letter", LETTER), ("a4", A4)])
def test_the_pdf_has_every_heading_on_the_organisations_paper(world, tmp_path, setting, size):
    world.org.report_page_size = setting
    world.org.save()
    data = blank_questionnaire_pdf(world.instrument, world.org)
    assert data.startswith(b"%PDF")
    # Each domain starts a page: the header and Governance fill two, Operations the third.
    assert pdf_pages(data, tmp_path) == 3
    assert _page_size(data, tmp_path) == size
    pages = _pages_text(data, tmp_path)
    assert "Small test instrument 1.0: questionnaire" in pages[0]
    assert "1. Governance" in pages[0]
    assert "1.2" in pages[0]
    assert "Answer only if 1.1 is “Yes”." in pages[0]
    assert "Not applicable (N/A)" in pages[0]
    assert "Comment" in pages[0]
    assert "Evidence" in pages[0]
    assert "2. Operations" not in pages[1]
    assert "2. Operations" in pages[2]
    assert "Sometimes" in pages[2]


def test_a_shipped_instrument_prints_every_question(world, tmp_path):
    instrument = factories.load_instrument("clinical-ai", "1.1")
    domains = blank_domains(instrument)
    total = sum(len(d.questions) for d in domains)
    assert total == instrument.questions.count()
    text = "\n".join(_pages_text(blank_questionnaire_pdf(instrument, world.org), tmp_path))
    for domain in domains:
        assert f"{domain.number}. {domain.title}" in text


@pytest.mark.parametrize("name", ["alice", "sam", "carla", "victor"])
def test_every_member_downloads_it(world, name):
    response = _client(getattr(world, name)).get(_url(world, world.instrument))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="questionnaire-small-test-1.0.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_another_organisations_member_and_upload_are_404(world):
    assert _client(world.oscar).get(_url(world, world.instrument)).status_code == 404
    own = factories.load_instrument_text(
        factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: theirs")
    )
    own.organisation = world.other_org
    own.save()
    assert _client(world.alice).get(_url(world, own)).status_code == 404
    missing = reverse("reports:blank-questionnaire", args=[world.org.slug, 999999])
    assert _client(world.alice).get(missing).status_code == 404


def test_the_instruments_page_and_the_overview_link_to_it(world):
    url = _url(world, world.instrument)
    page = _client(world.alice).get(reverse("assessments:instruments", args=[world.org.slug]))
    assert url in page.content.decode()
    assessment = factories.make_assessment(world.clinic, world.instrument)
    overview = _client(world.sam).get(reverse("assessments:detail", args=[assessment.pk]))
    assert url in overview.content.decode()
