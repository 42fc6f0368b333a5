#!/usr/bin/env python
"""Benchmark: one domain page of the questionnaire (GET) and saving one domain (POST).

Run it from the repository root after `make test` has built the venv:

    .venv/bin/python bench/pages.py [--runs 50] [--assessments 0] [--max-seconds 300]

It builds a throw-away database (SQLite in a temporary folder, or a fresh PostgreSQL database
next to the one DATABASE_URL names), migrates it, seeds the demo, and with Django's test client
signed in as the demo's organisation admin measures, RUNS times each:

- bare:     a minimal signed-in page: base.html (navigation, organisation switcher) around an
            empty body, through the full middleware stack. The baseline of the ratio.
- page:     the biggest domain page of the demo's draft assessment (GET).
- save:     the same domain's full form POSTed as the browser sends it, with one answer
            changed each time so that every save really writes (answer, audit entry, revision).
- autosave: one answer POSTed the way static/js/questionnaire.js does it (for information).
- dashboard: the organisation page (for information).

Queries are counted in separate runs (a connection.execute_wrapper, like Django's
CaptureQueriesContext), so counting does not slow the timed runs; transaction control (BEGIN,
COMMIT, SAVEPOINT) is not counted, but the writes are checked to happen in one transaction. `--assessments N` adds N more assessments with answers first: the query counts must
stay the same. Everything it made is removed at the end. The last line is the summary.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Issue 13: a domain page <= 2.5x the bare page, and >= 1,300 questions served per second by
# one worker (twice django-survey-and-report's 643 on this machine).
TARGETS = {"page_queries": 8, "save_queries": 10, "ratio": 2.5, "questions_per_second": 1300}
# The fields a question has on the page besides its answer (see assessments/forms.py).
PARTS = ("comment", "evidence", "rev", "base")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed requests of each kind")
    parser.add_argument(
        "--assessments", type=int, default=0, help="extra assessments with answers to add first"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=300,
        help="stop measuring (with fewer runs) once this much time has passed",
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of one page and one save"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.assessments < 0:
        parser.error("--runs must be at least 1 and --assessments at least 0")
    return args


# --- the throw-away database ---------------------------------------------------------------


@contextmanager
def throwaway_database(workdir: Path) -> Iterator[str]:
    """Point DATABASE_URL at a new, empty database and remove it afterwards."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(given)
    name = f"readiness_bench_{os.getpid()}"
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


def configure_django(database_url: str, workdir: Path) -> None:
    # Production-like settings (DEBUG off), minus what needs collectstatic or HTTPS.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "readiness.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECURE": "false",
            "STATIC_MANIFEST": "false",
            "ALLOWED_HOSTS": "testserver",
            "CACHE_DIR": str(workdir / "cache"),
            "MEDIA_ROOT": str(workdir / "media"),
            "AXES_ENABLED": "false",
            "LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- measuring -------------------------------------------------------------------------------


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
WRITES = ("INSERT", "UPDATE", "DELETE")


