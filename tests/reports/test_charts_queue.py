"""The charts queue (settings.CELERY_CHARTS_QUEUE): a report's charts are drawn by a worker of
their own before its layout, so the workers that lay out PDFs never start a browser.

The task bodies run here; the round trip through two real workers is in
test_worker_roundtrip.py.
"""

from __future__ import annotations

import pytest

from assessments.services import assessment_submit
from readiness.celery import app
from reports import chart_svg, jobs, queue, tasks
from reports.job_services import report_batch_create, stored_report_request
from reports.models import ReportBatchItem, StoredReport
from reports.report import build_report
from tests import factories
from tests.reports.conftest import HAND_ANSWERS, give_answers

CHARTS = "readiness-charts"


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list, dict]]:
    """What reaches the broker: recorded instead of sent."""
    calls: list[tuple[str, list, dict]] = []

    def send_task(name, args=None, **options):
        calls.append((name, args, options))

    monkeypatch.setattr(app, "send_task", send_task)
    monkeypatch.setattr(queue, "_broker_down_until", 0.0)
    return calls


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """A browser that draws every figure as a small SVG; the trace types of those it drew."""
    types: list[str] = []

    def render(fig, path, width, height):
        types.append(fig.data[0].type)
        return f'<svg xmlns="http://www.w3.org/2000/svg"><title>{len(types)}</title></svg>'

    monkeypatch.setattr(chart_svg, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(chart_svg, "_render_svg", render)
    chart_svg.clear_svg_cache()
    return types


def _submitted(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS)
    assessment_submit(assessment=assessment, user=world.alice)
    return assessment


def _batch(world, assessment):
    return report_batch_create(
        organisation=world.org,
        user=world.alice,
        title="All",
        filters=[],
        assessment_ids=[assessment.pk],
    )


def test_without_a_charts_queue_a_layout_task_is_sent_as_it_is(settings, sent):
    settings.CELERY_CHARTS_QUEUE = ""
    assert queue.enqueue("reports.tasks.report_render", 7)
    assert sent == [("reports.tasks.report_render", [7], {"retry": False})]


def test_with_a_charts_queue_a_layout_task_goes_there_first_and_others_do_not(settings, sent):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    assert queue.enqueue("reports.tasks.report_render", 7)
    assert queue.enqueue("reports.tasks.report_batch_item", 8)
    assert queue.enqueue("reports.tasks.report_batch_assemble", 9)
    assert sent == [
        (
            "reports.tasks.report_charts",
            ["reports.tasks.report_render", 7],
            {"retry": False, "queue": CHARTS},
        ),
        (
            "reports.tasks.report_charts",
            ["reports.tasks.report_batch_item", 8],
            {"retry": False, "queue": CHARTS},
        ),
        ("reports.tasks.report_batch_assemble", [9], {"retry": False}),
    ]


def test_the_charts_task_draws_into_the_shared_cache_then_sends_the_layout_on(
    world, settings, sent, drawn, monkeypatch
):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    assessment = _submitted(world)
    stored, _ = stored_report_request(assessment=assessment, key="charts-1", params={})
    sent.clear()
    tasks.report_charts("reports.tasks.report_render", stored.pk)
    assert drawn == ["scatterpolar", "bar"]  # the radar and the gap bars
    # The layout goes to the default queue, as itself: not round the charts queue again.
    assert sent == [("reports.tasks.report_render", [stored.pk], {"retry": False})]

    # Another process (the layout worker): nothing in its own memory, no browser that works.
    chart_svg.clear_svg_cache()
    monkeypatch.setattr(chart_svg, "_render_svg", lambda *a: pytest.fail("drew a chart"))
    report = build_report(assessment, charts_mode="svg")
    assert [chart.svg for chart in report.charts] == [
        '<svg xmlns="http://www.w3.org/2000/svg"><title>1</title></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><title>2</title></svg>',
    ]


def test_a_report_done_or_gone_meanwhile_is_neither_drawn_nor_sent_on(world, settings, sent, drawn):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    assessment = _submitted(world)
    stored, _ = stored_report_request(assessment=assessment, key="charts-2", params={})
    StoredReport.objects.filter(pk=stored.pk).update(status=StoredReport.Status.READY)
    batch = _batch(world, assessment)
    item = batch.items.get()
    ReportBatchItem.objects.filter(pk=item.pk).update(status=ReportBatchItem.Status.DONE)
    sent.clear()
    tasks.report_charts("reports.tasks.report_render", stored.pk)
    tasks.report_charts("reports.tasks.report_batch_item", item.pk)
    tasks.report_charts("reports.tasks.report_render", stored.pk + 1000)
    assert (drawn, sent) == ([], [])


def test_a_batch_item_has_its_charts_drawn_before_its_layout(world, settings, sent, drawn):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    assessment = _submitted(world)
    batch = _batch(world, assessment)
    sent.clear()
    assert jobs.batch_run(batch.pk) == 1
    item = batch.items.get()
    assert [name for name, _, _ in sent] == ["reports.tasks.report_charts"]
    tasks.report_charts(*sent[0][1])
    assert len(drawn) == 2
    assert sent[1] == ("reports.tasks.report_batch_item", [item.pk], {"retry": False})


def test_charts_that_fail_to_draw_still_send_the_layout_on(world, settings, sent, monkeypatch):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    assessment = _submitted(world)
    stored, _ = stored_report_request(assessment=assessment, key="charts-3", params={})

    def broken(task_name, arg):
        raise RuntimeError("the browser crashed")

    monkeypatch.setattr(jobs, "charts_draw", broken)
    sent.clear()
    tasks.report_charts("reports.tasks.report_render", stored.pk)
    # The layout draws what it can or shows the tables: the report is not held up.
    assert sent == [("reports.tasks.report_render", [stored.pk], {"retry": False})]


def test_the_charts_task_sends_on_only_a_layout_task(world, settings, sent, drawn, caplog):
    settings.CELERY_CHARTS_QUEUE = CHARTS
    sent.clear()
    tasks.report_charts("reports.tasks.report_files_expire", 1)
    assert (drawn, sent) == ([], [])
    assert "refused" in caplog.text
