#!/usr/bin/env python
"""Benchmark: many people at once against gunicorn + PostgreSQL (locust, headless).

Run it from the repository root after `make test` has built the venv, with a PostgreSQL
server on 127.0.0.1:5432 (or DATABASE_URL naming another one):

    .venv/bin/python bench/load.py [--seconds 60] [--users 50] [--readers 10]

It creates a throw-away database on that server (the database named in the URL is not
touched), migrates it, runs `seed_demo`, adds sites with a draft assessment each and the load
test's people (writers: site admins; readers: consultants), runs collectstatic, and starts
gunicorn (--workers, default 4) on a free port of 127.0.0.1 with production settings (DEBUG
off, manifest static files, django-axes on; plain HTTP, so no secure-only cookies).

Then locust (bench/locustfile.py) runs USERS writers, who sign in, open their questionnaire
domain page and save one answer every 5 seconds the way the autosave script does, and READERS
readers (consultants, who sign in with a code from an authenticator as their role must), who
open the organisation dashboard, results pages, gap reports and assessment pages. A request
answered with anything but the page (a redirect to the sign-in or two-factor set-up, say)
counts as an error.
Writers are placed --writers-per-site to an assessment, each on its own question, except that
--shared-per-site of them save the same question as a colleague: their 409 conflicts are the
expected answer to a stale page, counted apart and not as errors.

Users start at --spawn-rate per second (signing in costs a deliberate ~0.5 s of password
hashing each), and then everyone runs for --seconds. Figures are for the steady part, after
the last sign-in; the whole run is shown too. Sign-ins are shown apart. The server's CPU
(gunicorn's processes and the database's backends, sampled twice a second) per request is
that of the steady part, where nobody signs in.

Afterwards it checks: no 5xx and no other error, p95 under 300 ms, and that every answer the
server acknowledged (200) is in the database (the last one of each question, or a later one)
with its audit entry, and that every revision of an answer has its audit entry.
It stops gunicorn and drops the database. The last line is the summary.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
P95_TARGET_MS = 300.0
PASSWORD = "load-test-" + secrets.token_hex(6)
HASH_SECONDS = 0.0  # CPU seconds of one password hash, measured in build_plan


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="steady run time after ramp-up")
    parser.add_argument("--users", type=int, default=50, help="writers (questionnaire users)")
    parser.add_argument("--readers", type=int, default=10, help="readers of results and reports")
    parser.add_argument("--writers-per-site", type=int, default=5)
    parser.add_argument(
        "--shared-per-site",
        type=int,
        default=1,
        help="writers per site that save a colleague's question (conflicts)",
    )
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args(argv)
    if args.seconds < 5 or args.users < 1 or args.readers < 0 or args.writers_per_site < 1:
        parser.error("--seconds >= 5, --users >= 1, --readers >= 0, --writers-per-site >= 1")
    if not 0 <= args.shared_per_site < args.writers_per_site:
        parser.error("--shared-per-site must be below --writers-per-site")
    return args


# --- the throw-away database and settings ------------------------------------------------------


@contextmanager
def throwaway_database() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    given = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not given.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/load.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    parts = urllib.parse.urlsplit(given)
    name = f"readiness_load_{os.getpid()}"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def production_env(database_url: str, workdir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "readiness.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The bench talks plain HTTP to gunicorn; production has TLS in front.
        "SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "CACHE_DIR": str(workdir / "cache"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }


# --- data ----------------------------------------------------------------------------------------


def build_plan(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Seed the demo, then add the load test's sites, assessments and people."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from assessments.content import instrument_content
    from assessments.models import (
        Answer,
        Assessment,
        AuditEntry,
        Instrument,
        Membership,
        Organisation,
        Site,
    )
    from assessments.services import AnswerChange, answers_save, assessment_create

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", interactive=False, verbosity=0)

    organisation = Organisation.objects.get(slug="riverbend-health-network")
    instrument = Instrument.objects.filter(slug="clinical-ai").order_by("-version").first()
    assert instrument is not None, "seed_demo did not load clinical-ai"
    content = instrument_content(instrument)
    # Questions that are always shown and scored: a writer's question is never hidden.
    questions = [q for q in content.questions if not q.show_if_question and q.type != "text"]
    global HASH_SECONDS
    # CPU time, not wall time: what one hash costs the server whatever else the machine runs
    # (a wall-clock figure taken on a busy machine made the subtraction below too large).
    started = time.process_time()
    hashed = make_password(PASSWORD)  # hashed once: 60 hashes would take most of a minute
    HASH_SECONDS = time.process_time() - started
    per_site = args.writers_per_site
    sites = math.ceil(args.users / per_site)
    step = max(1, len(questions) // per_site)
    writers: list[dict[str, Any]] = []
    initial: dict[str, int] = {}
    for index in range(sites):
        site = Site.objects.create(organisation=organisation, name=f"Load test site {index + 1}")
        assessment = assessment_create(
            site=site,
            instrument=instrument,
            round_label="Load test",
            round_date=_today(),
            user=None,
        )
        # Pre-fill every question, so that pages look like a real assessment in progress.
        first = User.objects.create(username=f"load-writer-{len(writers) + 1}", password=hashed)
        answers_save(
            assessment=assessment,
            user=first,
            changes=[AnswerChange(key=q.key, value=q.options[-1]["value"]) for q in questions],
        )
        count = min(per_site, args.users - len(writers))
        for slot in range(count):
            user = (
                first
                if slot == 0
                else User.objects.create(
                    username=f"load-writer-{len(writers) + 1}", password=hashed
                )
            )
            membership = Membership.objects.create(
                user=user, organisation=organisation, role=Membership.Role.SITE_ADMIN
            )
            membership.sites.set([site])
            # The last shared_per_site writers of a site save writer 0's question.
            shared = slot >= per_site - args.shared_per_site and slot > 0
            question = questions[0 if shared else (slot * step) % len(questions)]
            domain_key = question.domain.key
            values = [o["value"] for o in question.options] + (["na"] if question.allow_na else [])
            writers.append(
                {
                    "username": user.username,
                    "password": PASSWORD,
                    "assessment": assessment.pk,
                    "key": question.key,
                    "values": values,
                    "domain_url": f"/a/{assessment.pk}/d/{domain_key}/",
                    "shared": shared,
                }
            )
    readers = []
    for index in range(args.readers):
        user = User.objects.create(username=f"load-reader-{index + 1}", password=hashed)
        Membership.objects.create(
            user=user, organisation=organisation, role=Membership.Role.CONSULTANT
        )
        # A consultant must sign in with a second factor (MFA_REQUIRED_ROLES): each reader
        # has an authenticator and gives its code after the password, as people do.
        device = TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
        readers.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "totp_key": device.key,
                "totp_step": device.step,
                "totp_t0": device.t0,
                "totp_digits": device.digits,
            }
        )
    assessments = list(
        Assessment.objects.filter(site__organisation=organisation).values_list("pk", flat=True)
    )
    for row in Answer.objects.filter(assessment_id__in={w["assessment"] for w in writers}).values(
        "assessment_id", "question__key", "revision"
    ):
        initial[f"{row['assessment_id']} {row['question__key']}"] = row["revision"]
    audits = collections.Counter(
        f"{a} {s}"
        for a, s in AuditEntry.objects.filter(action="answer").values_list(
            "assessment_id", "subject"
        )
    )
    return {
        "writers": writers,
        "readers": readers,
        "results_urls": [f"/a/{pk}/results/" for pk in assessments],
        "report_urls": [f"/a/{pk}/report/" for pk in assessments],
        "detail_urls": [f"/a/{pk}/" for pk in assessments],
        "dashboard_url": f"/o/{organisation.slug}/",
        "initial_revisions": initial,
        "initial_audits": dict(audits),
        "out": str(workdir / "locust-out.json"),
        "assessments": len(assessments),
        "questions": len(questions),
    }


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], workers: int, workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "readiness.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    host = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(host + "/login/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("gunicorn did not start:\n" + (workdir / "gunicorn.log").read_text())
            time.sleep(0.3)
        yield host, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def run_locust(
    host: str, plan_path: Path, plan: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> tuple[dict[str, Any], float]:
    users = len(plan["writers"]) + len(plan["readers"])
    ramp = math.ceil(users / args.spawn_rate)
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_OUT": plan["out"]}
    print(
        f"locust: {len(plan['writers'])} writers + {len(plan['readers'])} readers, "
        f"ramp-up ~{ramp} s, then {args.seconds} s",
        flush=True,
    )
    with open(workdir / "locust.log", "w") as log:
        result = subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{ramp + args.seconds}s",
                "--host",
                host,
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=ramp + args.seconds + 120,
        )
    out = Path(plan["out"])
    if not out.exists():
        sys.exit(
            f"locust wrote no results (exit {result.returncode}):\n"
            + (workdir / "locust.log").read_text()[-3000:]
        )
    return json.loads(out.read_text()), ramp


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # after "pid (command) "


def _pids(match: Any) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and match(int(entry.name))
    ]


def server_pids(master: int, database: str) -> dict[str, list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving the bench database."""

    def is_worker(pid: int) -> bool:
        fields = _stat(pid)
        return fields is not None and int(fields[1]) == master

    def is_backend(pid: int) -> bool:
        try:
            return f" {database} " in Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            return False

    return {"gunicorn": [master, *_pids(is_worker)], "postgres": _pids(is_backend)}