class QueryLog:
    """Every statement of a request, with whether it ran inside transaction.atomic()."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bool]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.entries.append((sql, context["connection"].in_atomic_block))
        return execute(sql, params, many, context)

    @property
    def queries(self) -> list[str]:
        return [sql for sql, _ in self.entries if not _starts(sql, TRANSACTION_CONTROL)]

    @property
    def transactions(self) -> int:
        """Atomic blocks that write (runs of consecutive statements inside one)."""
        count, inside_writing = 0, False
        for sql, atomic in self.entries:
            if _starts(sql, TRANSACTION_CONTROL):
                continue
            if not atomic:
                inside_writing = False
            elif _starts(sql, WRITES) and not inside_writing:
                count, inside_writing = count + 1, True
        return count

    @property
    def writes_outside(self) -> int:
        return sum(1 for sql, atomic in self.entries if not atomic and _starts(sql, WRITES))


def _starts(sql: str, words: tuple[str, ...]) -> bool:
    return sql.lstrip().upper().startswith(words)


@dataclass
class Measure:
    name: str
    times: list[float]
    query_counts: list[int]
    log: QueryLog

    @property
    def queries(self) -> int:
        return max(self.query_counts)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.times)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    @property
    def per_second(self) -> float:
        return len(self.times) / sum(self.times)

    def row(self) -> str:
        return (
            f"  {self.name:<11} {self.median_ms:8.1f} {self.percentile_ms(90):8.1f} "
            f"{min(self.times) * 1000:8.1f} {max(self.times) * 1000:8.1f} "
            f"{self.per_second:8.1f} {self.queries:8d}"
        )


class Clock:
    def __init__(self, max_seconds: float) -> None:
        self.deadline = time.monotonic() + max_seconds
        self.cut_short = False

    def expired(self) -> bool:
        if time.monotonic() > self.deadline:
            self.cut_short = True
        return self.cut_short


@dataclass(frozen=True)
class Kind:
    name: str
    request: Callable[[], Any]
    # Runs before each request, outside the timer (e.g. builds the form to post).
    prepare: Callable[[], None] | None = None

    def once(self) -> None:
        if self.prepare is not None:
            self.prepare()
        self.request()


def measure(kinds: list[Kind], runs: int, clock: Clock, warmup: int = 3) -> dict[str, Measure]:
    """Count each kind's queries, then time RUNS requests of each, taking turns.

    Taking turns (bare, page, save, ... then again) means a burst of load from elsewhere on
    the machine hits every kind alike, which keeps the page/bare ratio honest.
    """
    from django.db import connection

    counts: dict[str, list[int]] = {kind.name: [] for kind in kinds}
    logs: dict[str, QueryLog] = {}
    for kind in kinds:
        for _ in range(warmup):
            kind.once()
        for _ in range(3):
            if kind.prepare is not None:
                kind.prepare()
            logs[kind.name] = QueryLog()
            with connection.execute_wrapper(logs[kind.name]):
                kind.request()
            counts[kind.name].append(len(logs[kind.name].queries))
    times: dict[str, list[float]] = {kind.name: [] for kind in kinds}
    for _ in range(runs):
        for kind in kinds:
            if kind.prepare is not None:
                kind.prepare()
            start = time.perf_counter()
            kind.request()
            times[kind.name].append(time.perf_counter() - start)
        if clock.expired():
            break
    return {
        kind.name: Measure(
            name=kind.name,
            times=times[kind.name],
            query_counts=counts[kind.name],
            log=logs[kind.name],
        )
        for kind in kinds
    }


# --- the pages -------------------------------------------------------------------------------


def bare_view(request: Any, slug: str) -> Any:
    """The cheapest signed-in page: base.html around nothing, with the usual membership check."""
    from django.http import HttpResponse
    from django.template import engines

    from assessments import access

    membership = access.get_organisation_for_user(request.user.pk, slug)
    template = engines["django"].from_string(BARE_TEMPLATE)
    return HttpResponse(template.render({"current_membership": membership}, request))


BARE_TEMPLATE = (
    '{% extends "base.html" %}{% block title %}Bench{% endblock title %}'
    "{% block content %}<p>Bare page.</p>{% endblock content %}"
)


def install_bare_page() -> None:
    """Serve bare_view at /__bench__/<slug>/ next to the project's URLs, without editing them."""
    import types

    from django.contrib.auth.decorators import login_required
    from django.test.utils import override_settings
    from django.urls import include, path

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("__bench__/<slug:slug>/", login_required(bare_view)),
        path("", include("readiness.urls")),
    ]
    sys.modules["bench_urls"] = module
    override_settings(ROOT_URLCONF="bench_urls").enable()


def add_assessments(count: int, rng: random.Random) -> None:
    """COUNT more assessments with every question answered, spread over the demo's sites."""
    from assessments.content import instrument_content
    from assessments.models import Answer, Assessment, Instrument, Site

    sites = list(Site.objects.select_related("organisation"))
    instruments = {i.slug: i for i in Instrument.objects.filter(organisation=None)}
    batch: list[Answer] = []
    for number in range(count):
        site = sites[number % len(sites)]
        slug = "mental-health-ai" if site.kind == Site.Kind.MENTAL_HEALTH else "clinical-ai"
        instrument = instruments[slug]
        assessment = Assessment.objects.create(
            site=site,
            instrument=instrument,
            round_label=f"Bench round {number + 1}",
            round_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=number % 600),
        )
        for question in instrument_content(instrument).questions:
            values = [o["value"] for o in question.options] or ["Free text answer"]
            batch.append(Answer(assessment=assessment, question=question, value=rng.choice(values)))
        if len(batch) > 5000:
            Answer.objects.bulk_create(batch)
            batch = []
    Answer.objects.bulk_create(batch)


