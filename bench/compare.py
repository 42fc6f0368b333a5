#!/usr/bin/env python
"""Benchmark: the comparison page and its CSV export at many sites (see BENCHMARKS.md).

    .venv/bin/python bench/compare.py                 # 1,000 sites, two rounds each, SQLite
    .venv/bin/python bench/compare.py --sites 10000
    DATABASE_URL=postgres://… .venv/bin/python bench/compare.py --sites 10000

It makes a throw-away database (a SQLite file in a temporary directory, or a "test_" database
next to the one DATABASE_URL names), fills it with stored results directly (bulk_create of
assessments and domain results: no questionnaire is needed to compare), then times several
runs of the page and of the CSV, each next to the baseline the issue names: fetching the same
rows and pivoting them with pandas alone. Everything is removed at the end. The last line is
a one-line summary. Targets: page under 1 s at 1,000 sites and under 3 s at 10,000, and at
most 3x the baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _configure(tmp: Path) -> bool:
    """Environment for settings.py before Django starts; True when PostgreSQL is used."""
    postgres = bool(os.environ.get("DATABASE_URL", "").startswith("postgres"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "readiness.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["STATIC_MANIFEST"] = "0"
    os.environ["CACHE_DIR"] = str(tmp / "cache")
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # The bench user is an org admin, whom a second factor would stop at its prompt.
    os.environ["MFA_REQUIRED_ROLES"] = ""
    return postgres


def _timed(function: Callable[[], Any], runs: int, deadline: float) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        if time.perf_counter() > deadline and len(times) >= 2:
            break
    return times


def _fmt(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s, spread {min(times):.3f}–{max(times):.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each measurement")
    parser.add_argument("--seconds", type=int, default=300, help="stop timing runs after this")
    args = parser.parse_args()
    if args.sites < 1 or args.rounds < 1 or args.runs < 1:
        parser.error("--sites, --rounds and --runs must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    postgres = _configure(tmp)
    import django

    django.setup()
    from django.db import connection

    if not postgres:
        # A file, not SQLite's in-memory test database: closer to how the app runs.
        connection.settings_dict["TEST"]["NAME"] = str(tmp / "bench-test.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return _run(args, postgres)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)


def _populate(sites: int, rounds: int) -> tuple[Any, Any]:
    """An organisation with `sites` sites, each with `rounds` submitted rounds (stored results)."""
    import datetime
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from assessments.content import instrument_content
    from assessments.instrument_loading import load_all
    from assessments.models import (
        Assessment,
        DomainResult,
        Instrument,
        Membership,
        Organisation,
        Site,
        round_key,
    )
    from assessments.scoring import VERDICT_NOT_READY, VERDICT_READY, level_for

    load_all()
    instrument = Instrument.objects.get(slug="clinical-ai", version="1.0")
    domains = instrument_content(instrument).domains
    organisation = Organisation.objects.create(name="Bench Health", slug="bench-health")
    user = get_user_model().objects.create_user("bench", password="bench-Secret-123")
    Membership.objects.create(user=user, organisation=organisation, role="org_admin")
    kinds = [k for k, _ in Site.Kind.choices]
    site_rows = Site.objects.bulk_create(
        [
            Site(organisation=organisation, name=f"Site {n:05d}", kind=kinds[n % len(kinds)])
            for n in range(sites)
        ],
        batch_size=2000,
    )
    rng = random.Random(20260301)
    labels = [f"{2020 + r // 2} {'spring' if r % 2 == 0 else 'autumn'}" for r in range(rounds)]
    for r, label in enumerate(labels):
        date = datetime.date(2020 + r // 2, 3 if r % 2 == 0 else 10, 1)
        scores = {}
        assessments = []
        for site in site_rows:
            strength = rng.uniform(10, 85) + 4 * r
            domain_scores = [
                round(min(100.0, max(0.0, rng.gauss(strength, 12))), 1) for _ in domains
            ]
            overall = Decimal(str(round(sum(domain_scores) / len(domain_scores), 1)))
            level = level_for(overall)
            scores[site.pk] = domain_scores
            assessments.append(
                Assessment(
                    site=site,
                    instrument=instrument,
                    # bulk_create skips save(), which derives these for the unique round.
                    instrument_slug=instrument.slug,
                    round_label=label,
                    round_key=round_key(label),
                    round_date=date,
                    status=Assessment.Status.SUBMITTED,
                    result_score=overall,
                    result_level=level,
                    result_verdict=VERDICT_READY if (level or 0) >= 4 else VERDICT_NOT_READY,
                    result_provisional=rng.random() < 0.1,
                    result_completeness=Decimal("100.0"),
                )
            )
        created = Assessment.objects.bulk_create(assessments, batch_size=2000)
        results = []
        for assessment in created:
            for order, (domain, score) in enumerate(
                zip(domains, scores[assessment.site_id], strict=True)
            ):
                value = Decimal(str(score))
                blockers = ["x.q01"] if rng.random() < 0.03 else []
                results.append(
                    DomainResult(
                        assessment=assessment,
                        domain_key=domain.key,
                        order=order,
                        score=value,
                        level=min(2, level_for(value) or 1) if blockers else level_for(value),
                        completeness=Decimal("100.0"),
                        target=Decimal("60.0"),
                        gap=max(Decimal(0), Decimal(60) - value),
                        blockers=blockers,
                    )
                )
        DomainResult.objects.bulk_create(results, batch_size=5000)
    return organisation, user


def _baseline(organisation: Any, *, latest_only: bool) -> int:
    """The same rows fetched plainly and pivoted with pandas alone: what the page must beat."""
    import pandas as pd

    from assessments.models import Assessment, DomainResult

    rows = list(
        Assessment.objects.filter(site__organisation=organisation, status="submitted").values_list(
            "id",
            "site_id",
            "site__name",
            "round_label",
            "round_date",
            "result_score",
            "result_level",
            "result_verdict",
        )
    )
    frame = pd.DataFrame(
        rows, columns=["id", "site_id", "site", "round", "date", "score", "level", "verdict"]
    )
    if latest_only:
        frame = frame.sort_values(["date", "id"]).drop_duplicates("site_id", keep="last")
    domain_rows = list(
        DomainResult.objects.filter(
            assessment_id__in=Assessment.objects.filter(
                site__organisation=organisation, status="submitted"
            ).values("pk")
        ).values_list("assessment_id", "domain_key", "score")
    )
    domains = pd.DataFrame(domain_rows, columns=["id", "domain", "score"])
    if latest_only:
        domains = domains[domains["id"].isin(frame["id"])]
    pivot = domains.pivot(index="id", columns="domain", values="score")
    table = frame.join(pivot, on="id")
    if not latest_only:
        table.to_csv(index=False)
    return len(table)


def _run(args: argparse.Namespace, postgres: bool) -> int:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    started = time.perf_counter()
    organisation, user = _populate(args.sites, args.rounds)
    print(
        f"populated {args.sites} sites x {args.rounds} rounds in "
        f"{time.perf_counter() - started:.1f} s ({'PostgreSQL' if postgres else 'SQLite'}, "
        f"{os.cpu_count()} cores)"
    )
    client = Client()
    client.force_login(user)
    page_url = reverse("reports:compare", args=[organisation.slug])
    csv_url = reverse("reports:compare-csv", args=[organisation.slug])

    def page() -> None:
        response = client.get(page_url)
        assert response.status_code == 200, response.status_code

    def export() -> None:
        response = client.get(csv_url)
        assert response.status_code == 200, response.status_code
        lines = response.content.count(b"\n")
        assert lines == args.sites * args.rounds + 1, lines

    # Warm up: templates, imports and plotly's first figure are one-off costs.
    page()
    export()
    with CaptureQueriesContext(connection) as queries:
        page()
    csv_queries = CaptureQueriesContext(connection)
    with csv_queries:
        export()
    page_queries, export_queries = len(queries.captured_queries), len(csv_queries.captured_queries)
    reset_queries()

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        for name, function in (("page", page), ("csv", export)):
            profiler = cProfile.Profile()
            profiler.runcall(function)
            print(f"--- profile of the {name}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    deadline = time.perf_counter() + args.seconds
    baseline_page = _timed(lambda: _baseline(organisation, latest_only=True), args.runs, deadline)
    page_times = _timed(page, args.runs, deadline)
    baseline_csv = _timed(lambda: _baseline(organisation, latest_only=False), args.runs, deadline)
    csv_times = _timed(export, args.runs, deadline)

    page_median = statistics.median(page_times)
    csv_median = statistics.median(csv_times)
    page_ratio = page_median / statistics.median(baseline_page)
    csv_ratio = csv_median / statistics.median(baseline_csv)
    target = 1.0 if args.sites <= 1000 else 3.0
    print(f"page      {_fmt(page_times)} ({page_queries} queries)")
    print(
        f"  baseline (fetch + pandas pivot, latest rounds) {_fmt(baseline_page)}; "
        f"ratio {page_ratio:.2f}"
    )
    print(f"csv       {_fmt(csv_times)} ({export_queries} queries)")
    print(
        f"  baseline (fetch + pandas pivot + to_csv, all rounds) {_fmt(baseline_csv)}; "
        f"ratio {csv_ratio:.2f}"
    )
    ok = page_median < target
    print(f"target: page under {target:.0f} s: {'met' if ok else 'NOT met'}")
    print(
        f"compare: sites={args.sites} rounds={args.rounds} db={'postgresql' if postgres else 'sqlite'}"
        f" cores={os.cpu_count()} page_median_s={page_median:.3f}"
        f" page_spread_s={min(page_times):.3f}-{max(page_times):.3f}"
        f" csv_median_s={csv_median:.3f} baseline_page_s={statistics.median(baseline_page):.3f}"
        f" baseline_csv_s={statistics.median(baseline_csv):.3f} page_ratio={page_ratio:.2f}"
        f" csv_ratio={csv_ratio:.2f} queries={page_queries}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
