"""manage.py export_report ID --format pdf|html [-o FILE]."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from assessments.models import AuditEntry
from tests.conftest import without_chromium


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch):
    without_chromium(monkeypatch)
    cache.clear()


def test_it_writes_the_pdf_to_a_file(scored, tmp_path):
    out = tmp_path / "report.pdf"
    call_command(
        "export_report", str(scored.pk), "--format", "pdf", "-o", str(out), stderr=io.StringIO()
    )
    assert out.read_bytes().startswith(b"%PDF")
    entry = AuditEntry.objects.filter(assessment=scored).latest("pk")
    assert (entry.action, entry.subject, entry.user) == ("exported", "report-pdf", None)


def test_it_writes_a_self_contained_html_file(scored, tmp_path):
    out = tmp_path / "report.html"
    call_command(
        "export_report", str(scored.pk), "--format", "html", "-o", str(out), stderr=io.StringIO()
    )
    html = out.read_text()
    assert html.startswith("<!doctype html>")
    assert "Executive summary" in html
    assert "<style>" in html  # the stylesheet travels with the file
    assert "@page" in html
    assert 'href="/static/' not in html


def test_it_writes_html_to_standard_output_by_default(scored):
    stdout = io.StringIO()
    call_command("export_report", str(scored.pk), "--format", "html", stdout=stdout)
    assert "How the scores are computed" in stdout.getvalue()


def test_it_writes_pdf_bytes_to_a_binary_standard_output(scored):
    stdout = io.BytesIO()
    call_command("export_report", str(scored.pk), "--format", "pdf", stdout=stdout)
    assert stdout.getvalue().startswith(b"%PDF")


def test_a_pdf_to_a_text_stream_is_refused_with_a_message(scored):
    with pytest.raises(CommandError, match="use -o FILE"):
        call_command("export_report", str(scored.pk), "--format", "pdf", stdout=io.StringIO())


def test_an_unknown_id_is_an_error(db):
    with pytest.raises(CommandError, match="No assessment with id 424242"):
        call_command("export_report", "424242", "--format", "pdf")
