"""Background report jobs: pre-rendering, the download that waits for a worker, batch exports,
/healthz and `export_reports`, through the task bodies (reports/jobs.py) run in the test.

What a view queues is recorded instead of sent (`queued`); the test then runs the body a
worker would run. The round trip through a real worker is tests/reports/test_worker_roundtrip.py.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import AuditEntry, ExportRecord
from assessments.services import assessment_submit
from reports import batches, jobs, queue, report_store
from reports.models import ReportBatch, ReportBatchItem, StoredReport
from reports.report_options import report_options
from tests import factories
from tests.conftest import without_chromium
from tests.reports.conftest import HAND_ANSWERS, give_answers


@pytest.fixture(autouse=True)
def _fast_pdfs(monkeypatch, settings, tmp_path, stand_in_pdfs):
    """Charts and WeasyPrint's layout are tested in test_pdf.py; here the jobs around a PDF
    are: tables for charts, and a stand-in PDF where a test does not ask for `real_pdfs`."""
    without_chromium(monkeypatch)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, tuple]]:
    """The broker works: what is sent is recorded here for the test to run."""
    sent: list[tuple[str, tuple]] = []

    def record(task_name, *args):
        sent.append((task_name, args))
        return True

    monkeypatch.setattr(queue, "enqueue", record)
    return sent


def run_queued(sent: list[tuple[str, tuple]]) -> None:
    """Be the worker: run what was queued (and what that queues) until nothing is left."""
    bodies = {
        "reports.tasks.report_render": jobs.render_stored,
        "reports.tasks.report_batch_run": jobs.batch_run,
        "reports.tasks.report_batch_item": jobs.batch_item,
        "reports.tasks.report_batch_assemble": jobs.batch_assemble,
    }
    while sent:
        name, args = sent.pop(0)
        bodies[name](*args)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submitted(world, site, round_label="2026 spring", *, prerender=False):
    """A submitted assessment; `prerender` runs what submitting queues once committed."""
    assessment = factories.make_assessment(site, world.instrument, round_label=round_label)
    give_answers(assessment, HAND_ANSWERS)
    assessment_submit(assessment=assessment, user=world.alice)
    if prerender:
        from reports.prerender import assessment_prerender

        assessment_prerender(assessment)
    return assessment


# --- pre-rendering and the download -----------------------------------------------------------


def test_submitting_queues_the_default_report(world, queued, django_capture_on_commit_callbacks):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    give_answers(assessment, HAND_ANSWERS)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_submit(assessment=assessment, user=world.alice)
    stored = StoredReport.objects.get(assessment=assessment)
    assert stored.status == StoredReport.Status.QUEUED
    # The benchmark refresh (issue 15) is queued by the same submit; this test is the report's.
    queued[:] = [q for q in queued if q[0].startswith("reports.")]
    assert queued == [("reports.tasks.report_render", (stored.pk,))]
    run_queued(queued)
    stored.refresh_from_db()
    assert stored.status == StoredReport.Status.READY
    assert report_store.read_stored(stored).startswith(b"%PDF")


def test_a_download_of_a_prerendered_report_is_served_at_once(world, queued):
    assessment = _submitted(world, world.clinic, prerender=True)
    stored = StoredReport.objects.get(assessment=assessment)
    jobs.render_stored(stored.pk)
    stored.refresh_from_db()
    queued.clear()
    response = _client(world.alice).get(reverse("reports:gap-report-pdf", args=[assessment.pk]))
    assert response.status_code == 200
    assert response.content == report_store.read_stored(stored)
    assert (
        'filename="gap-report-northside-clinic-2026-spring.pdf"'
        in (response["Content-Disposition"])
    )
    assert queued == []  # nothing rendered, nothing queued
    entry = AuditEntry.objects.filter(assessment=assessment).latest("pk")
    assert (entry.action, entry.subject, entry.user) == ("exported", "report-pdf", world.alice)


def test_a_report_not_ready_is_prepared_by_a_worker_then_downloaded(world, queued):
    assessment = _submitted(world, world.clinic)
    StoredReport.objects.all().delete()
    client = _client(world.alice)
    pdf_url = reverse("reports:gap-report-pdf", args=[assessment.pk])
    response = client.get(pdf_url)
    preparing = reverse("reports:report-preparing", args=[assessment.pk])
    assert (response.status_code, response["Location"]) == (302, preparing)
    page = client.get(preparing)
    html = page.content.decode()
    assert "Preparing your report" in html
    assert "Waiting for a report worker" in html
    assert f'data-job-download="{pdf_url}"' in html
    status_url = reverse("reports:report-status", args=[assessment.pk])
    assert client.get(status_url).json()["state"] == "queued"
    run_queued(queued)
    assert client.get(status_url).json() == {
        "state": "ready",
        "label": "Ready: the download starts now.",
        "progress": 100,
    }
    assert client.get(preparing)["Location"] == pdf_url  # a reload goes to the file
    assert client.get(pdf_url).content.startswith(b"%PDF")


def test_a_report_that_keeps_failing_says_so_and_can_be_asked_for_again(world, queued):
    from reports.job_services import stored_report_fail

    assessment = _submitted(world, world.clinic, prerender=True)
    stored = StoredReport.objects.get(assessment=assessment)
    stored_report_fail(stored_id=stored.pk, error="WeasyPrint crashed")
    client = _client(world.alice)
    preparing = reverse("reports:report-preparing", args=[assessment.pk])
    html = client.get(preparing).content.decode()
    assert "could not be rendered" in html
    queued.clear()
    client.get(reverse("reports:gap-report-pdf", args=[assessment.pk]))  # "Try again"
    stored.refresh_from_db()
    assert stored.status == StoredReport.Status.QUEUED
    assert queued == [("reports.tasks.report_render", (stored.pk,))]


def test_with_the_broker_down_the_download_renders_in_the_request(
    world, monkeypatch, caplog, real_pdfs
):
    assessment = _submitted(world, world.clinic)
    StoredReport.objects.all().delete()
    monkeypatch.setattr(queue, "_broker_down_until", 0.0)
    caplog.set_level(logging.WARNING)
    # tests/settings.py names a broker where nothing listens.
    response = _client(world.alice).get(reverse("reports:gap-report-pdf", args=[assessment.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert any("Broker unreachable" in r.getMessage() for r in caplog.records)
    assert any("Rendering report" in r.getMessage() for r in caplog.records)
    assert StoredReport.objects.get(assessment=assessment).status == StoredReport.Status.READY


def test_the_key_changes_with_content_branding_and_options(world):
    assessment = _submitted(world, world.clinic)

    def key():
        fresh = type(assessment).objects.with_context().get(pk=assessment.pk)
        return report_store.report_key(fresh, report_options(assessment=fresh))

    first = key()
    assert key() == first
    type(assessment).objects.filter(pk=assessment.pk).update(revision=assessment.revision + 5)
    second = key()
    assert second != first
    world.org.report_title = "Network review"
    world.org.save()
    third = key()
    assert third != second
    fresh = type(assessment).objects.with_context().get(pk=assessment.pk)
    board = report_options(assessment=fresh, board=True)
    assert report_store.report_key(fresh, board) != third


def test_changing_the_branding_queues_the_latest_reports(world, queued, tmp_path):
    from reports.services import organisation_branding_update

    _submitted(world, world.clinic, "2025 autumn")
    latest = _submitted(world, world.clinic, "2026 spring")
    hospital = _submitted(world, world.hospital)
    StoredReport.objects.all().delete()
    queued.clear()
    from reports.prerender import organisation_prerender

    assert organisation_prerender(world.org.pk) == 2
    assert {s.assessment_id for s in StoredReport.objects.all()} == {latest.pk, hospital.pk}
    queued.clear()
    with pytest.MonkeyPatch.context() as patch:
        sent = []
        patch.setattr(queue, "enqueue_on_commit", lambda name, *args: sent.append((name, args)))
        organisation_branding_update(
            organisation=world.org, report_title="New", report_logo=None, report_page_size="a4"
        )
    assert sent == [("reports.tasks.report_organisation_prerender", (world.org.pk,))]


# --- batch exports ------------------------------------------------------------------------------


def _round_batch(world, client, round_label="2026 spring"):
    response = client.post(
        reverse("reports:batches", args=[world.org.slug]),
        {"source": "round", "round": round_label},
    )
    assert response.status_code == 302, response.content
    return ReportBatch.objects.latest("pk")


def test_a_round_batch_is_a_zip_of_reports_named_by_site_and_round_with_a_summary(
    world, queued, django_capture_on_commit_callbacks, real_pdfs
):
    clinic = _submitted(world, world.clinic)
    hospital = _submitted(world, world.hospital)
    _submitted(world, world.hospital, "2025 autumn")  # another round: not in it
    _submitted(world, world.other_site)  # another organisation: never in it
    queued.clear()
    client = _client(world.carla)
    with django_capture_on_commit_callbacks(execute=True):
        batch = _round_batch(world, client)
    assert batch.total == 2
    page = client.get(reverse("reports:batch", args=[world.org.slug, batch.pk]))
    html = page.content.decode()
    assert "0 of 2" in html
    assert "Carla Consultant" in html
    assert "<script>" not in html  # the page's script is a static file (CSP)
    download = reverse("reports:batch-download", args=[world.org.slug, batch.pk])
    assert client.get(download).status_code == 404  # nothing to download yet
    run_queued(queued)
    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE
    status = client.get(reverse("reports:batch-status", args=[world.org.slug, batch.pk])).json()
    assert (status["done"], status["total"], status["finished"]) == (2, 2, True)
    response = client.get(download)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [
        "northside-clinic-2026-spring.pdf",
        "northside-hospital-2026-spring.pdf",
        "summary.csv",
    ]
    assert archive.read("northside-clinic-2026-spring.pdf").startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode())))
    assert [(r["Site"], r["Round"], r["Overall score"], r["Verdict"]) for r in rows] == [
        ("Northside Clinic", "2026 spring", "41.6", "Not ready"),
        ("Northside Hospital", "2026 spring", "41.6", "Not ready"),
    ]
    assert {clinic.pk, hospital.pk} == set(batch.items.values_list("assessment_id", flat=True))
    record = ExportRecord.objects.get(kind="report-batch")
    assert (record.user, record.rows) == (world.carla, 2)


def test_a_batch_from_the_comparison_takes_its_filters(world, queued):
    _submitted(world, world.clinic)
    _submitted(world, world.hospital)
    response = _client(world.alice).post(
        reverse("reports:batches", args=[world.org.slug])
        + f"?instrument={world.instrument.slug}&site={world.hospital.pk}",
        {"source": "compare"},
    )
    assert response.status_code == 302
    batch = ReportBatch.objects.get()
    assert list(batch.items.values_list("assessment__site__name", flat=True)) == [
        "Northside Hospital"
    ]


def test_a_report_that_keeps_failing_leaves_the_batch_finished_with_errors(
    world, queued, monkeypatch
):
    _submitted(world, world.clinic)
    _submitted(world, world.hospital)
    batch = _round_batch(world, _client(world.alice))
    real = report_store.render_to_store

    def broken(stored):
        if stored.assessment.site.name == "Northside Hospital":
            raise RuntimeError("kaleido hung")
        return real(stored)

    monkeypatch.setattr(report_store, "render_to_store", broken)
    jobs.batch_run(batch.pk)
    for name, (item_id,) in list(queued):
        if name == "reports.tasks.report_batch_item":
            try:
                jobs.batch_item(item_id)
            except RuntimeError as exc:  # the task's last retry records it
                jobs.batch_item_failed(item_id, f"RuntimeError: {exc}")
    jobs.batch_assemble(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE_WITH_ERRORS
    assert batch.failures == [
        {
            "site": "Northside Hospital",
            "round": "2026 spring",
            "error": "RuntimeError: kaleido hung",
        }
    ]
    html = _client(world.alice).get(reverse("reports:batch", args=[world.org.slug, batch.pk]))
    assert "Finished with errors" in html.content.decode()
    assert "Northside Hospital, 2026 spring: RuntimeError: kaleido hung" in html.content.decode()
    names = zipfile.ZipFile(Path(batches.settings.MEDIA_ROOT) / batch.file).namelist()
    assert sorted(names) == ["northside-clinic-2026-spring.pdf", "summary.csv"]


def test_a_zip_interrupted_while_written_is_never_offered(world, queued, monkeypatch):
    _submitted(world, world.clinic)
    batch = _round_batch(world, _client(world.alice))
    jobs.batch_run(batch.pk)
    jobs.batch_item(batch.items.get().pk)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the worker dies in the middle of the ZIP

    monkeypatch.setattr(batches, "summary_csv", killed)
    with pytest.raises(KeyboardInterrupt):
        jobs.batch_assemble(batch.pk)
    batch.refresh_from_db()
    assert (batch.finished, batch.file) == (False, "")
    folder = Path(batches.settings.MEDIA_ROOT) / batches.BATCH_FOLDER / str(batch.pk)
    assert list(folder.iterdir()) == []  # neither a final nor a partial file
    download = reverse("reports:batch-download", args=[world.org.slug, batch.pk])
    assert _client(world.alice).get(download).status_code == 404
    monkeypatch.undo()
    jobs.batch_assemble(batch.pk)  # the job is redone
    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE


def test_running_a_batch_twice_changes_nothing(world, queued):
    _submitted(world, world.clinic)
    batch = _round_batch(world, _client(world.alice))
    jobs.batch_run(batch.pk)
    item = batch.items.get()
    jobs.batch_item(item.pk)
    jobs.batch_item(item.pk)
    jobs.batch_assemble(batch.pk)
    batch.refresh_from_db()
    file, size = batch.file, batch.size
    jobs.batch_assemble(batch.pk)
    batch.refresh_from_db()
    assert (batch.file, batch.size, batch.status) == (file, size, ReportBatch.Status.DONE)
    assert StoredReport.objects.count() == 1
    assert ReportBatchItem.objects.get().status == ReportBatchItem.Status.DONE


def test_expired_batches_lose_their_file(world, queued):
    _submitted(world, world.clinic)
    batch = _round_batch(world, _client(world.alice))
    jobs.batch_run_here(batch.pk)
    batch.refresh_from_db()
    path = Path(batches.settings.MEDIA_ROOT) / batch.file
    assert path.exists()
    jobs.files_expire(now=timezone.now() + datetime.timedelta(days=6))
    assert path.exists()
    jobs.files_expire(now=timezone.now() + datetime.timedelta(days=8))
    batch.refresh_from_db()
    assert (batch.status, path.exists()) == (ReportBatch.Status.EXPIRED, False)
    download = reverse("reports:batch-download", args=[world.org.slug, batch.pk])
    assert _client(world.alice).get(download).status_code == 404


def test_a_stalled_batch_is_queued_again(world, queued):
    _submitted(world, world.clinic)
    batch = _round_batch(world, _client(world.alice))
    queued.clear()
    assert jobs.jobs_resume(stalled_after=datetime.timedelta(minutes=10)) == 0
    ReportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    jobs.jobs_resume(stalled_after=datetime.timedelta(minutes=10))
    assert ("reports.tasks.report_batch_run", (batch.pk,)) in queued


def test_batches_are_for_consultants_and_org_admins_of_the_organisation(world, queued):
    _submitted(world, world.clinic)
    batch = _round_batch(world, _client(world.alice))
    page = reverse("reports:batch", args=[world.org.slug, batch.pk])
    assert _client(world.victor).get(page).status_code == 403
    assert _client(world.sam).get(page).status_code == 403
    assert _client(world.oscar).get(page).status_code == 404
    other = reverse("reports:batch", args=[world.other_org.slug, batch.pk])
    assert _client(world.oscar).get(other).status_code == 404


@pytest.mark.parametrize("data", [{}, {"round": ""}, {"round": "x" * 500}, {"source": "compare"}])
def test_a_batch_without_a_valid_round_is_refused_with_a_message(world, queued, data):
    response = _client(world.alice).post(reverse("reports:batches", args=[world.org.slug]), data)
    assert response.status_code == 422
    assert "Choose a round" in response.content.decode()
    assert not ReportBatch.objects.exists()


def test_a_round_with_nothing_submitted_makes_no_batch(world, queued):
    response = _client(world.alice).post(
        reverse("reports:batches", args=[world.org.slug]), {"round": "1999"}
    )
    assert response.status_code == 422
    assert "No submitted assessment matches" in response.content.decode()


def test_export_reports_writes_the_zip_from_the_command_line(world, tmp_path):
    _submitted(world, world.clinic)
    _submitted(world, world.hospital, "2025 autumn")
    out = tmp_path / "round.zip"
    stdout = io.StringIO()
    call_command(
        "export_reports",
        "--org",
        world.org.slug,
        "--round",
        "2026 spring",
        "-o",
        str(out),
        stdout=stdout,
    )
    assert sorted(zipfile.ZipFile(out).namelist()) == [
        "northside-clinic-2026-spring.pdf",
        "summary.csv",
    ]
    assert stdout.getvalue().strip() == f"Wrote 1 of 1 reports to {out}"
    latest = tmp_path / "latest.zip"
    call_command("export_reports", "--org", world.org.slug, "-o", str(latest), stdout=stdout)
    assert sorted(zipfile.ZipFile(latest).namelist()) == [
        "northside-clinic-2026-spring.pdf",
        "northside-hospital-2025-autumn.pdf",
        "summary.csv",
    ]
    with pytest.raises(CommandError, match="No organisation"):
        call_command("export_reports", "--org", "nope", "-o", str(out))
    with pytest.raises(CommandError, match="nothing to export"):
        call_command("export_reports", "--org", world.org.slug, "--round", "1999", "-o", str(out))


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_reports_database_cache_and_broker_without_login(db, monkeypatch):
    monkeypatch.setattr(queue, "broker_state", lambda: "unreachable")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "unreachable"}


def test_healthz_is_503_when_the_database_does_not_answer(db, monkeypatch):
    from reports import job_views

    class Down:
        def cursor(self):
            raise RuntimeError("database down")

    monkeypatch.setattr(job_views, "connection", Down())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
