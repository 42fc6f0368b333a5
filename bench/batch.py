"""Benchmark: batch export of demo-sized reports through Celery workers, 1 then 2.

    .venv/bin/python bench/batch.py [--reports 50] [--seconds 900] [--keep] [--no-charts-worker]

Makes a throw-away SQLite database (PostgreSQL when DATABASE_URL is set: a throw-away copy of
it), seeds the demo and copies its richest submitted assessment to `--reports` sites, then:

- baseline: one warm `export_report` render (`report_pdf` with the PDF cache bypassed, charts
  included) in this process, median of 3 after a warm-up;
- a batch of every copy with 1 worker, then (stored files deleted) with 2 workers: wall time,
  per-report time (worker-seconds per report: wall x workers / reports) against the baseline,
  and throughput of 2 against 1;
- meanwhile, the web side in this process (Django's test client, no HTTP server): p95 of a
  stored `/a/<id>/report.pdf` download and of a questionnaire domain page;
- the workers as README's "Running on several machines" runs them: one charts worker (its
  own queue, CELERY_CHARTS_QUEUE: the only one with a Chromium) beside the 1 or 2 workers that
  lay out the PDFs; the charts worker's CPU time is added to the per-report time. With
  `--no-charts-worker`, each worker draws its charts itself (the embedded set-up of `make run`);
- each worker's peak memory, its Python processes (main and pool) apart from the Chromium
  that kaleido starts for the charts: the Python side's resident set (RSS), and the
  proportional set size (PSS, shared pages divided among the processes sharing them) of each
  side. A sum of RSS counts Chromium's shared memory once per Chromium process (its browser,
  zygote, GPU and renderer processes map the same pages), so the figure held against the
  target is PSS: Python's plus Chromium's, what the worker really adds to the machine.

Workers are `celery -A readiness worker --concurrency 1` processes on Redis at 127.0.0.1:6379
(a queue of their own) when it answers, else on kombu's file-system queue in the temp folder.
The last line is a one-line summary. Targets (BENCHMARKS.md): per report <= 1.2x the warm
render, 2 workers >= 1.7x the throughput of 1 where the cores allow, web p95 < 300 ms,
< 400 MB per worker.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


MEMORY_FIGURES = ("python_rss", "python_pss", "chromium_pss", "total_pss")


def worker_memory(pid: int) -> dict[str, float] | None:
    """A worker's memory in MB: its Python processes' RSS and PSS, its Chromium's PSS, and the
    PSS of both together (None once it is gone). A child whose executable is Chromium (kaleido's
    browser and every process that browser starts) counts as Chromium; the rest as Python."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return None
    figures = dict.fromkeys(MEMORY_FIGURES, 0.0)
    for process in processes:
        try:
            name = " ".join([process.name(), *process.cmdline()[:1]]).lower()
            info = process.memory_full_info()  # pss reads /proc/<pid>/smaps_rollup
        except psutil.Error:
            continue  # ended between the listing and the reading
        pss = getattr(info, "pss", info.rss) / 1e6
        if "chrom" in name or "headless_shell" in name:
            figures["chromium_pss"] += pss
        else:
            figures["python_rss"] += info.rss / 1e6
            figures["python_pss"] += pss
    figures["total_pss"] = figures["python_pss"] + figures["chromium_pss"]
    return figures


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def copy_assessments(count: int) -> list[int]:
    """`count` submitted copies of the demo's richest assessment, one per new site."""
    from assessments.models import Answer, Assessment, Site
    from assessments.services import assessment_submit

    source = max(
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED),
        key=lambda a: (Answer.objects.filter(assessment=a).count(), a.pk),
    )
    answers = list(Answer.objects.filter(assessment=source))
    organisation = source.site.organisation
    ids = []
    for n in range(count):
        site = Site.objects.create(organisation=organisation, name=f"Bench site {n + 1:03d}")
        copy = Assessment.objects.create(
            site=site,
            instrument=source.instrument,
            round_label=source.round_label,
            round_date=source.round_date,
        )
        Answer.objects.bulk_create(
            Answer(
                assessment=copy,
                question_id=a.question_id,
                value=a.value,
                comment=a.comment,
                evidence=a.evidence,
            )
            for a in answers
        )
        assessment_submit(assessment=copy, user=None)
        ids.append(copy.pk)
    return ids


