#!/usr/bin/env python
"""Benchmark: Lighthouse (mobile preset) on the main pages, signed in as the demo's people.

Run it from the repository root after `make test` has built the venv; it needs node, npm and
a Chromium (CHROME_PATH, else `chromium` on PATH):

    .venv/bin/python bench/lighthouse.py [--runs 3] [--pages results,report]

It installs npm's lighthouse into bench/lighthouse/node_modules on first use (`npm ci`, the
version bench/lighthouse/package-lock.json pins), builds a throw-away database (SQLite in a
temporary folder, or a fresh PostgreSQL database when DATABASE_URL names a server), migrates
it, seeds the demo, runs collectstatic (manifest and pre-compressed files, as in production)
and serves it with gunicorn on a free port with production settings (DEBUG off; plain HTTP).

Each page is measured by the demo person who uses it (a session made with Django's own
login, passed to lighthouse as a Cookie header): the dashboard, a questionnaire domain page
and the assessment page by the site admin, results, gap report and comparison by the
consultant, the history by the organisation admin. The demo's people sign in without a
second factor here (MFA_REQUIRED_ROLES is emptied): the two-factor pages are not measured.

Each page runs RUNS times; the table shows medians of the scores (performance, accessibility,
best practices, 0-100) and of total blocking time, time to interactive, largest contentful
paint (ms) and the page's JavaScript (KB transferred), then every audit that kept an
accessibility or best-practices score below 100. Targets: performance >= 95, accessibility
100, best practices 100, TBT < 200 ms. The last line is the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
LIGHTHOUSE_DIR = BENCH / "lighthouse"
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "tbt_ms": 200}
PAGES = ("dashboard", "questionnaire", "assessment", "results", "report", "comparison", "history")
CATEGORIES = ("performance", "accessibility", "best-practices")

sys.path.insert(0, str(BENCH))
from load import gunicorn  # noqa: E402  (bench/load.py: gunicorn on a free port)
from pages import throwaway_database  # noqa: E402  (bench/pages.py: SQLite or PostgreSQL)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="lighthouse runs of each page")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help=f"comma-separated, of: {', '.join(PAGES)}"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--keep-reports", type=Path, help="save each run's lighthouse JSON in this folder"
    )
    args = parser.parse_args(argv)
    args.pages = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = set(args.pages) - set(PAGES)
    if unknown or not args.pages or args.runs < 1:
        parser.error(f"--pages takes names of {', '.join(PAGES)}; --runs at least 1")
    return args


# --- tools -------------------------------------------------------------------------------------


def lighthouse_binary() -> Path:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        sys.exit("bench/lighthouse.py needs npm (and node) to install lighthouse")
    print("installing lighthouse with npm ci into bench/lighthouse/ ...", flush=True)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=LIGHTHOUSE_DIR,
        check=True,
    )
    return binary


def chrome_path() -> str:
    found = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not found:
        sys.exit("bench/lighthouse.py needs a Chromium: set CHROME_PATH or put chromium on PATH")
    return found


# --- the site ----------------------------------------------------------------------------------


def production_env(database_url: str, workdir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "readiness.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "CACHE_DIR": str(workdir / "cache"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        # The demo's people sign in without a second factor: the 2FA pages are not measured.
        "MFA_REQUIRED_ROLES": "",
    }


@dataclass
class PageToVisit:
    name: str
    path: str
    username: str
    cookie: str = ""


def prepare_site() -> list[PageToVisit]:
    """Migrate, seed the demo, collect static files; the pages with their demo people."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.urls import reverse

    from assessments import demo
    from assessments.content import instrument_content
    from assessments.models import Assessment, Membership

    call_command("migrate", verbosity=0, interactive=False)
    demo.seed_demo()
    call_command("collectstatic", interactive=False, verbosity=0)

    users = get_user_model().objects
    site_admin = users.get(username=demo.SITE_ADMIN)
    membership = Membership.objects.select_related("organisation").get(
        user=site_admin, role=Membership.Role.SITE_ADMIN
    )
    organisation = membership.organisation
    own_sites = membership.sites.all()
    draft = (
        Assessment.objects.filter(site__in=own_sites, status=Assessment.Status.DRAFT)
        .select_related("instrument")
        .order_by("pk")
        .first()
    )
    submitted = (
        Assessment.objects.filter(
            site__organisation=organisation, status=Assessment.Status.SUBMITTED
        )
        .order_by("-round_date", "pk")
        .first()
    )
    if draft is None or submitted is None:
        sys.exit("bench/lighthouse.py: the demo needs a draft of the site admin's and a report")
    content = instrument_content(draft.instrument)
    domain = max(content.domains, key=lambda d: len(content.questions_of(d.key)))
    return [
        PageToVisit(
            "dashboard", reverse("assessments:organisation", args=[organisation.slug]), demo.ADMIN
        ),
        PageToVisit(
            "questionnaire",
            reverse("assessments:domain", args=[draft.pk, domain.key]),
            demo.SITE_ADMIN,
        ),
        PageToVisit("assessment", reverse("assessments:detail", args=[draft.pk]), demo.SITE_ADMIN),
        PageToVisit("results", reverse("reports:results", args=[submitted.pk]), demo.CONSULTANT),
        PageToVisit("report", reverse("reports:gap-report", args=[submitted.pk]), demo.CONSULTANT),
        PageToVisit(
            "comparison", reverse("reports:compare", args=[organisation.slug]), demo.CONSULTANT
        ),
        PageToVisit("history", reverse("assessments:history", args=[draft.pk]), demo.ADMIN),
    ]


