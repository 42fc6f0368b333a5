"""The consensus answers of a domain the reader still answers are withheld from the results
page and the gap report (page, PDF options, Word): "Hidden while you answer this domain", no
value, points, comment nor evidence note (reports/report.py, respondents/blind.py). The
scenario of test_blind_consensus: Victor answers "gov" again, everyone else is done.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document

from reports.report import build_report
from reports.report_docx import report_docx
from reports.report_options import report_options
from respondents.independent import respondent_domain_done
from tests.respondents.test_blind_consensus import _client, _marks, reopened

__all__ = ["reopened"]  # the fixture

HIDDEN = "Hidden while you answer this domain"


def _word_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    return " ".join(p.text for p in document.paragraphs) + " " + cells


# The results page shows answers in its blockers and action plan only (no comments); the gap
# report in its domain sections and appendix too.
PAGES = {"reports:results": set(), "reports:gap-report": {"gov", "ops"}}


@pytest.mark.parametrize("name", PAGES)
def test_the_report_pages_withhold_the_domains_consensus_answers(
    world, reopened, name, django_assert_max_num_queries
):
    url = reverse(name, args=[reopened.pk])
    client = _client(world.victor)
    client.get(url)  # warms the instrument cache
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert _marks(page) == PAGES[name] - {"gov"}
    assert HIDDEN in page
    assert "Scribe, ChatGPT" not in page  # gov.q04's free-text consensus
    alice = _client(world.alice).get(url).content.decode()
    assert _marks(alice) == PAGES[name]
    assert HIDDEN not in alice
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    page = client.get(url).content.decode()
    assert _marks(page) == PAGES[name]
    assert HIDDEN not in page


def test_report_files_for_a_respondent_still_answering_withhold_the_domain(world, reopened):
    for_victor = report_options(assessment=reopened, user=world.victor)
    assert for_victor.blind_domains == ("gov",)
    report = build_report(reopened, charts_mode="none", options=for_victor)
    gov = [row for row in report.rows if row.key.startswith("gov.")]
    assert gov
    assert all(row.withheld and row.answer_label == HIDDEN for row in gov)
    assert all(not (row.comment or row.evidence or row.points or row.answered_at) for row in gov)
    assert not any(row.withheld for row in report.rows if row.key.startswith("ops."))
    # Scores stay: the organisation's result.
    nobody = build_report(reopened, charts_mode="none", options=report_options(assessment=reopened))
    assert [s.score for s in report.sections] == [s.score for s in nobody.sections]
    assert _marks(_word_text(report_docx(reopened, options=for_victor))) == {"ops"}
    assert _marks(
        _word_text(report_docx(reopened, options=report_options(assessment=reopened)))
    ) == {
        "gov",
        "ops",
    }
    response = _client(world.victor).get(reverse("reports:gap-report-docx", args=[reopened.pk]))
    assert response.status_code == 200
    text = _word_text(response.content)
    assert _marks(text) == {"ops"}
    assert HIDDEN in text
