"""Report options: whose branding, who signs, DRAFT, paper, sections and the board summary.

Each PDF option is checked on the rendered PDF: its page count, page size and headings.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import reverse

from assessments.models import Assessment
from assessments.services import assessment_reopen, assessment_submit
from reports.models import ConsultantBranding
from reports.report_files import pdf_cache_key, report_pdf
from reports.report_options import report_options, report_options_for_request
from tests import factories
from tests.conftest import without_chromium
from tests.reports.test_pdf import _poppler, pdf_pages

LETTER = (612, 792)
A4 = (595, 842)


@pytest.fixture(autouse=True)
def _no_charts(monkeypatch, settings, tmp_path):
    # Layout only: the charts' SVG export is tested elsewhere and is slow.
    without_chromium(monkeypatch)
    settings.MEDIA_ROOT = str(tmp_path)


def _pages_text(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def _page_size(data: bytes, tmp_path) -> tuple[int, int]:
    path = tmp_path / "size.pdf"
    path.write_bytes(data)
    info = subprocess.run(
        [_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert match, info
    return round(float(match[1])), round(float(match[2]))


def _fresh(assessment: Assessment) -> Assessment:
    return Assessment.objects.with_context().get(pk=assessment.pk)


def _request(user, query: str = ""):
    request = RequestFactory().get("/x/?" + query)
    request.user = user
    return request


def _membership(user, org):
    return user.memberships.get(organisation=org)


def _submitted(world, scored) -> Assessment:
    assessment_submit(assessment=scored, user=world.alice)
    return _fresh(scored)


# --- branding and sign-off ---------------------------------------------------------------------


def test_staff_get_the_organisations_branding_and_a_consultant_their_own(world, scored):
    world.org.report_title = "Northside review"
    world.org.save()
    ConsultantBranding.objects.create(
        user=world.carla, report_title="Bell Advisory review", report_signoff="Carla, Bell"
    )
    staff = report_options(
        assessment=scored, user=world.sam, membership=_membership(world.sam, world.org)
    )
    consultant = report_options(
        assessment=scored, user=world.carla, membership=_membership(world.carla, world.org)
    )
    assert (staff.branding.owner, staff.branding.title) == ("organisation", "Northside review")
    assert (consultant.branding.owner, consultant.branding.title) == (
        "consultant",
        "Bell Advisory review",
    )


def test_a_consultants_branding_follows_them_to_another_client(world, scored):
    other = factories.make_organisation("Lakeside Counselling")
    other.report_title = "Lakeside's own title"
    other.save()
    site = factories.make_site(other, "Lakeside")
    membership = factories.make_membership(world.carla, other, "consultant")
    ConsultantBranding.objects.create(user=world.carla, report_title="Bell Advisory review")
    assessment = factories.make_assessment(site, world.instrument)
    options = report_options(assessment=assessment, user=world.carla, membership=membership)
    assert options.branding.title == "Bell Advisory review"


def test_a_consultant_without_branding_gets_the_plain_default_not_the_clients(world, scored):
    world.org.report_title = "Northside review"
    world.org.save()
    options = report_options(
        assessment=scored, user=world.carla, membership=_membership(world.carla, world.org)
    )
    assert (options.branding.owner, options.branding.title) == ("consultant", "")


def test_nothing_is_signed_unless_asked_and_a_draft_never(world, scored):
    membership = _membership(world.carla, world.org)
    draft, _ = report_options_for_request(_request(world.carla, "sign=on"), scored, membership)
    assert (draft.signed_by, draft.draft) == ("", True)
    submitted = _submitted(world, scored)
    unsigned, _ = report_options_for_request(_request(world.carla), submitted, membership)
    signed, form = report_options_for_request(
        _request(world.carla, "sign=on"), submitted, membership
    )
    assert unsigned.signed_by == ""
    assert signed.signed_by == "Carla Consultant"
    assert form.fields["sign"].label == "Sign this report as Carla Consultant"


def test_a_consultant_signs_with_the_name_of_their_branding(world, scored):
    ConsultantBranding.objects.create(user=world.carla, report_signoff="Carla C., Bell Advisory")
    submitted = _submitted(world, scored)
    options, _ = report_options_for_request(
        _request(world.carla, "sign=on"), submitted, _membership(world.carla, world.org)
    )
    assert options.signed_by == "Carla C., Bell Advisory"


def test_the_signed_pdf_carries_the_exporters_name_and_branding(world, scored, tmp_path):
    ConsultantBranding.objects.create(
        user=world.carla,
        report_title="Bell Advisory review",
        report_logo=ContentFile(b"x", name="c.png"),
    )
    submitted = _submitted(world, scored)
    membership = _membership(world.carla, world.org)
    options, _ = report_options_for_request(_request(world.carla, "sign=on"), submitted, membership)
    pages = _pages_text(report_pdf(submitted, options=options, with_charts=False), tmp_path)
    assert "Bell Advisory review" in pages[0]
    assert "Signed by Carla Consultant" in pages[0]
    assert not any("DRAFT" in page for page in pages)


def test_the_cache_key_differs_by_branding_signer_paper_and_sections(world, scored):
    submitted = _submitted(world, scored)
    alice = _membership(world.alice, world.org)
    carla = _membership(world.carla, world.org)
    keys = {
        pdf_cache_key(submitted, charts_available=False, options=options)
        for options in (
            report_options(assessment=submitted, user=world.alice, membership=alice),
            report_options(assessment=submitted, user=world.alice, membership=alice, sign=True),
            report_options(assessment=submitted, user=world.carla, membership=carla),
            report_options(assessment=submitted, user=world.alice, membership=alice, board=True),
            report_options(
                assessment=submitted, user=world.alice, membership=alice, sections=("summary",)
            ),
        )
    }
    assert len(keys) == 5


# --- DRAFT -------------------------------------------------------------------------------------


def test_a_draft_pdf_is_watermarked_on_every_page(world, scored, tmp_path):
    pages = _pages_text(report_pdf(_fresh(scored), with_charts=False), tmp_path)
    assert len(pages) > 3
    assert all("DRAFT" in page for page in pages)


def test_a_reopened_assessment_is_a_draft_again(world, scored, tmp_path):
    submitted = _submitted(world, scored)
    assessment_reopen(assessment=submitted, user=world.alice)
    options = report_options(assessment=_fresh(scored), user=world.alice, sign=True)
    assert (options.draft, options.signed_by) == (True, "")
    html = _client(world.alice).get(reverse("reports:gap-report", args=[scored.pk]))
    assert "draft-banner" in html.content.decode()


def test_the_html_report_of_a_draft_has_a_banner_and_a_submitted_one_none(world, scored):
    url = reverse("reports:gap-report", args=[scored.pk])
    assert "draft-banner" in _client(world.alice).get(url).content.decode()
    _submitted(world, scored)
    assert "draft-banner" not in _client(world.alice).get(url).content.decode()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- paper, sections, board summary ---------------------------------------------------------------


@pytest.mark.parametrize(("setting", "size"), [("letter", LETTER), ("a4", A4)])
def test_the_pdf_is_printed_on_the_organisations_paper(world, scored, tmp_path, setting, size):
    world.org.report_page_size = setting
    world.org.save()
    data = report_pdf(_fresh(scored), with_charts=False)
    assert _page_size(data, tmp_path) == size
    # The cover fills exactly one page on either paper: the contents start on page 2.
    pages = _pages_text(data, tmp_path)
    assert "Contents" not in pages[0]
    assert "Contents" in pages[1]


def test_chosen_sections_only_are_in_the_pdf(world, scored, tmp_path):
    full = report_pdf(_fresh(scored), with_charts=False)
    options = report_options(assessment=_fresh(scored), sections=("summary", "crosswalk"))
    data = report_pdf(_fresh(scored), options=options, with_charts=False)
    text = "".join(_pages_text(data, tmp_path))
    assert "Executive summary" in text
    assert "Framework crosswalk" in text
    for left_out in ("Appendix: every answer", "How the scores are computed", "Action plan"):
        assert left_out not in text
    assert pdf_pages(data, tmp_path) < pdf_pages(full, tmp_path)


def test_the_board_summary_is_at_most_five_pages_of_verdict_blockers_gaps_and_actions(
    world, tmp_path
):
    instrument = factories.load_instrument()
    assessment = factories.make_assessment(world.clinic, instrument, round_label="board")
    from tests.reports.conftest import give_answers

    # Every question at its lowest option: the longest action plan there can be.
    give_answers(
        assessment,
        {
            q.key: (q.options[0]["value"] if q.options else "text")
            for q in instrument.questions.all()
        },
    )
    options = report_options(assessment=_fresh(assessment), board=True)
    data = report_pdf(_fresh(assessment), options=options, with_charts=False)
    pages = _pages_text(data, tmp_path)
    assert len(pages) <= 5
    assert _page_size(data, tmp_path) == LETTER
    text = "".join(pages)
    for heading in ("Executive summary", "Blockers", "Largest gaps", "First actions"):
        assert heading in text
    for left_out in ("Contents", "Appendix: every answer", "Framework crosswalk"):
        assert left_out not in text
    assert "the full report lists" in text


def test_the_pdf_link_with_bad_sections_goes_back_to_the_report_with_a_message(world, scored):
    url = reverse("reports:gap-report-pdf", args=[scored.pk]) + "?sections=nope"
    response = _client(world.alice).get(url)
    assert response.status_code == 302
    page = _client(world.alice).get(response["Location"])
    assert page.status_code == 422
    assert "nope is not one of the available choices" in page.content.decode()


def test_the_crosswalk_gives_a_plain_title_beside_a_bare_citation(world, tmp_path):
    instrument = factories.load_instrument()
    assessment = factories.make_assessment(world.clinic, instrument, round_label="titles")
    options = report_options(assessment=_fresh(assessment), sections=("crosswalk",))
    text = "".join(_pages_text(report_pdf(_fresh(assessment), options=options), tmp_path))
    assert "Transmission security" in text or "Access control" in text
    assert "An inventory of AI systems is kept" in text