@dataclass
class Target:
    assessment_id: int
    domain_key: str
    questions: int
    label: str


def choose_target() -> Target:
    """The demo's draft assessment and its domain with the most questions."""
    from assessments.content import instrument_content
    from assessments.models import Assessment

    assessment = (
        Assessment.objects.filter(status=Assessment.Status.DRAFT)
        .select_related("site", "instrument")
        .order_by("pk")
        .first()
    )
    if assessment is None:
        raise SystemExit("bench/pages.py: the demo has no draft assessment to edit")
    content = instrument_content(assessment.instrument)
    domain = max(content.domains, key=lambda d: len(content.questions_of(d.key)))
    return Target(
        assessment_id=assessment.pk,
        domain_key=domain.key,
        questions=len(content.questions_of(domain.key)),
        label=f"{assessment.site.name}, {assessment.round_label}",
    )


def form_data(target: Target) -> dict[str, str]:
    """The domain's form as a browser would post it, from the answers now stored."""
    from assessments.content import instrument_content
    from assessments.forms import QuestionnaireForm
    from assessments.models import Answer, Assessment

    assessment = Assessment.objects.select_related("instrument").get(pk=target.assessment_id)
    questions = instrument_content(assessment.instrument).questions_of(target.domain_key)
    answers = {a.question_id: a for a in Answer.objects.filter(assessment=assessment)}
    form = QuestionnaireForm(questions=questions, answers=answers)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or (value == "" and name in {q.key for q in questions}):
            continue  # an unchecked radio group is not sent
        data[name] = str(value)
    return data


def flip(question_options: list[str], current: str) -> str:
    """Another option than the current one, so that the save writes."""
    others = [value for value in question_options if value != current]
    return others[0]


# --- main ------------------------------------------------------------------------------------


def run(args: argparse.Namespace, database_url: str, workdir: Path) -> str:
    configure_django(database_url, workdir)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from assessments import demo
    from assessments.content import instrument_content
    from assessments.models import Answer, Assessment

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    demo.seed_demo()
    if args.assessments:
        add_assessments(args.assessments, random.Random(7))
    install_bare_page()
    setup_seconds = time.monotonic() - started

    user = get_user_model().objects.get(username=demo.ADMIN)
    client = Client()
    client.force_login(user)
    # An organisation admin must use a second factor (MFA_REQUIRED_ROLES): sign in as one who
    # gave a code, so that every request pays what it pays in production (OTPMiddleware).
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    target = choose_target()
    assessment = Assessment.objects.select_related("site__organisation", "instrument").get(
        pk=target.assessment_id
    )
    slug = assessment.site.organisation.slug
    page_url = f"/a/{assessment.pk}/d/{target.domain_key}/"
    questions = instrument_content(assessment.instrument).questions_of(target.domain_key)
    changed = next(q for q in questions if q.type == "scale" and not q.show_if_question)
    options = [o["value"] for o in changed.options]

    def get(url: str) -> Callable[[], Any]:
        def request() -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"bench/pages.py: GET {url} answered {response.status_code}")
            return response

        return request

    # The posted form is rebuilt from the database before each save (outside the timer), so
    # its revisions and fingerprints are current, as on a page the person just loaded.
    posted: dict[str, str] = {}
    saves = 0

    def prepare_save() -> None:
        posted.clear()
        posted.update(form_data(target))
        posted[changed.key] = flip(options, posted.get(changed.key, ""))

    def prepare_autosave() -> None:
        prepare_save()
        mine = {changed.key, *(f"{changed.key}--{part}" for part in PARTS)}
        for name in list(posted):
            if name not in mine:
                del posted[name]

    def post(expected: int, headers: dict[str, str]) -> Callable[[], Any]:
        def request() -> Any:
            nonlocal saves
            response = client.post(page_url, posted, headers=headers)
            if response.status_code != expected:
                raise SystemExit(f"bench/pages.py: a save answered {response.status_code}")
            saves += 1
            return response

        return request

    clock = Clock(args.max_seconds)
    kinds = [
        Kind("bare", get(f"/__bench__/{slug}/")),
        Kind("page", get(page_url)),
        Kind("save", post(302, {}), prepare_save),
        Kind("autosave", post(200, {"X-Autosave": "1"}), prepare_autosave),
        Kind("dashboard", get(f"/o/{slug}/")),
    ]
    results = measure(kinds, args.runs, clock)
    revision = Answer.objects.get(assessment=assessment, question=changed).revision
    answers = Answer.objects.count()
    vendor = connection.vendor
    return report(args, results, target, setup_seconds, clock, vendor, saves, revision, answers)


