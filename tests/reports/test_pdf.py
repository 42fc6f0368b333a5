"""The PDF: WeasyPrint with a fetcher that reads only static and media files, the cache,
escaping of user text, and the fallback when no Chromium draws the charts."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from assessments.models import Assessment, Organisation
from reports import chart_svg, pdf
from reports.pdf import LocalFilesFetcher, RefusedURL, render_pdf
from reports.report import build_report, report_context
from reports.report_files import report_pdf
from tests.conftest import required, stand_in_pdf, without_chromium
from tests.reports.conftest import give_answers

BASE = pdf.BASE_URL


def _poppler(tool: str) -> str:
    return required(shutil.which(tool), f"{tool} (poppler-utils) is needed to inspect PDFs")


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    info = subprocess.run(
        [_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    chart_svg.clear_svg_cache()
    yield
    cache.clear()


# --- the URL fetcher -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/static/css/print.css",
        "file:///etc/passwd",
        "ftp://example.com/x",
        f"{BASE}static/../../../../etc/passwd",
        f"{BASE}static/%2e%2e/%2e%2e/readiness/settings.py",
        f"{BASE}media/../db.sqlite3",
        f"{BASE}admin/",
        f"{BASE}static/",
    ],
)
def test_the_fetcher_refuses_the_network_other_files_and_escapes(url):
    with pytest.raises(RefusedURL):
        LocalFilesFetcher().fetch(url)


def test_the_fetcher_serves_static_files_from_disk():
    response = LocalFilesFetcher().fetch(f"{BASE}static/css/print.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_the_fetcher_serves_media_files_from_disk(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "acme.png").write_bytes(b"\x89PNG fake")
    response = LocalFilesFetcher().fetch(f"{BASE}media/logos/acme.png")
    assert response.read() == b"\x89PNG fake"
    assert response.content_type == "image/png"


def test_the_fetcher_reads_data_urls():
    response = LocalFilesFetcher().fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"


def test_a_document_pointing_elsewhere_still_renders_without_fetching_it(caplog, monkeypatch):
    # Anything reaching urllib's network handlers would be a leak.
    import urllib.request

    monkeypatch.setattr(
        urllib.request.HTTPHandler, "http_open", lambda *a: pytest.fail("network access")
    )
    html = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head><body>'
        '<img src="file:///etc/passwd"><img src="http://example.com/a.png"><p>Hello</p>'
        "</body></html>"
    )
    with caplog.at_level(logging.WARNING):
        data = pdf.html_to_pdf(html)
    assert data.startswith(b"%PDF")
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage().lower()]
    assert any("file:///etc/passwd" in m for m in refused)
    assert any("example.com" in m for m in refused)


# --- the report as PDF ---------------------------------------------------------------------


def test_the_gap_report_pdf_is_a_multi_page_pdf(scored, tmp_path):
    data = report_pdf(scored, with_charts=False)
    assert data.startswith(b"%PDF")
    assert pdf_pages(data, tmp_path) > 1
    text = pdf_text(data, tmp_path)
    for heading in (
        "Executive summary",
        "Action plan",
        "Framework crosswalk",
        "Appendix: every answer",
        "How the scores are computed",
        "Governance",
    ):
        assert heading in text
    assert "Page 2 of" in text  # the running footer


def test_the_pdf_has_chart_svgs_with_chromium(chromium, scored, tmp_path):
    report = build_report(scored, charts_mode="svg")
    assert all(
        chart.svg_data_uri.startswith("data:image/svg+xml;base64,") for chart in report.charts
    )
    data = render_pdf("reports/pdf/gap_report.html", report_context(report, pdf=True))
    assert "could not be drawn" not in pdf_text(data, tmp_path)


def test_charts_are_still_drawn_while_the_cache_is_down(chromium, scored, cache_down):
    report = build_report(scored, charts_mode="svg")
    assert all(chart.svg_data_uri.startswith("data:image/svg+xml") for chart in report.charts)
    assert report_pdf(scored).startswith(b"%PDF")


def test_without_chromium_the_pdf_shows_each_chart_as_a_table_with_a_note(
    scored, monkeypatch, tmp_path
):
    without_chromium(monkeypatch)
    report = build_report(scored, charts_mode="svg")
    assert [chart.svg for chart in report.charts] == [None, None]
    html = render_to_string("reports/pdf/gap_report.html", report_context(report, pdf=True))
    assert 'id="chart-radar-table"' in html
    assert 'id="chart-gaps-table"' in html
    text = pdf_text(report_pdf(scored), tmp_path)
    assert "could not be drawn on this server" in text


def test_user_text_is_escaped_in_the_pdf(scored, tmp_path):
    give_answers(
        scored, {"gov.q03": "3"}, comment="<script>alert(1)</script>", evidence="<b>bold</b> & more"
    )
    html = render_to_string(
        "reports/pdf/gap_report.html",
        report_context(build_report(scored, charts_mode="none"), pdf=True),
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = pdf_text(report_pdf(scored, with_charts=False), tmp_path)
    assert "<script>alert(1)</script>" in text  # shown as text, not interpreted
    assert "<b>bold</b> & more" in text


# --- the PDF cache -------------------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """Counts renders (of a stand-in: the cache is what these tests are about)."""
    calls: list[str] = []

    def counting(template_name, context):
        calls.append(template_name)
        return stand_in_pdf(template_name, context)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return calls


def _fresh(assessment: Assessment) -> Assessment:
    return Assessment.objects.with_context().get(pk=assessment.pk)


def test_an_unchanged_assessment_is_served_from_the_cache(scored, renders):
    first = report_pdf(_fresh(scored), with_charts=False)
    second = report_pdf(_fresh(scored), with_charts=False)
    assert second == first
    assert len(renders) == 1


def test_a_changed_assessment_is_rendered_again(scored, renders):
    report_pdf(_fresh(scored), with_charts=False)
    give_answers(scored, {"ops.q02": "2"})  # bumps the revision
    report_pdf(_fresh(scored), with_charts=False)
    assert len(renders) == 2


def test_changed_branding_renders_again(scored, renders):
    report_pdf(_fresh(scored), with_charts=False)
    Organisation.objects.filter(pk=scored.site.organisation_id).update(report_title="New title")
    report_pdf(_fresh(scored), with_charts=False)
    assert len(renders) == 2


def test_bypassing_the_cache_always_renders(scored, renders):
    report_pdf(_fresh(scored), with_charts=False, use_cache=False)
    report_pdf(_fresh(scored), with_charts=False, use_cache=False)
    assert len(renders) == 2


def test_a_pdf_whose_charts_failed_is_not_cached(scored, renders, monkeypatch):
    monkeypatch.setattr(chart_svg, "find_chromium", lambda: "/usr/bin/chromium")

    def broken(*args):
        raise chart_svg.ChartExportUnavailable("browser crashed")

    monkeypatch.setattr(chart_svg, "_render_svg", broken)
    report_pdf(_fresh(scored))
    report_pdf(_fresh(scored))
    assert len(renders) == 2


# --- page breaks ---------------------------------------------------------------------------


def test_the_demo_report_keeps_headings_with_their_content_and_the_summary_table_whole(db):
    """No domain heading alone at a page foot, and no summary table with rows left behind.

    Both happened on the demo's richest report: "7. Training and support" with its facts at the
    bottom of a page and its questions on the next, and the executive summary's table leaving
    its last row alone on a page.
    """
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    clinical = Assessment.objects.filter(instrument__slug="clinical-ai")
    richest = max(clinical, key=lambda a: (a.answers.count(), a.pk))
    report = build_report(Assessment.objects.with_context().get(pk=richest.pk), charts_mode="none")
    html = render_to_string("reports/pdf/gap_report.html", report_context(report, pdf=True))
    document = pdf.html_document(html)
    anchors = [set(page.anchors) for page in document.pages]

    assert len(report.sections) == 8
    for section in report.sections:
        page = next(i for i, ids in enumerate(anchors) if f"domain-{section.key}-heading" in ids)
        assert f"ans-{section.rows[0].key}" in anchors[page], section.title

    # A framework's heading and count never sit alone at a page foot (the 1.1 crosswalk did).
    assert report.crosswalk
    for framework in report.crosswalk:
        key = framework.framework.key
        page = next(i for i, ids in enumerate(anchors) if f"crosswalk-{key}" in ids)
        assert f"crosswalk-{key}-first" in anchors[page], framework.title

    contents = next(i for i, ids in enumerate(anchors) if "contents-heading" in ids)
    pages_linking_domains = {
        number: {target for kind, target, *_ in page.links if kind == "internal"}
        for number, page in enumerate(document.pages)
        if number != contents
    }
    domain_links = {f"domain-{section.key}" for section in report.sections}
    summary_pages = [n for n, targets in pages_linking_domains.items() if targets & domain_links]
    assert len(summary_pages) == 1
    assert domain_links <= pages_linking_domains[summary_pages[0]]
