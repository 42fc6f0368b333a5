"""manage.py check warns when PDF charts cannot be drawn (no Chromium)."""

from __future__ import annotations

from reports import chart_svg
from reports.checks import check_chromium


def test_it_warns_without_a_browser(monkeypatch):
    monkeypatch.setattr("reports.checks.find_chromium", lambda: None)
    (warning,) = check_chromium()
    assert warning.id == "reports.W001"
    assert "CHROMIUM_PATH" in warning.hint


def test_it_is_quiet_with_a_browser(monkeypatch):
    monkeypatch.setattr("reports.checks.find_chromium", lambda: "/usr/bin/chromium")
    assert check_chromium() == []


def test_the_check_is_registered(monkeypatch):
    from django.core import checks

    monkeypatch.setattr("reports.checks.find_chromium", lambda: None)
    messages = checks.run_checks()
    assert "reports.W001" in [m.id for m in messages]


def test_the_real_finder_agrees_with_the_check():
    assert (chart_svg.find_chromium() is None) == bool(check_chromium())
