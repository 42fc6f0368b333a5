"""Arrowing through a radio group saves once, when the choice settles (issue 11, item 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, AuditEntry
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _count_autosaves(page) -> list[str]:
    saves: list[str] = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and request.headers.get("x-autosave") == "1"
            and _remember(saves, request.url)
        ),
    )
    return saves


def _answers(assessment: Assessment) -> dict[str, str]:
    return dict(assessment.answers.values_list("question__key", "value"))


def test_three_arrow_presses_save_once_after_a_second(page, world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    saves = _count_autosaves(page)
    page.locator("#gov\\.q03-opt-1").focus()  # "0 Not started", not chosen yet
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # native: moves focus and chooses the option
    # Native behaviour kept: the third option after the first is chosen and has focus.
    expect(page.locator("#gov\\.q03-opt-4")).to_be_checked()
    expect(page.locator("#gov\\.q03-opt-4")).to_be_focused()
    expect(page.locator("#save-status")).to_contain_text("All changes saved", timeout=5000)
    page.wait_for_timeout(1500)  # no late saves either
    assert len(saves) == 1
    assert _answers(assessment) == {"gov.q03": "3"}
    assert AuditEntry.objects.filter(assessment=assessment, action="answer").count() == 1
    assert page.console_errors == []


def test_leaving_the_group_saves_the_settled_choice_at_once(page, world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    saves = _count_autosaves(page)
    page.locator("#gov\\.q03-opt-1").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    with page.expect_request(lambda r: r.headers.get("x-autosave") == "1", timeout=900):
        page.keyboard.press("Tab")  # focus leaves the group: no second to wait
    expect(page.locator("#save-status")).to_contain_text("All changes saved")
    page.wait_for_timeout(1500)
    assert len(saves) == 1
    assert _answers(assessment) == {"gov.q03": "1"}


def _remember(saves: list[str], url: str) -> bool:
    saves.append(url)
    return True
