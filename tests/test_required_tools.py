"""A tool the tests need (Chromium, poppler) may be missing locally, never in CI."""

from __future__ import annotations

import pytest

from tests.conftest import required


def test_a_missing_tool_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is needed"):
        required(None, "chromium is needed")


def test_a_missing_tool_skips_on_a_developer_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is needed"):
        required(None, "chromium is needed")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        required(None, "chromium is needed")


def test_a_present_tool_is_its_path(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert required("/usr/bin/chromium", "unused") == "/usr/bin/chromium"