def report(
    args: argparse.Namespace,
    results: dict[str, Measure],
    target: Target,
    setup_seconds: float,
    clock: Clock,
    vendor: str,
    saves: int,
    revision: int,
    answers: int,
) -> str:
    import django

    page, save, bare = results["page"], results["save"], results["bare"]
    ratio = page.median_ms / bare.median_ms
    lines = [
        f"bench/pages.py on {vendor} (throw-away database), Python {sys.version.split()[0]}, "
        f"Django {django.get_version()}, {os.cpu_count()} CPUs",
        f"data: demo + {args.assessments} extra assessments ({answers} answers), set up in "
        f"{setup_seconds:.1f} s",
        f"page: {target.label}, domain '{target.domain_key}' ({target.questions} questions); "
        f"{saves} saves written, the changed answer is at revision {revision}",
        "",
        f"  {'':<11} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'req/s':>8} {'queries':>8}",
        f"  {'':<11} {'ms':>8} {'ms':>8} {'ms':>8} {'ms':>8} {'':>8} {'':>8}",
    ]
    lines += [measure.row() for measure in results.values()]
    if clock.cut_short:
        lines.append(f"  (stopped early after --max-seconds {args.max_seconds:g})")
    # One client in the process: the questions one worker serves per second (1000 / median).
    questions_per_second = target.questions * 1000 / page.median_ms
    checks = [
        ("page queries", page.queries, TARGETS["page_queries"]),
        ("save queries", save.queries, TARGETS["save_queries"]),
        ("page/bare median", round(ratio, 2), TARGETS["ratio"]),
    ]
    lines.append("")
    for label, value, limit in checks:
        verdict = "ok" if value <= limit else "OVER TARGET"
        lines.append(f"  {label}: {value} (target <= {limit}) {verdict}")
    floor = TARGETS["questions_per_second"]
    lines.append(
        f"  questions per second (one worker): {questions_per_second:.0f} (target >= {floor}) "
        f"{'ok' if questions_per_second >= floor else 'UNDER TARGET'}"
    )
    one_transaction = save.log.transactions == 1 and save.log.writes_outside == 0
    lines.append(
        f"  save transactions: {save.log.transactions}, writes outside one: "
        f"{save.log.writes_outside} (target: one transaction) "
        f"{'ok' if one_transaction else 'NOT ONE TRANSACTION'}"
    )
    steady = all(len(set(m.query_counts)) == 1 for m in results.values())
    lines.append(f"  query counts identical across repeated requests: {'yes' if steady else 'no'}")
    if args.show_queries:
        for measure in (page, save):
            lines.append(f"\nSQL of one {measure.name} request:")
            lines += [
                f"  {number}. {sql[:300]}" for number, (sql, _) in enumerate(measure.log.entries, 1)
            ]
    lines.append("")
    lines.append(
        f"pages: page_median_ms={page.median_ms:.1f} save_median_ms={save.median_ms:.1f} "
        f"page_queries={page.queries} save_queries={save.queries} "
        f"bare_median_ms={bare.median_ms:.1f} ratio={ratio:.2f} "
        f"questions_per_second={questions_per_second:.0f} "
        f"extra_assessments={args.assessments} runs={len(page.times)} db={vendor}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    try:
        with throwaway_database(workdir) as database_url:
            print(run(args, database_url, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
