"""The gap report as a Word file (reports/report_docx.py), its download and its command.

The numbers are those of the hand-scored assessment in tests/reports/conftest.py: overall
41.6, level 3, "Not ready" (a blocker), 80.0 % answered, gov 58.3 and ops 33.3.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document
from PIL import Image

from actions.services import action_items_create_from_plan
from assessments.models import AuditEntry
from reports import chart_svg
from reports.report_docx import DOCX_CONTENT_TYPE, TABLE_STYLE, report_docx
from reports.report_options import report_options
from tests.conftest import required, without_chromium

SECTION_HEADINGS = [
    "Executive summary",
    "Scores and gaps at a glance",
    "Results by domain",
    "Action plan",
    "Action items",
    "Framework crosswalk",
    "Still to answer",
    "Appendix: every answer",
    "How the scores are computed",
]


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch):
    without_chromium(monkeypatch)
    cache.clear()


def _png(colour: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _open(data: bytes):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(data))


def _headings(document, level: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _all_text(document) -> str:  # type: ignore[no-untyped-def]
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _table_with_header(document, first: str):  # type: ignore[no-untyped-def]
    for table in document.tables:
        if table.rows[0].cells[0].text == first:
            return table
    raise AssertionError(f"no table starting with {first!r}")


def test_it_has_the_pdf_sections_as_word_headings_in_order(scored):
    document = _open(report_docx(scored))
    assert _headings(document, 1) == SECTION_HEADINGS
    # Each domain is a Heading 2 of "Results by domain", each question a Heading 3.
    h2 = _headings(document, 2)
    assert [h for h in h2 if h[:3] in ("1. ", "2. ")] == ["1. Governance", "2. Operations"]
    questions = _headings(document, 3)
    assert any(q.startswith("1.2 ") and "Blocker" in q for q in questions)


def test_the_cover_and_summary_carry_the_headline_numbers(scored):
    document = _open(report_docx(scored))
    titles = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert titles == ["AI readiness gap report"]
    headline = _table_with_header(document, "Readiness verdict")
    assert [c.text for c in headline.rows[1].cells] == [
        "Not ready",
        "41.6 / 100",
        "3 Defined",
        "80.0%",
        "1",
    ]
    domains = _table_with_header(document, "Domain")
    rows = [[c.text for c in row.cells] for row in domains.rows[1:]]
    assert rows[0][1:2] == ["58.3"]
    assert rows[0][5] == "1.7"
    assert rows[1][1:2] == ["33.3"]
    assert rows[1][5] == "36.7"
    text = _all_text(document)
    assert "Northside Clinic" in text
    assert "Verdict: Not ready" in text


def test_tables_use_a_built_in_style_and_repeat_their_header_row(scored):
    document = _open(report_docx(scored))
    assert len(document.tables) >= 6
    cover, *others = document.tables
    # The cover's facts are a list of pairs: no header row to repeat or emphasise.
    assert [c.text for c in cover.rows[0].cells] == ["Organisation", "Northside Health"]
    assert not cover.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert cover._tbl.tblPr.xpath("./w:tblLook/@w:firstRow") == ["0"]
    for table in document.tables:
        assert table.style.name == TABLE_STYLE
    for table in others:
        assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
        assert table._tbl.tblPr.xpath("./w:tblDescription/@w:val")


def test_it_holds_a_table_of_contents_field_that_word_updates_on_open(scored):
    document = _open(report_docx(scored))
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body
    assert any(p.style.name == "TOC Heading" for p in document.paragraphs)
    assert document.settings.element.xpath("./w:updateFields")


def test_without_chromium_each_chart_is_its_data_table_with_a_note(scored):
    document = _open(report_docx(scored))
    assert len(document.inline_shapes) == 0
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    radar = document.tables[headers.index(["Domain", "Score", "Target"])]
    gap_bars = document.tables[headers.index(["Domain", "Gap", "Blockers"])]
    assert [c.text for c in radar.rows[1].cells][1:] == ["58.3", "60.0"]
    assert [row.cells[1].text for row in gap_bars.rows[1:]] == ["36.7", "1.7"]
    assert "no Chromium browser was found" in _all_text(document)


def test_charts_are_pictures_with_their_text_alternative(scored, monkeypatch):
    monkeypatch.setattr(chart_svg, "figure_png", lambda fig, **kw: _png())
    document = _open(report_docx(scored))
    shapes = document.inline_shapes
    assert len(shapes) == 2
    descriptions = [s._inline.docPr.get("descr") for s in shapes]
    assert descriptions[0].startswith("Domain scores against targets.")
    assert descriptions[1].startswith("Gap to target per domain.")
    assert "no Chromium browser was found" not in _all_text(document)


def test_a_real_chart_export_gives_png_pictures(scored, monkeypatch):
    chromium = required(
        shutil.which("chromium") or shutil.which("chromium-browser"),
        "No Chromium found (apt-get install chromium)",
    )
    monkeypatch.setattr(chart_svg, "find_chromium", lambda: chromium)
    document = _open(report_docx(scored))
    assert len(document.inline_shapes) == 2
    blob = document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert document.part.related_parts[blob].blob.startswith(b"\x89PNG")


def test_the_branding_logo_is_on_the_cover(world, scored):
    world.org.report_title = "Riverbend readiness review"
    world.org.report_logo.save("logo.png", ContentFile(_png("red")), save=True)
    scored.refresh_from_db()
    document = _open(report_docx(scored))
    assert document.inline_shapes[0]._inline.docPr.get("descr") == "Northside Health logo"
    assert any(
        p.style.name == "Title" and p.text == "Riverbend readiness review"
        for p in document.paragraphs
    )


def test_the_action_plan_and_the_action_items_are_tables(world, scored):
    action_items_create_from_plan(assessment=scored, user=world.alice, limit=1)
    document = _open(report_docx(scored))
    plan = _table_with_header(document, "#")
    assert [row.cells[0].text for row in plan.rows[1:]] == ["1", "2", "3"]
    assert plan.rows[1].cells[1].text.startswith("2.1 ")  # ops.q01, the highest priority
    items = _table_with_header(document, "Action")
    assert [c.text for c in items.rows[0].cells] == ["Action", "Question", "Owner", "Due", "Status"]
    assert len(items.rows) == 2
    assert "ops.q01" in items.rows[1].cells[1].text
    assert items.rows[1].cells[4].text == "Open"


def test_the_appendix_lists_every_visible_answer(scored):
    document = _open(report_docx(scored))
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    appendix = document.tables[
        headers.index(["No.", "Key", "Answer", "Points", "Answered by", "Date"])
    ]
    rows = {row.cells[1].text: [c.text for c in row.cells] for row in appendix.rows[1:]}
    assert rows["gov.q02"][2:4] == ["No", "0 of 1"]
    assert rows["ops.q02"][2:] == ["not answered", "—", "—", "—"]
    still = document.tables[headers.index(["No.", "Domain", "Question"])]
    assert [row.cells[0].text for row in still.rows[1:]] == ["2.2"]


def test_the_method_note_comes_from_the_pdf_template(scored):
    document = _open(report_docx(scored))
    h2 = _headings(document, 2)
    assert "Maturity levels" in h2
    assert "Readiness verdict" in h2
    levels = document.tables[-1]
    assert [c.text for c in levels.rows[0].cells] == ["Score", "Level"]
    assert [row.cells[1].text for row in levels.rows[1:]][-1] == "5 Optimising"
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)


def test_a_board_summary_keeps_its_sections_and_no_contents(world, scored):
    options = report_options(assessment=scored, board=True)
    document = _open(report_docx(scored, options=options))
    assert _headings(document, 1) == ["Executive summary", "First actions"]
    assert "TOC \\o" not in document.element.body.xml


def test_a_draft_says_so_in_the_running_header(world):
    from tests import factories

    draft = factories.make_assessment(world.clinic, world.instrument)
    document = _open(report_docx(draft))
    header = document.sections[0].header.paragraphs[0].text
    assert header.startswith("DRAFT · ")
    assert "no overall score" in _all_text(document)


# --- the download -----------------------------------------------------------------------------


def test_the_download_is_an_attachment_logged_as_an_export(client, world, scored):
    client.force_login(world.alice)
    response = client.get(reverse("reports:gap-report-docx", args=[scored.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="gap-report-')
    assert response["Content-Disposition"].endswith('.docx"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _headings(_open(response.content), 1)[0] == "Executive summary"
    entry = AuditEntry.objects.filter(assessment=scored).latest("pk")
    assert (entry.action, entry.subject, entry.user) == ("exported", "report-docx", world.alice)


def test_the_download_takes_the_export_options(client, world, scored):
    client.force_login(world.alice)
    url = reverse("reports:gap-report-docx", args=[scored.pk])
    response = client.get(url, {"sections": ["summary", "appendix"]})
    assert _headings(_open(response.content), 1) == ["Executive summary", "Appendix: every answer"]


def test_bad_export_options_go_back_to_the_report_page(client, world, scored):
    client.force_login(world.alice)
    url = reverse("reports:gap-report-docx", args=[scored.pk])
    response = client.get(url, {"sections": ["no-such-section"]})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:gap-report", args=[scored.pk]))
    assert not AuditEntry.objects.filter(assessment=scored, subject="report-docx").exists()


def test_another_organisation_gets_a_404(client, world, scored):
    client.force_login(world.oscar)
    response = client.get(reverse("reports:gap-report-docx", args=[scored.pk]))
    assert response.status_code == 404


def test_the_results_and_report_pages_link_to_the_word_file(client, world, scored):
    client.force_login(world.alice)
    url = reverse("reports:gap-report-docx", args=[scored.pk])
    for page in ("reports:results", "reports:gap-report"):
        html = client.get(reverse(page, args=[scored.pk])).content.decode()
        assert f'href="{url}"' in html, page
    assert (
        "Gap report (Word)"
        in client.get(reverse("reports:results", args=[scored.pk])).content.decode()
    )


# --- the command ------------------------------------------------------------------------------


def test_the_command_writes_a_word_file(scored, tmp_path):
    out = tmp_path / "report.docx"
    call_command(
        "export_report", str(scored.pk), "--format", "docx", "-o", str(out), stderr=io.StringIO()
    )
    assert _headings(Document(str(out)), 1) == SECTION_HEADINGS
    entry = AuditEntry.objects.filter(assessment=scored).latest("pk")
    assert (entry.action, entry.subject, entry.user) == ("exported", "report-docx", None)


def test_the_command_refuses_a_word_file_on_a_text_stream(scored):
    with pytest.raises(CommandError, match="use -o FILE"):
        call_command("export_report", str(scored.pk), "--format", "docx", stdout=io.StringIO())


# --- LibreOffice reads it ---------------------------------------------------------------------


def test_libreoffice_converts_it_to_a_pdf_with_the_headline_numbers(scored, tmp_path):
    office = required(
        shutil.which("libreoffice") or shutil.which("soffice"),
        "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
    )
    required(
        shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)"
    )
    source = tmp_path / "report.docx"
    source.write_bytes(report_docx(scored))
    subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = Path(tmp_path / "report.pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "41.6 / 100" in text
    assert "How the scores are computed" in text
