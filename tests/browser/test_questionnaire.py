"""A person fills out an assessment in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, AuditEntry
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answers(assessment: Assessment) -> dict[str, str]:
    return dict(assessment.answers.values_list("question__key", "value"))


def _wait_saved(page) -> None:
    expect(page.locator("#save-status")).to_contain_text("All changes saved")


def test_fill_two_domains_reload_resume_follow_up_and_submit(page, world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    expect(page.get_by_role("heading", name="Northside Health")).to_be_visible()

    page.goto(f"/a/{assessment.pk}/take/")
    expect(page.get_by_role("heading", name="Governance")).to_be_visible()

    # The follow-up appears when its trigger is answered "Yes", and hides again on "No".
    follow_up = page.locator("#q-gov\\.q02")
    expect(follow_up).to_be_hidden()
    page.locator("#q-gov\\.q01").get_by_text("Yes", exact=True).click()
    expect(follow_up).to_be_visible()
    _wait_saved(page)
    page.locator("#q-gov\\.q01").get_by_text("No", exact=True).click()
    expect(follow_up).to_be_hidden()
    page.locator("#q-gov\\.q01").get_by_text("Yes", exact=True).click()
    expect(follow_up).to_be_visible()
    follow_up.get_by_text("Yes", exact=True).click()
    _wait_saved(page)

    # A comment is autosaved after typing, without pressing Save.
    card = page.locator("#q-gov\\.q03")
    card.get_by_text("Largely in place").click()
    card.locator("summary").click()
    card.get_by_label("Comment").fill("Committee meets monthly since May")
    card.get_by_label("Comment").blur()
    _wait_saved(page)
    # The counter counts the free-text question too (issue 11, item 8): gov.q04 is open.
    expect(page.locator('[data-domain="gov"] [data-count]')).to_have_text("3/4")

    # Reloading keeps everything: nothing was lost with the tab.
    page.reload()
    expect(page.locator("#q-gov\\.q03 input[type=radio][value='3']")).to_be_checked()
    expect(page.locator("#q-gov\\.q03").get_by_label("Comment")).to_have_value(
        "Committee meets monthly since May"
    )
    assert _answers(assessment) == {"gov.q01": "yes", "gov.q02": "yes", "gov.q03": "3"}

    # Second domain, then leave; resuming opens it again.
    page.get_by_role("button", name="Save and continue to Operations").click()
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    page.locator("#q-ops\\.q01").get_by_text("Always").click()
    _wait_saved(page)
    page.goto("/")
    page.goto(f"/a/{assessment.pk}/take/")
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    page.locator("#q-ops\\.q02").get_by_text("Partially in place").click()
    _wait_saved(page)

    # Submit: confirmation first, then read-only.
    page.get_by_role("button", name="Save and review submission").click()
    expect(page.get_by_role("heading", name="Submit the assessment")).to_be_visible()
    page.get_by_label("I have reviewed the answers").check()
    page.get_by_role("button", name="Submit assessment").click()
    expect(page.get_by_text("submitted and read-only")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert _answers(assessment) == {
        "gov.q01": "yes",
        "gov.q02": "yes",
        "gov.q03": "3",
        "ops.q01": "all",
        "ops.q02": "2",
    }
    assert AuditEntry.objects.filter(assessment=assessment, action="answer").count() >= 7
    assert page.console_errors == []


def test_the_questionnaire_works_with_the_keyboard_alone(page, world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    page.locator("#gov\\.q01-opt-1").focus()  # "Yes"
    page.keyboard.press("Space")
    expect(page.locator("#q-gov\\.q02")).to_be_visible()
    page.keyboard.press("ArrowRight")  # moves to "No" and selects it
    expect(page.locator("#q-gov\\.q02")).to_be_hidden()
    _wait_saved(page)
    assert _answers(assessment) == {"gov.q01": "no"}


def test_a_stale_autosave_shows_the_other_persons_answer(page, world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    # Someone else answers the same question meanwhile.
    from assessments.services import AnswerChange, answers_save

    answers_save(
        assessment=assessment, user=world.alice, changes=[AnswerChange(key="gov.q03", value="4")]
    )
    page.locator("#q-gov\\.q03").get_by_text("Planned").click()
    expect(page.locator("#q-gov\\.q03")).to_contain_text("Alice Admin changed this answer")
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    assert _answers(assessment) == {"gov.q03": "4"}
    page.locator("#q-gov\\.q03").get_by_label("Replace it with mine").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Answers saved.")).to_be_visible()
    assert _answers(assessment) == {"gov.q03": "1"}


def test_an_autosave_after_the_session_ended_says_so_and_keeps_the_page(page, world):
    from django.contrib.sessions.models import Session

    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    Session.objects.all().delete()  # the session expired server-side
    page.locator("#q-gov\\.q03").get_by_text("Planned").click()
    expect(page.locator("#save-status")).to_contain_text("Your session has ended")
    expect(page.locator("#q-gov\\.q03 input[type=radio][value='1']")).to_be_checked()
    assert _answers(assessment) == {}
