"""Items across rounds: beside their question in the next round, done since the last round,
a question retired by a newer version, and the report's "Action items" section."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from actions.services import action_item_update
from assessments.rounds import assessment_start_next_round
from reports.report_actions import ACTION_ITEM_HEADERS, action_item_rows
from tests import factories
from tests.actions.helpers import submitted_round, tracked

pytestmark = pytest.mark.django_db

# The small test instrument without gov.q03, as a version 1.1.
RETIRING = factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "1.1"').replace(
    """      - key: gov.q03
        type: scale
        text: Is there an AI governance committee?
        help: A committee meets and keeps minutes.
        recommendation: Set up a committee.
""",
    "",
)


def _set(item, **changes):
    action_item_update(item=item, user=None, changes=changes, revision=item.revision)


def _by_key(items):
    return {item.question_key: item for item in items}


def test_the_next_round_shows_the_items_status_beside_its_question(client, world):
    items = _by_key(tracked(world))
    _set(items["gov.q03"], status="in_progress", due_date=datetime.date(2026, 6, 1))
    _set(items["gov.q02"], status="done")
    previous = items["gov.q03"].assessment
    nxt = assessment_start_next_round(
        previous=previous, user=world.alice, round_label="2026 spring"
    )
    client.force_login(world.sam)
    html = client.get(reverse("assessments:domain", args=[nxt.pk, "gov"])).content.decode()
    assert 'data-action-item="in_progress">Action item: In progress, due 1 Jun 2026' in html
    assert 'data-action-item="done">Action item: Done' in html
    assert "The work is done: check this answer." in html
    assert f'href="{reverse("actions:item", args=[items["gov.q03"].pk])}"' in html


def test_the_questionnaire_reads_the_items_once_whatever_their_number(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = submitted_round(world)
    nxt = assessment_start_next_round(previous=first, user=world.alice, round_label="2026 spring")
    url = reverse("assessments:domain", args=[nxt.pk, "gov"])
    client.force_login(world.sam)
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    from actions.services import action_items_create_from_plan

    action_items_create_from_plan(assessment=first, user=world.alice)
    with CaptureQueriesContext(connection) as some:
        client.get(url)
    assert len(some) == len(none)


def test_the_round_to_round_view_lists_items_done_since_the_last_round(client, world):
    items = _by_key(tracked(world))
    previous = items["gov.q03"].assessment
    _set(items["gov.q03"], status="done")
    _set(items["ops.q01"], status="in_progress")
    nxt = assessment_start_next_round(
        previous=previous, user=world.alice, round_label="2026 spring"
    )
    client.force_login(world.victor)
    response = client.get(reverse("assessments:round-diff", args=[nxt.pk]))
    section = response.content.decode().split('id="items-done"')[1].split("</section>")[0]
    assert "Action items done since 2025 autumn" in section
    assert "Set up a committee." in section
    assert "Require clinician review." not in section


def test_an_item_whose_question_a_newer_version_retired_stays_with_its_domain(client, world):
    items = _by_key(tracked(world))
    newer = factories.load_instrument_text(RETIRING, name="small-1.1.yaml")
    factories.make_assessment(
        world.clinic, newer, round_label="2026 spring", round_date=datetime.date(2026, 3, 1)
    )
    client.force_login(world.alice)
    response = client.get(reverse("actions:site", args=[world.clinic.pk]))
    retired = {r.item.question_key: r.retired_in for r in response.context["listing"].rows}
    assert retired == {"gov.q02": "", "gov.q03": "1.1", "ops.q01": "", "ops.q02": ""}
    assert "question retired in 1.1" in response.content.decode()
    by_domain = client.get(response.request["PATH_INFO"], {"domain": "gov"})
    assert sorted(r.item.question_key for r in by_domain.context["listing"].rows) == [
        "gov.q02",
        "gov.q03",
    ]
    detail = client.get(reverse("actions:item", args=[items["gov.q03"].pk])).content.decode()
    assert "question retired in 1.1" in detail
    assert "Governance" in detail


def test_the_report_section_rows_are_plain_data_for_any_writer(world):
    items = _by_key(tracked(world))
    _set(items["ops.q01"], owner=world.sam, due_date=datetime.date(2020, 1, 2))
    _set(items["gov.q02"], status="wont_do", reason="Vendor gone")
    assessment = items["ops.q01"].assessment
    rows = action_item_rows(assessment, today=datetime.date(2026, 5, 1))
    assert ACTION_ITEM_HEADERS == ("Action", "Question", "Owner", "Due", "Status")
    assert [r.question_key for r in rows] == ["ops.q01", "gov.q02", "ops.q02", "gov.q03"]
    assert rows[0].cells() == (
        "Require clinician review.",
        "ops.q01 · Operations",
        "Sam Site",
        "2 Jan 2020",
        "Open (overdue)",
    )
    assert rows[1].cells()[2:] == ("—", "—", "Won't do")
    # Items of a later round are not in an earlier round's report.
    later = submitted_round(world, label="2026 spring", day=datetime.date(2026, 3, 1))
    from actions.services import action_items_create_from_plan

    action_items_create_from_plan(assessment=later, user=world.alice, keys=["gov.q02"])
    assert len(action_item_rows(assessment)) == 4
    assert len(action_item_rows(later)) == 5


def test_the_gap_report_has_an_action_items_section_in_html_and_pdf(client, world, tmp_path):
    from reports.report_files import report_pdf
    from tests.reports.test_pdf import pdf_text

    items = _by_key(tracked(world))
    assessment = items["ops.q01"].assessment
    client.force_login(world.victor)
    url = reverse("reports:gap-report", args=[assessment.pk])
    before = report_pdf(assessment, with_charts=False)
    _set(items["ops.q01"], owner=world.sam, due_date=datetime.date(2020, 1, 2))
    html = client.get(url).content.decode()
    section = html.split('id="action-items"')[1].split("</section>")[0]
    assert section.count("<tr id=") == 4
    assert "Sam Site" in section
    assert "Open (overdue)" in section
    assert 'href="#action-items"' in html
    # The cached PDF follows the items, though the assessment did not change.
    text = pdf_text(report_pdf(assessment, with_charts=False), tmp_path)
    assert before != report_pdf(assessment, with_charts=False)
    assert "Action items" in text
    assert "Sam Site" in text
    assert "Open (overdue)" in text