def machine_seconds() -> dict[str, float]:
    """The whole machine's CPU seconds so far, all cores (Linux /proc/stat): busy, and idle
    or waiting for the disk."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = fields[3] + fields[4]  # idle, iowait
    return {
        "machine busy": (sum(fields) - idle) / os.sysconf("SC_CLK_TCK"),
        "machine idle": idle / os.sysconf("SC_CLK_TCK"),
    }


class CpuSampler(threading.Thread):
    """CPU time of the server's processes, sampled twice a second while locust runs.

    Two readings at the ends of the run miss the PostgreSQL backends that start and end in
    between (and count a backend that ended as nothing); here every process seen is followed
    from its first sample (or from zero when it started after the first). The samples also
    give the CPU of the steady part alone, when nobody signs in: the password hashing of the
    ramp-up, whose CPU under load is only estimated, is then out of the figure altogether.
    """

    def __init__(self, master: int, database: str) -> None:
        super().__init__(daemon=True)
        self.master, self.database = master, database
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._group: dict[int, str] = {}
        self._done = threading.Event()

    def sample(self) -> None:
        for group, pids in server_pids(self.master, self.database).items():
            for pid in pids:
                fields = _stat(pid)
                if fields is None:
                    continue
                ticks = int(fields[11]) + int(fields[12])
                if pid not in self._first:
                    self._first[pid] = ticks if not self.samples else 0
                    self._group[pid] = group
                self._last[pid] = ticks
        totals = {"gunicorn": 0.0, "postgres": 0.0, **machine_seconds()}
        for pid, last in self._last.items():
            totals[self._group[pid]] += (last - self._first[pid]) / os.sysconf("SC_CLK_TCK")
        self.samples.append((time.time(), totals))

    def run(self) -> None:
        while not self._done.wait(0.5):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()
        self.sample()

    def between(self, start: float, end: float) -> tuple[float, float, dict[str, float]]:
        """The first and last sample from `start` to `end`, and the CPU seconds between."""
        inside = [(at, totals) for at, totals in self.samples if start <= at <= end]
        if len(inside) < 2:
            return start, start, {group: math.nan for group in self.samples[-1][1]}
        (first, before), (last, after) = inside[0], inside[-1]
        return first, last, {group: after[group] - before[group] for group in before}


# --- figures and checks --------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def figures(rows: list[list[Any]]) -> dict[str, float]:
    times = [row[2] for row in rows]
    if not rows:
        return {
            "count": 0,
            "median": math.nan,
            "p95": math.nan,
            "p99": math.nan,
            "max": math.nan,
            "rps": 0.0,
        }
    span = max(row[0] + row[2] / 1000 for row in rows) - min(row[0] for row in rows)
    return {
        "count": len(rows),
        "median": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "max": max(times),
        "rps": len(rows) / span if span > 0 else math.nan,
    }


def table(title: str, rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    print(
        f"  {'request':<14} {'count':>7} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8} "
        f"{'req/s':>7}"
    )
    names = sorted({row[1] for row in rows})
    for name in [*names, "all"]:
        subset = rows if name == "all" else [row for row in rows if row[1] == name]
        f = figures(subset)
        print(
            f"  {name:<14} {f['count']:>7} {f['median']:>8.1f} {f['p95']:>8.1f} "
            f"{f['p99']:>8.1f} {f['max']:>8.1f} {f['rps']:>7.1f}"
        )


def verify_answers(plan: dict[str, Any], acks: list[list[Any]]) -> list[str]:
    """Every acknowledged save is stored (or overtaken by a later revision) and audited."""
    from assessments.models import Answer, AuditEntry

    problems: list[str] = []
    by_question: dict[tuple[int, str], list[list[Any]]] = collections.defaultdict(list)
    for ack in acks:
        by_question[(ack[0], ack[1])].append(ack)
    questions = {(w["assessment"], w["key"]) for w in plan["writers"]}
    answers = {
        (a.assessment_id, a.question.key): a
        for a in Answer.objects.filter(assessment_id__in={q[0] for q in questions}).select_related(
            "question"
        )
    }
    audit: dict[tuple[int, str], collections.Counter[tuple[str, str]]] = collections.defaultdict(
        collections.Counter
    )
    audit_count: collections.Counter[tuple[int, str]] = collections.Counter()
    for assessment_id, subject, new in AuditEntry.objects.filter(
        action="answer", assessment_id__in={q[0] for q in questions}
    ).values_list("assessment_id", "subject", "new"):
        audit[(assessment_id, subject)][(new.get("value", ""), new.get("comment", ""))] += 1
        audit_count[(assessment_id, subject)] += 1
    for question in sorted(questions):
        label = f"assessment {question[0]} {question[1]}"
        answer = answers.get(question)
        initial = plan["initial_revisions"].get(f"{question[0]} {question[1]}", 0)
        saved = by_question.get(question, [])
        if answer is None:
            if saved:
                problems.append(f"{label}: {len(saved)} acknowledged saves, no answer stored")
            continue
        if saved:
            last = max(saved, key=lambda ack: ack[4])
            if answer.revision < last[4]:
                problems.append(f"{label}: revision {answer.revision} stored, {last[4]} acked")
            elif answer.revision == last[4] and (answer.value, answer.comment) != (
                last[2],
                last[3],
            ):
                problems.append(
                    f"{label}: stored {answer.value!r}/{answer.comment!r}, last "
                    f"acknowledged {last[2]!r}/{last[3]!r}"
                )
        missing = collections.Counter((ack[2], ack[3]) for ack in saved) - audit[question]
        if missing:
            problems.append(f"{label}: {sum(missing.values())} acknowledged saves not audited")
        run_audits = audit_count[question] - plan["initial_audits"].get(
            f"{question[0]} {question[1]}", 0
        )
        if run_audits != answer.revision - initial:
            problems.append(
                f"{label}: {answer.revision - initial} new revisions but {run_audits} audit entries"
            )
    return problems


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="readiness-load-"))
    try:
        with throwaway_database() as database_url:
            env = production_env(database_url, workdir)
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            started = time.monotonic()
            plan = build_plan(args, workdir)
            plan_path = workdir / "plan.json"
            plan_path.write_text(json.dumps(plan))
            from django.db import connections

            connections.close_all()
            print(
                f"setup: {time.monotonic() - started:.1f} s, {plan['assessments']} assessments "
                f"in the organisation, {len(plan['writers'])} writers on "
                f"{len({w['assessment'] for w in plan['writers']})} draft assessments "
                f"({sum(w['shared'] for w in plan['writers'])} on a shared question)",
                flush=True,
            )
            with gunicorn(env, args.workers, workdir) as (host, master):
                print(f"gunicorn: {args.workers} workers at {host}", flush=True)
                # Other work on the machine skews the timings: show how busy it was, and
                # what the server itself spent (CPU time does not depend on the others).
                load_before = os.getloadavg()[0]
                database = urllib.parse.urlsplit(database_url).path.lstrip("/")
                sampler = CpuSampler(master, database)
                sampler.sample()
                sampler.start()
                locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = time.monotonic()
                record, _ramp = run_locust(host, plan_path, plan, args, workdir)
                wall = time.monotonic() - wall
                locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                sampler.stop()
                cpu = sampler.between(0.0, math.inf)[2]
                cpu["locust"] = (locust_after.ru_utime + locust_after.ru_stime) - (
                    locust_before.ru_utime + locust_before.ru_stime
                )
                load_after = os.getloadavg()[0]
            print(
                f"machine load average (1 min) before the run {load_before:.2f}, after "
                f"{load_after:.2f}, on {os.cpu_count()} cores"
            )
            return report(args, plan, record, cpu, wall, sampler)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(
    args: argparse.Namespace,
    plan: dict[str, Any],
    record: dict[str, Any],
    cpu: dict[str, float],
    wall: float,
    sampler: CpuSampler,
) -> int:
    requests = record["requests"]
    logins = [row for row in requests if row[1] == "login"]
    pages = [row for row in requests if row[1] != "login"]
    steady_from = max((row[0] + row[2] / 1000 for row in logins), default=0.0)
    steady = [row for row in pages if row[0] >= steady_from]
    server_errors = [row for row in requests if row[3] >= 500]
    failed = [row for row in requests if not row[4]]
    table("whole run (sign-ins apart), milliseconds", pages)
    table("steady part (after the last sign-in), milliseconds", steady)
    table("sign-ins (password hashing on purpose), milliseconds", logins)
    lost = verify_answers(plan, record["acks"])
    steady_figures = figures(steady)
    whole = figures(pages)
    print()
    print(f"cores: {os.cpu_count()}  database: PostgreSQL  gunicorn workers: {args.workers}")
    # Sign-ins are in the server's CPU time too: their password hashing is counted apart.
    hashing = len(logins) * HASH_SECONDS
    served = len(requests) - len(logins)
    whole_per_request = (cpu["gunicorn"] - hashing) / served * 1000 if served else math.nan
    print(
        f"whole run, CPU seconds over {wall:.0f} s: gunicorn {cpu['gunicorn']:.1f} (of which "
        f"~{hashing:.1f} password hashing, estimated), PostgreSQL {cpu['postgres']:.1f}, locust "
        f"{cpu['locust']:.1f}; server CPU per request {whole_per_request:.1f} ms + database "
        f"{cpu['postgres'] / max(1, len(requests)) * 1000:.1f} ms"
    )
    # The steady part: nobody signs in, so no hashing to estimate. The CPU from the first to
    # the last sample in it, over the requests that started between those two samples.
    steady_end = max((row[0] + row[2] / 1000 for row in steady), default=steady_from)
    first, last, steady_cpu = sampler.between(steady_from, steady_end + 1.0)
    counted = sum(1 for row in steady if first <= row[0] < last)
    seconds = last - first
    per_request = steady_cpu["gunicorn"] / counted * 1000 if counted else math.nan
    busy = steady_cpu["machine busy"] / (steady_cpu["machine busy"] + steady_cpu["machine idle"])
    print(
        f"steady part, CPU seconds over {seconds:.0f} s: gunicorn {steady_cpu['gunicorn']:.1f} "
        f"({steady_cpu['gunicorn'] / max(seconds, 1e-9):.2f} cores), PostgreSQL "
        f"{steady_cpu['postgres']:.1f} ({steady_cpu['postgres'] / max(seconds, 1e-9):.2f} cores);"
        f" server CPU per request {per_request:.1f} ms + database "
        f"{steady_cpu['postgres'] / max(counted, 1) * 1000:.1f} ms ({counted} requests); the "
        f"machine was busy {busy:.0%} of its cores' time (everything on it, this bench too)"
    )
    print(
        f"acknowledged saves: {len(record['acks'])}  conflicts (409, expected): "
        f"{len(record['conflicts'])}  errors: {len(record['errors'])}  "
        f"5xx: {len(server_errors)}  failed requests: {len(failed)}"
    )
    for error in record["errors"][:10]:
        print("  error:", error)
    print(
        f"answers checked: {len({(w['assessment'], w['key']) for w in plan['writers']})} "
        f"questions, problems: {len(lost)}"
    )
    for problem in lost[:20]:
        print("  lost:", problem)
    ok = (
        not server_errors
        and not failed
        and not record["errors"]
        and not lost
        and steady_figures["p95"] < P95_TARGET_MS
        and record["acks"]
    )
    verdict = "PASS" if ok else "FAIL"
    print(
        f"load: {verdict} cores={os.cpu_count()} users={len(plan['writers'])}+"
        f"{len(plan['readers'])} seconds={args.seconds} median_ms={steady_figures['median']:.1f} "
        f"p95_ms={steady_figures['p95']:.1f} p99_ms={steady_figures['p99']:.1f} "
        f"rps={steady_figures['rps']:.1f} whole_run_p95_ms={whole['p95']:.1f} "
        f"saves={len(record['acks'])} conflicts={len(record['conflicts'])} "
        f"errors={len(record['errors']) + len(failed)} lost={len(lost)} "
        f"cpu_ms_per_request={per_request:.1f} load_avg={os.getloadavg()[0]:.1f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(parse_args()))
