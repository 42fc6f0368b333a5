"""A real round trip: tasks sent to Redis, run by a real `celery -A readiness worker`.

Needs Redis at 127.0.0.1:6379 (.ci/run starts one): skipped without it on a developer
machine, failed in CI (tests.conftest.required). Each test uses a queue of its own, so runs
in parallel (pytest-xdist) or on a shared Redis never take each other's tasks. The worker is a
separate process on the test database, so the tests commit (transactional_db).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments.services import assessment_submit
from reports import queue
from reports.job_services import report_batch_create, stored_report_request
from reports.models import ReportBatch, ReportBatchItem, StoredReport
from tests import factories
from tests.conftest import required
from tests.reports.conftest import HAND_ANSWERS, give_answers
from tests.reports.test_pdf import pdf_text

REDIS_URL = "redis://127.0.0.1:6379/0"
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.waits]


def _redis() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return REDIS_URL if sock.recv(16).startswith(b"+PONG") else None
    except OSError:
        return None


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A readiness worker` on the test database, the test's media and its queue."""

    def __init__(self, queue_name: str, tmp: Path, **env: str) -> None:
        self.queue_name = queue_name
        self.log = tmp / f"worker-{queue_name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "readiness.settings",
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CACHE_DIR": str(tmp / "cache"),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_QUEUE": queue_name,
            # A killed worker's task comes back after this long (late acknowledgement).
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CHROMIUM_PATH": "/nonexistent",  # tables instead of charts: faster PDFs
            "STATIC_MANIFEST": "false",  # the tests run without collectstatic
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "readiness",
                    "worker",
                    "--concurrency",
                    "1",
                    "-Q",
                    self.queue_name,
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "INFO",
                ],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its children
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no chance to acknowledge or clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def worker(tmp_path, settings, monkeypatch) -> Iterator[Worker]:
    required(_redis(), "Redis is not answering at 127.0.0.1:6379 (apt-get install redis-server)")
    settings.MEDIA_ROOT = tmp_path / "media"
    queue_name = f"test-{uuid.uuid4().hex[:12]}"
    # Not the current app: tasks defined with @shared_task would otherwise resolve against this
    # sender, where none is registered, in every later test of this worker process.
    sender = Celery("test-sender", broker=REDIS_URL, set_as_current=False)
    sender.conf.task_default_queue = queue_name
    sender.conf.broker_transport_options = {"visibility_timeout": 5}

    def send(task_name: str, *args: Any) -> bool:
        sender.send_task(task_name, args=list(args))
        return True

    # The web side of the round trip: what the app queues goes to this test's queue on Redis.
    monkeypatch.setattr(queue, "enqueue", send)
    running = Worker(queue_name, tmp_path)
    yield running
    running.stop()
    sender.close()


def _wait(condition: Callable[[], bool], seconds: float, worker: Worker, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = worker.log.read_text(errors="replace")[-3000:] if worker.log.exists() else ""
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log}")


def _wait_until_rendered(stored: StoredReport, seconds: float, worker: Worker) -> None:
    """Wait until `worker` has rendered `stored` (or given up on it), then check it is ready."""
    finished = (StoredReport.Status.READY, StoredReport.Status.FAILED)
    _wait(
        lambda: StoredReport.objects.get(pk=stored.pk).status in finished,
        seconds,
        worker,
        "the report",
    )
    stored.refresh_from_db()
    assert (stored.status, stored.error) == (StoredReport.Status.READY, "")


def _submitted(world, site, label):
    assessment = factories.make_assessment(site, world.instrument, round_label=label)
    give_answers(assessment, HAND_ANSWERS)
    assessment_submit(assessment=assessment, user=world.alice)
    return assessment


def test_a_report_is_rendered_by_a_worker_through_redis(world, worker):
    assessment = _submitted(world, world.clinic, "2026 spring")
    stored, ask = stored_report_request(assessment=assessment, key="roundtrip-1", params={})
    assert ask
    worker.start()
    queue.enqueue("reports.tasks.report_render", stored.pk)
    _wait_until_rendered(stored, 90, worker)
    assert (Path(settings.MEDIA_ROOT) / stored.file).read_bytes().startswith(b"%PDF")


