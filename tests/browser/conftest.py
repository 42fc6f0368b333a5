"""Playwright driving Debian's Chromium against the live test server.

Chromium is found as the PDF charts find it (CHROMIUM_PATH, else PATH; Debian's
chromium-headless-shell first, the headless-only build Playwright itself uses for headless
runs). Without it these tests skip on a developer machine and FAIL in CI (CI=true), where a
missing browser must never pass unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from reports import chart_svg
from tests.conftest import required

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = required(
        chart_svg.find_chromium(),
        "No Chromium found (apt-get install chromium-headless-shell or chromium, or set "
        "CHROMIUM_PATH): browser tests cannot run",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def log_in(page: Any, username: str, password: str = "pw-Secret-123") -> None:
    page.goto("/login/")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
