"""Evidence files in the gap report's appendix: HTML, PDF and Word, within the query budget."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from reports.report_docx import report_docx
from reports.report_files import pdf_cache_key, report_pdf
from tests.conftest import without_chromium
from tests.evidence import samples
from tests.evidence.conftest import signed_in, upload
from tests.reports.test_pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch):
    without_chromium(monkeypatch)


@pytest.fixture
def with_files(world, draft):  # type: ignore[no-untyped-def]
    client = signed_in(world.sam)
    upload(client, draft, "ops.q01", "review-log.csv", samples.CSV)
    upload(client, draft, "gov.q03", "Committee minutes.pdf", samples.PDF)
    return draft


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_html_report_lists_the_files_in_questionnaire_order_with_links(world, with_files):
    html = signed_in(world.victor).get(reverse("reports:gap-report", args=[with_files.pk]))
    text = html.content.decode()
    section = text[text.index('id="evidence-files"') :]
    assert section.index("Committee minutes.pdf") < section.index(
        "review-log.csv"
    )  # 1.3 before 2.1
    assert '<a href="#evidence-files">Evidence files</a>' in text
    assert "Sam Site" in section
    first = with_files.evidence_files.get(name="Committee minutes.pdf")
    assert f'href="{reverse("evidence:download", args=[first.pk])}"' in section


def test_a_report_without_files_has_no_evidence_section(world, draft):
    text = signed_in(world.victor).get(reverse("reports:gap-report", args=[draft.pk])).content
    assert b'id="evidence-files"' not in text


@pytest.mark.parametrize("name", ["reports:gap-report", "reports:results"])
def test_files_cost_the_report_no_extra_query(world, report_bodies_not_kept, draft, name):
    client = signed_in(world.alice)
    url = reverse(name, args=[draft.pk])
    client.get(url)  # warm the instrument cache
    without = _queries(client, url)
    sam = signed_in(world.sam)
    for n in range(4):
        upload(sam, draft, "gov.q03", f"minutes-{n}.pdf", samples.PDF)
        upload(sam, draft, "ops.q01", f"log-{n}.csv", samples.CSV)
    assert _queries(client, url) == without
    assert without <= 10


def test_the_pdf_appendix_lists_the_files(world, with_files, tmp_path):
    text = pdf_text(report_pdf(with_files, use_cache=False, with_charts=False), tmp_path)
    assert "Evidence files" in text
    assert "Committee minutes.pdf" in text
    assert "review-log.csv" in text


def test_an_upload_changes_the_pdf_cache_key(world, draft):
    before = pdf_cache_key(draft, charts_available=False)
    upload(signed_in(world.sam), draft, "gov.q03", "minutes.pdf", samples.PDF)
    draft.refresh_from_db()
    assert pdf_cache_key(draft, charts_available=False) != before


def test_the_word_appendix_has_an_evidence_table(world, with_files):
    document = Document(io.BytesIO(report_docx(with_files, with_charts=False)))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert "Evidence files" in headings
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][2:3] == ["File"])
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["No.", "Key", "File", "Size", "Attached by", "Date"]
    size = f"{len(samples.PDF)} bytes"  # the sample is under 1 KB
    assert rows[1][:5] == ["1.3", "gov.q03", "Committee minutes.pdf", size, "Sam Site"]
    assert rows[2][:3] == ["2.1", "ops.q01", "review-log.csv"]
