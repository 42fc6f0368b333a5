"""What keeps a Celery worker small (issue 13: under 400 MB each, its Chromium included).

bench/batch.py measures the memory itself; these tests guard the choices that got it there
against an innocent-looking import or a refactoring that would undo them.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.celery import _freeze_before_fork
from reports import chart_svg, comparison

ROOT = Path(__file__).resolve().parent.parent.parent

# What a worker's parent process does before it forks its pool: Django's setup, then the task
# modules (readiness/celery.py turns Celery's system checks off).
WORKER_START = """
import sys
import django
django.setup()
from readiness.celery import app
app.loader.import_default_modules()
heavy = ("pandas", "numpy", "weasyprint", "openpyxl", "readiness.urls")
print(",".join(name for name in heavy if name in sys.modules))
"""


def _heavy_modules_loaded(script: str) -> list[str]:
    """The heavy modules `script` (which prints them, comma-separated) found loaded, run in a
    fresh Python with the production settings."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "readiness.settings"}
    env.pop("CELERY_SKIP_CHECKS", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-1:]
    return [name for name in (last[0].split(",") if last else []) if name]


def test_a_worker_starts_without_pandas_weasyprint_or_the_views():
    assert _heavy_modules_loaded(WORKER_START) == []


# What a web process (and every management command's system checks) loads: all URLs, so all
# views. pandas, WeasyPrint and openpyxl (with numpy) come only with the first comparison, PDF or
# workbook.
WEB_START = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
heavy = ("pandas", "weasyprint", "openpyxl", "numpy")
print(",".join(name for name in heavy if name in sys.modules))
"""


def test_the_views_load_without_pandas_weasyprint_or_openpyxl():
    assert _heavy_modules_loaded(WEB_START) == []


def test_comparison_names_that_need_pandas_are_loaded_on_first_use():
    from reports.comparison.ranking import compare_sites
    from reports.comparison.standing import site_standing

    assert comparison.compare_sites is compare_sites
    assert comparison.site_standing is site_standing
    assert comparison.neutralise("=1+1") == "'=1+1"
    with pytest.raises(AttributeError, match="no attribute 'compare_everything'"):
        _ = comparison.compare_everything  # type: ignore[attr-defined]


def test_the_parent_freezes_its_objects_before_forking():
    try:
        _freeze_before_fork()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_kaleido_starts_chromium_with_the_lean_flags(tmp_path):
    from choreographer.channels import Pipe

    # Any executable file does: the command line is built, never run.
    browser = chart_svg._lean_chromium()(Pipe(), path=sys.executable, tmp_dir=str(tmp_path))
    browser.pre_open()
    cli = browser.get_cli()
    assert cli[-len(chart_svg.CHROMIUM_FLAGS) :] == list(chart_svg.CHROMIUM_FLAGS)
    assert "--remote-debugging-pipe" in cli  # choreographer's own flags are kept
