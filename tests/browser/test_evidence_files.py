"""Evidence files on the questionnaire with a keyboard: attach, be told, go on from there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in
from tests.evidence.samples import EXE, TEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_an_upload_or_a_deletion_its_notice_has_the_focus(
    page, world, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = factories.make_assessment(world.clinic, world.instrument)
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/gov/")
    files = page.locator("#files-gov\\.q03")
    chooser = files.get_by_label("Attach a file to question 1.3")

    # The file chosen, Tab reaches Attach and Enter sends it.
    chooser.set_input_files(
        files=[{"name": "minutes.txt", "mimeType": "text/plain", "buffer": TEXT}]
    )
    chooser.focus()
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(files.locator(".file-notice")).to_have_text("“minutes.txt” is attached.")
    expect(files.locator(".file-notice")).to_be_focused()
    # Tab goes on from the notice: the file's own link comes next, not the top of the page.
    page.keyboard.press("Tab")
    expect(files.get_by_role("link", name="minutes.txt")).to_be_focused()

    # A refusal is said where it happened, and focused the same way.
    files.get_by_label("Attach a file to question 1.3").set_input_files(
        files=[{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": EXE}]
    )
    with page.expect_navigation():
        files.get_by_role("button", name="Attach", exact=True).click()
    expect(files.locator(".file-notice")).to_contain_text("“tool.exe” was refused")
    expect(files.locator(".file-notice")).to_be_focused()

    # Deleting asks first, then says so in the same place.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        files.get_by_role("button", name="Delete minutes.txt").click()
    expect(files.locator(".file-notice")).to_have_text("“minutes.txt” was deleted.")
    expect(files.locator(".file-notice")).to_be_focused()
    assert page.console_errors == []