class Workers:
    """`count` workers on the default queue, then the charts worker when `charts_queue` is set
    (the last of `processes`)."""

    def __init__(self, count: int, env: dict[str, str], log: Path, charts_queue: str) -> None:
        queues = [env["CELERY_QUEUE"]] * count + ([charts_queue] if charts_queue else [])
        self.processes = []
        for queue_name in queues:
            with log.open("ab") as handle:
                self.processes.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).parent / "celery"),
                            "-A",
                            "readiness",
                            "worker",
                            "-Q",
                            queue_name,
                            "--concurrency",
                            "1",
                            "--without-gossip",
                            "--without-mingle",
                            "--loglevel",
                            "WARNING",
                            "-n",
                            f"bench-{uuid.uuid4().hex[:6]}@%h",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        self.charts = bool(charts_queue)
        # Per worker, the peak of each figure (MB): see sample_memory.
        self.peaks: list[dict[str, float]] = [
            dict.fromkeys(MEMORY_FIGURES, 0.0) for _ in self.processes
        ]

    def charts_cpu_seconds(self) -> float:
        """CPU time of the charts worker and its children so far (its Chromium included)."""
        import psutil

        if not self.charts:
            return 0.0
        try:
            parent = psutil.Process(self.processes[-1].pid)
            processes = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def sample_memory(self) -> None:
        for i, process in enumerate(self.processes):
            figures = worker_memory(process.pid)
            if figures is None:
                continue
            for name, value in figures.items():
                self.peaks[i][name] = max(self.peaks[i][name], value)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=900, help="bound on the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--no-charts-worker",
        action="store_true",
        help="no worker of its own for the charts: each worker draws its own (as `make run`)",
    )
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    workdir = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    queue_name = f"bench-{uuid.uuid4().hex[:8]}"
    charts_queue = "" if args.no_charts_worker else f"{queue_name}-charts"
    broker = "redis://127.0.0.1:6379/0" if redis_answers() else "filesystem://"
    settings_env = {
        "CACHE_DIR": str(workdir / "cache"),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_MANIFEST": "false",
        "DEBUG": "true",
        "CELERY_BROKER_URL": broker,
        "CELERY_BROKER_DIR": str(workdir / "celery"),
        "CELERY_QUEUE": queue_name,
        "CELERY_CHARTS_QUEUE": charts_queue,
        "MFA_REQUIRED_ROLES": "",
        # The web side is measured with Django's test client, which calls itself "testserver".
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    os.environ.update(settings_env)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases

    postgres = connection.vendor != "sqlite"
    old_config = None
    workers: Workers | None = None
    try:
        if postgres:
            old_config = setup_databases(verbosity=0, interactive=False)
        else:
            call_command("migrate", verbosity=0)
        call_command("load_instruments", verbosity=0)
        call_command("seed_demo", verbosity=0)
        from assessments.models import Assessment, Membership
        from reports import chart_svg, jobs, queue
        from reports.job_services import report_batch_create
        from reports.models import ReportBatch, StoredReport
        from reports.report_files import report_pdf

        StoredReport.objects.all().delete()
        ids = copy_assessments(args.reports)
        StoredReport.objects.all().delete()  # submitting queued pre-renders: not measured
        first = Assessment.objects.with_context().get(pk=ids[0])
        organisation = first.site.organisation

        # Baseline: one warm render, as `export_report` does it.
        report_pdf(first, use_cache=False)
        singles = []
        for _ in range(3):
            start = time.perf_counter()
            report_pdf(first, use_cache=False)
            singles.append(time.perf_counter() - start)
        single = statistics.median(singles)
        print(
            f"warm export_report: median {single:.2f} s (runs {min(singles):.2f}-"
            f"{max(singles):.2f})"
        )
        # This process's Chromium shares its code pages with the workers' and would take half
        # of what their PSS is charged for them: stopped, so a worker's figure is its own.
        chart_svg.stop_kaleido()

        # The web side: a stored PDF and a questionnaire page, as an org admin.
        stored_target = Assessment.objects.with_context().get(pk=ids[-1])
        admin = Membership.objects.filter(
            organisation=organisation, role=Membership.Role.ORG_ADMIN
        ).first()
        if admin is None:
            raise SystemExit("bench/batch.py: the demo has no organisation admin to browse as")
        client = Client()
        client.force_login(admin.user)
        draft = Assessment.objects.filter(
            site__organisation=organisation, status=Assessment.Status.DRAFT
        ).first()
        domain = draft.instrument.domains.order_by("order").first() if draft else None
        urls = [f"/a/{stored_target.pk}/report.pdf"]
        if draft and domain:
            urls.append(f"/a/{draft.pk}/d/{domain.key}/")
        env = {**os.environ, **settings_env, "DATABASE_URL": _worker_database_url(connection)}

        results: dict[int, dict[str, Any]] = {}
        for count in (1, 2):
            if time.monotonic() > deadline:
                break
            StoredReport.objects.exclude(assessment_id=stored_target.pk).delete()
            # Both runs start cold: no PDF of the previous run may come from the cache.
            cache.clear()
            shutil.rmtree(workdir / "media" / "reports", ignore_errors=True)
            # The download measured is of a stored file: stored again after the wipe (the first
            # run used to measure nothing: the file was gone, every download a "preparing" page).
            jobs.render_stored(_prerendered(stored_target))
            workers = Workers(count, env, workdir / "workers.log", charts_queue)
            time.sleep(8)  # workers start (Django, WeasyPrint imports)
            charts_cpu_start = workers.charts_cpu_seconds()
            batch = report_batch_create(
                organisation=organisation,
                user=None,
                title=f"bench {count}",
                filters=[],
                assessment_ids=ids,
            )
            latencies: dict[str, list[float]] = {url: [] for url in urls}
            failed: dict[str, int] = {url: 0 for url in urls}
            stop = threading.Event()

            def browse(
                stop: threading.Event = stop, latencies: dict = latencies, failed: dict = failed
            ) -> None:
                while not stop.is_set():
                    for url in urls:
                        start = time.perf_counter()
                        status = client.get(url).status_code
                        if status == 200:
                            latencies[url].append(time.perf_counter() - start)
                        else:
                            failed[url] += 1
                    time.sleep(0.2)

            browser = threading.Thread(target=browse, daemon=True)
            start = time.perf_counter()
            assert queue.enqueue("reports.tasks.report_batch_run", batch.pk)
            browser.start()
            while time.monotonic() < deadline:
                workers.sample_memory()
                if ReportBatch.objects.get(pk=batch.pk).finished:
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - start
            charts_cpu = workers.charts_cpu_seconds() - charts_cpu_start
            stop.set()
            browser.join(timeout=30)
            workers.stop()
            finished = ReportBatch.objects.get(pk=batch.pk)
            done = finished.total - len(finished.failures) if finished.finished else 0
            results[count] = {
                "wall": wall,
                "done": done,
                # The layout workers' time, plus what the charts worker spent on the CPU.
                "per_report": (wall * count + charts_cpu) / max(done, 1),
                "charts_cpu": charts_cpu / max(done, 1),
                "p95_ms": {url: p95(v) * 1000 for url, v in latencies.items()},
                "failed": sum(failed.values()),
                "memory": [dict(peak) for peak in workers.peaks],
            }
            workers = None
            r = results[count]
            print(
                f"{count} worker(s): {done}/{len(ids)} reports in {wall:.1f} s, "
                f"{r['per_report']:.2f} worker-s per report "
                + (f"(of which charts worker CPU {r['charts_cpu']:.2f} s) " if charts_queue else "")
                + f"({r['per_report'] / single:.2f}x the warm render), web p95 "
                + ", ".join(f"{u} {ms:.0f} ms" for u, ms in r["p95_ms"].items())
                + f", {r['failed']} web requests not 200"
            )
            for n, peak in enumerate(r["memory"], start=1):
                name = "charts worker" if charts_queue and n == len(r["memory"]) else f"worker {n}"
                print(
                    f"  {name} peak memory: Python RSS {peak['python_rss']:.0f} MB "
                    f"(PSS {peak['python_pss']:.0f}), Chromium PSS {peak['chromium_pss']:.0f} MB, "
                    f"together PSS {peak['total_pss']:.0f} MB"
                )
        one, two = results.get(1), results.get(2)
        speedup = (one["wall"] / two["wall"]) if one and two and two["done"] else float("nan")
        # nan when a page was never served (max() would drop it or not, by position).
        web_p95s = [ms for r in results.values() for ms in r["p95_ms"].values()]
        web = float("nan") if not web_p95s or any(map(math.isnan, web_p95s)) else max(web_p95s)
        web_failed = sum(r["failed"] for r in results.values())

        def peak(name: str) -> float:
            return max(
                (m[name] for r in results.values() for m in r["memory"]), default=float("nan")
            )

        per = max((r["per_report"] for r in results.values()), default=float("nan"))
        print(
            f"batch: cores={os.cpu_count()} reports={len(ids)} single_warm_s={single:.2f} "
            f"per_report_s={per:.2f} ratio={per / single:.2f} "
            f"throughput_2v1={speedup:.2f} web_p95_ms={web:.0f} web_not_200={web_failed} "
            f"worker_pss_mb={peak('total_pss'):.0f} worker_python_rss_mb={peak('python_rss'):.0f} "
            f"worker_chromium_pss_mb={peak('chromium_pss'):.0f} "
            f"charts_worker={'yes' if charts_queue else 'no'} "
            f"load_avg_1m={os.getloadavg()[0]:.1f} "
            f"broker={broker.split(':')[0]}"
        )
    finally:
        if workers is not None:
            workers.stop()
        if old_config is not None:
            teardown_databases(old_config, verbosity=0)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _prerendered(assessment: Any) -> int:
    """The stored default report of `assessment` (asked for, not yet rendered)."""
    from reports import report_store
    from reports.job_services import stored_report_request

    options = report_store.variant_options(assessment, report_store.VariantRequest())
    key = report_store.report_key(assessment, options)
    stored, _ = stored_report_request(assessment=assessment, key=key, params={})
    return stored.pk


def _worker_database_url(connection: Any) -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


if __name__ == "__main__":
    sys.exit(main())