def sign_in(pages: list[PageToVisit]) -> None:
    """A real session for each page's person (Django's login), checked to open the page."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    clients: dict[str, Client] = {}
    for page in pages:
        client = clients.get(page.username)
        if client is None:
            client = Client(SERVER_NAME="127.0.0.1")
            client.force_login(get_user_model().objects.get(username=page.username))
            clients[page.username] = client
        response = client.get(page.path)
        if response.status_code != 200:
            sys.exit(
                f"bench/lighthouse.py: {page.username} gets {response.status_code} on {page.path}"
            )
        page.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )


# --- lighthouse --------------------------------------------------------------------------------


@dataclass
class Run:
    scores: dict[str, float]
    tbt_ms: float
    tti_ms: float
    lcp_ms: float
    script_kb: float
    final_url: str
    below: dict[str, str] = field(default_factory=dict)  # audit id -> title


def run_lighthouse(binary: Path, chrome: str, url: str, cookie: str, out: Path) -> Run:
    command = [
        str(binary),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox",
        "--extra-headers=" + json.dumps({"Cookie": cookie}),
    ]
    # On a busy machine Chromium now and then records no trace (NO_NAVSTART): try again.
    for attempt in range(1, 4):
        out.unlink(missing_ok=True)
        result = subprocess.run(
            command,
            env={**os.environ, "CHROME_PATH": chrome},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode == 0 and out.exists():
            break
        print(f"  lighthouse failed on {url} (attempt {attempt}); trying again", flush=True)
    else:
        sys.exit(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")
    report = json.loads(out.read_text())
    audits = report["audits"]
    below = {}
    for name in ("accessibility", "best-practices"):
        for ref in report["categories"][name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
                below[ref["id"]] = f"{name}: {audit['title']}"
    scripts = [
        item
        for item in audits["network-requests"]["details"]["items"]
        if item.get("resourceType") == "Script"
    ]
    return Run(
        scores={name: report["categories"][name]["score"] * 100 for name in CATEGORIES},
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        tti_ms=audits["interactive"].get("numericValue") or float("nan"),
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        script_kb=sum(item.get("transferSize", 0) for item in scripts) / 1024,
        final_url=report.get("finalDisplayedUrl") or report.get("finalUrl", ""),
        below=below,
    )


@dataclass
class PageResult:
    page: PageToVisit
    runs: list[Run]

    def median(self, pick: Any) -> float:
        return statistics.median(pick(run) for run in self.runs)

    @property
    def ok(self) -> bool:
        return (
            self.median(lambda r: r.scores["performance"]) >= TARGETS["performance"]
            and self.median(lambda r: r.scores["accessibility"]) >= TARGETS["accessibility"]
            and self.median(lambda r: r.scores["best-practices"]) >= TARGETS["best-practices"]
            and self.median(lambda r: r.tbt_ms) < TARGETS["tbt_ms"]
        )


def report(results: list[PageResult], args: argparse.Namespace, chrome: str) -> str:
    version = subprocess.run(
        [str(lighthouse_binary()), "--version"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"bench/lighthouse.py: lighthouse {version} (mobile preset), {chrome}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"medians of {args.runs} run(s)",
        "",
        f"  {'page':<14} {'perf':>5} {'a11y':>5} {'bp':>5} {'TBT ms':>7} {'TTI ms':>7} "
        f"{'LCP ms':>7} {'JS KB':>6} {'perf min-max':>13}  verdict",
    ]
    for result in results:
        perf = [run.scores["performance"] for run in result.runs]
        lines.append(
            f"  {result.page.name:<14} "
            f"{result.median(lambda r: r.scores['performance']):5.0f} "
            f"{result.median(lambda r: r.scores['accessibility']):5.0f} "
            f"{result.median(lambda r: r.scores['best-practices']):5.0f} "
            f"{result.median(lambda r: r.tbt_ms):7.0f} {result.median(lambda r: r.tti_ms):7.0f} "
            f"{result.median(lambda r: r.lcp_ms):7.0f} {result.median(lambda r: r.script_kb):6.0f} "
            f"{min(perf):6.0f}-{max(perf):<6.0f}  {'ok' if result.ok else 'BELOW TARGET'}"
        )
    below = {
        (result.page.name, audit, title)
        for result in results
        for run in result.runs
        for audit, title in run.below.items()
    }
    if below:
        lines.append("")
        lines.append("audits below 100:")
        lines += [f"  {page}: {audit} ({title})" for page, audit, title in sorted(below)]
    passed = sum(result.ok for result in results)
    worst = min(results, key=lambda r: r.median(lambda x: x.scores["performance"]))
    lines.append("")
    lines.append(
        f"lighthouse: {'PASS' if passed == len(results) else 'FAIL'} pages_ok={passed}/"
        f"{len(results)} worst_performance={worst.median(lambda r: r.scores['performance']):.0f}"
        f"({worst.page.name}) max_tbt_ms="
        f"{max(result.median(lambda r: r.tbt_ms) for result in results):.0f} "
        f"min_accessibility="
        f"{min(result.median(lambda r: r.scores['accessibility']) for result in results):.0f} "
        f"min_best_practices="
        f"{min(result.median(lambda r: r.scores['best-practices']) for result in results):.0f} "
        f"runs={args.runs}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    binary = lighthouse_binary()
    chrome = chrome_path()
    workdir = Path(tempfile.mkdtemp(prefix="readiness-lighthouse-"))
    try:
        with throwaway_database(workdir) as database_url:
            env = production_env(database_url, workdir)
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            started = time.monotonic()
            pages = [page for page in prepare_site() if page.name in args.pages]
            sign_in(pages)
            from django.db import connections

            connections.close_all()
            print(f"setup: {time.monotonic() - started:.1f} s", flush=True)
            results = []
            with gunicorn(env, args.workers, workdir) as (host, _pid):
                for page in pages:
                    runs = []
                    for number in range(args.runs):
                        out = workdir / f"{page.name}-{number}.json"
                        run = run_lighthouse(binary, chrome, host + page.path, page.cookie, out)
                        if not run.final_url.endswith(page.path):
                            sys.exit(f"{page.name}: lighthouse ended on {run.final_url}")
                        if args.keep_reports:
                            args.keep_reports.mkdir(parents=True, exist_ok=True)
                            shutil.copy(out, args.keep_reports / out.name)
                        runs.append(run)
                        print(
                            f"  {page.name} run {number + 1}: performance "
                            f"{run.scores['performance']:.0f}, TBT {run.tbt_ms:.0f} ms",
                            flush=True,
                        )
                    results.append(PageResult(page, runs))
            print(report(results, args, chrome))
            return 0 if all(result.ok for result in results) else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