def test_a_batch_survives_its_worker_being_killed_and_never_offers_a_partial_zip(world, worker):
    # Enough reports that some are still to render when the first is done: with fewer, a
    # worker with a warm chart cache finished them all between two polls and nothing was
    # left to kill in the middle of.
    labels = [f"{year} {season}" for year in range(2020, 2026) for season in ("spring", "autumn")]
    ids = [_submitted(world, site, label).pk for label in labels for site in (world.clinic,)]
    batch = report_batch_create(
        organisation=world.org, user=world.alice, title="All", filters=[], assessment_ids=ids
    )
    client = Client()
    client.force_login(world.alice)
    download = reverse("reports:batch-download", args=[world.org.slug, batch.pk])
    folder = Path(settings.MEDIA_ROOT) / "report-batches" / str(batch.pk)

    worker.start()
    queue.enqueue("reports.tasks.report_batch_run", batch.pk)
    done = ReportBatchItem.Status.DONE
    _wait(lambda: batch.items.filter(status=done).exists(), 90, worker, "a first report")
    worker.kill()  # in the middle of the job

    batch.refresh_from_db()
    assert not batch.finished
    assert batch.file == ""
    assert batch.items.filter(status=done).count() < len(ids)
    assert client.get(download).status_code == 404
    assert not list(folder.glob("*.zip"))  # no complete name was ever written

    worker.start()  # the job is redone: the killed task comes back, pending work resumes
    _wait(lambda: ReportBatch.objects.get(pk=batch.pk).finished, 120, worker, "the batch to finish")
    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE
    response = client.get(download)
    assert response.status_code == 200
    archive = zipfile.ZipFile(Path(settings.MEDIA_ROOT) / batch.file)
    assert sorted(archive.namelist()) == sorted(
        [f"northside-clinic-{label.replace(' ', '-')}.pdf" for label in labels] + ["summary.csv"]
    )
    assert archive.testzip() is None
    assert not list(folder.glob("*.part-*"))


def test_with_a_charts_queue_the_charts_come_from_its_worker_and_the_layout_has_no_browser(
    world, worker, chromium, tmp_path
):
    """The split of README's "Running on several machines": one worker draws the charts
    (Chromium), another lays out the PDF. The layout worker has no browser at all here, so the
    PDF has its charts only if they came from the charts worker through the shared cache."""
    charts_queue = f"{worker.queue_name}-charts"
    # As in production, every process names both queues and shares the cache.
    shared = {
        "CELERY_QUEUE": worker.queue_name,
        "CELERY_CHARTS_QUEUE": charts_queue,
        "CACHE_DIR": str(tmp_path / "shared-cache"),
    }
    charts = Worker(charts_queue, tmp_path, CHROMIUM_PATH=chromium, **shared)  # -Q charts
    layout = Worker(worker.queue_name, tmp_path, **shared)  # CHROMIUM_PATH=/nonexistent
    with pytest.MonkeyPatch.context() as patch:
        # Not the pre-render: it would go straight to the layout worker (no charts queue in this
        # process), and its chartless PDF would be served from the cache for the same options.
        patch.setattr(queue, "enqueue", lambda *args: True)
        assessment = _submitted(world, world.clinic, "2026 spring")
    stored, ask = stored_report_request(assessment=assessment, key="roundtrip-charts", params={})
    assert ask
    charts.start()
    layout.start()
    sender = Celery("test-charts-sender", broker=REDIS_URL, set_as_current=False)
    try:
        # What queue.enqueue sends for a report_render when a charts queue is set (test_jobs).
        sender.send_task(
            "reports.tasks.report_charts",
            args=["reports.tasks.report_render", stored.pk],
            queue=charts_queue,
        )
        _wait_until_rendered(stored, 120, layout)
    finally:
        sender.close()
        charts.stop()
        layout.stop()
    text = pdf_text((Path(settings.MEDIA_ROOT) / stored.file).read_bytes(), tmp_path)
    assert "Domain scores against targets" in text
    assert "could not be drawn" not in text  # the charts are there, from the other worker
    # Each worker ran its own step: the charts worker sent the layout on to the other queue.
    charts_log = charts.log.read_text(errors="replace")
    layout_log = layout.log.read_text(errors="replace")
    assert "reports.tasks.report_charts[" in charts_log
    assert "reports.tasks.report_render[" not in charts_log
    assert "reports.tasks.report_render[" in layout_log
