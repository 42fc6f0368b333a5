"""The questionnaire at 1366x900 and on a 390x844 phone: focus, the save bar, touch targets.

WCAG 2.2 2.4.11 (Focus Not Obscured): tabbing through a domain page, the focused element is
never under the sticky save bar. The bar is opaque and on a phone at most 10% of the screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment
from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

# Where the focused element is drawn (a radio is a 1 px input: its label is what shows) and
# where the save bar is, in viewport coordinates.
FOCUS_BOX = """() => {
  let el = document.activeElement;
  if (!el || el === document.body) return null;
  const bar = document.querySelector('.sticky-actions').getBoundingClientRect();
  const inBar = !!el.closest('.sticky-actions');
  if (el.type === 'radio' && el.nextElementSibling) el = el.nextElementSibling;
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 40),
          top: box.top, bottom: box.bottom, height: box.height, barTop: bar.top,
          inBar: inBar, inForm: !!el.closest('#questionnaire')};
}"""


def _settled(page: Any) -> Any:
    """FOCUS_BOX once scrolling has stopped (Bootstrap scrolls smoothly where motion is ok)."""
    box = page.evaluate(FOCUS_BOX)
    for _ in range(40):
        page.wait_for_timeout(25)
        again = page.evaluate(FOCUS_BOX)
        if again == box:
            return box
        box = again
    return box


@pytest.fixture
def viewport_page(browser: Any, live_server: Any, request: Any) -> Iterator[Any]:
    size = request.param
    phone = size is PHONE
    context = browser.new_context(
        base_url=live_server.url, viewport=size, has_touch=phone, is_mobile=phone
    )
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.phone = phone
    yield page
    context.close()


@pytest.fixture
def assessment(world: Any) -> Assessment:
    """A clinical-ai draft (long domains) with a few answers, a comment and a flag."""
    assessment = factories.make_assessment(world.clinic, factories.load_instrument())
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="access.q01", value="3", comment="Wi-Fi in every room"),
            AnswerChange(key="access.q02", value="2"),
        ],
    )
    return assessment


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_tabbing_through_a_domain_never_puts_focus_under_the_save_bar(
    viewport_page: Any, world: Any, assessment: Assessment
) -> None:
    page = viewport_page
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/access/")
    expect(page.locator(".sticky-actions")).to_be_visible()
    seen_in_form = 0
    for _ in range(200):
        page.keyboard.press("Tab")
        box = _settled(page)
        if box is None and seen_in_form:
            break  # past the page's last stop: each one was checked once
        if box is None or box["inBar"] or not box["inForm"] or box["height"] == 0:
            continue
        seen_in_form += 1
        assert box["bottom"] <= box["barTop"] + 0.5, f"under the save bar: {box}"
        assert box["top"] >= -0.5, f"above the screen: {box}"
    else:
        pytest.fail("Tab never left the page")
    # It really went through the questions (radios, comment toggles, review buttons).
    assert seen_in_form >= 15
    assert page.console_errors == []


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_the_save_bar_is_opaque_and_compact(
    viewport_page: Any, world: Any, assessment: Assessment
) -> None:
    page = viewport_page
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/access/")
    bar = page.evaluate(
        """() => { const b = document.querySelector('.sticky-actions');
        return {bg: getComputedStyle(b).backgroundColor, height: b.getBoundingClientRect().height,
                bottom: b.getBoundingClientRect().bottom}; }"""
    )
    assert bar["bg"].startswith("rgb("), bar  # rgba(...) would let the page show through
    height = page.viewport_size["height"]
    assert bar["height"] <= 0.10 * height, bar
    assert bar["bottom"] <= height + 0.5  # it sticks to the bottom of the screen


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_touch_targets_and_where_the_questions_start(
    viewport_page: Any, world: Any, assessment: Assessment
) -> None:
    page = viewport_page
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/d/access/")
    sizes = page.evaluate(
        """() => {
        const h = sel => Array.from(document.querySelectorAll(sel))
            .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().height);
        return {options: h('.answer-option label'), toggles: h('.question-notes summary'),
                review: h('.review-toggle'), bar: h('.sticky-actions .btn'),
                firstCard: document.querySelector('.question-card').getBoundingClientRect().top};
        }"""
    )
    smallest = 44 if page.phone else 24
    for kind in ("options", "toggles", "review", "bar"):
        assert sizes[kind], kind
        assert min(sizes[kind]) >= smallest - 0.5, (kind, min(sizes[kind]))
    if page.phone:
        # The domains fold into a switcher: the first question starts near the top.
        expect(page.locator(".domain-switcher")).to_be_visible()
        expect(page.locator("nav.domain-nav")).to_be_hidden()
        assert sizes["firstCard"] < 450, sizes["firstCard"]
        page.locator(".domain-switcher summary").click()
        page.locator(".domain-switcher").get_by_role("link", name="Integration").first.click()
        expect(page).to_have_url(f"/a/{assessment.pk}/d/integration/", ignore_case=True)
    else:
        expect(page.locator("nav.domain-nav")).to_be_visible()
        expect(page.locator(".domain-switcher")).to_be_hidden()


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_the_overview_table_shows_level_and_blockers(
    viewport_page: Any, world: Any, assessment: Assessment
) -> None:
    page = viewport_page
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/")
    width = page.viewport_size["width"]
    for name in ("Level", "Blockers"):
        header = page.locator(".overview-table thead th", has_text=name)
        box = header.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width + 0.5, (name, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_role("heading", name="What is left")).to_be_visible()


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_unanswered_only_and_mark_for_review(
    viewport_page: Any, world: Any, assessment: Assessment
) -> None:
    page = viewport_page
    log_in(page, "sam")
    page.goto(f"/a/{assessment.pk}/take/")
    # Continue lands on the first unanswered question.
    expect(page).to_have_url(f"/a/{assessment.pk}/d/access/#q-access.q03", ignore_case=True)
    answered = page.locator("#q-access\\.q01")
    expect(answered).to_be_visible()
    page.get_by_label("Show unanswered only").check()
    expect(answered).to_be_hidden()
    expect(page.locator("#q-access\\.q03")).to_be_visible()
    assert "only=unanswered" in page.url
    page.get_by_label("Show unanswered only").uncheck()
    expect(answered).to_be_visible()

    card = page.locator("#q-access\\.q03")
    button = card.get_by_role("button", name="Mark for review")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_text("Marked for review", exact=True)).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.review_flags == ["access.q03"]
    page.reload()
    expect(
        page.locator("#q-access\\.q03").get_by_role("button", name="Mark for review")
    ).to_have_attribute("aria-pressed", "true")
    assert page.console_errors == []


@pytest.mark.parametrize("viewport_page", SIZES, indirect=True)
def test_the_comparison_heatmap_is_a_list_per_site_on_a_phone(
    viewport_page: Any, golden: Any
) -> None:
    page = viewport_page
    log_in(page, "alice")
    page.goto(f"/o/{golden.org.slug}/compare/")
    heatmap = page.locator("section[aria-labelledby='heatmap-title'] .compare-chart")
    listed = page.locator("#heatmap-list")
    if page.phone:
        expect(heatmap).to_be_hidden()
        expect(listed).to_be_visible()
        sites = listed.locator("h3")
        assert sites.count() >= 2
        first = listed.locator(".heatmap-site").first
        assert first.locator(".heatmap-cell").count() == len(golden.instrument.domains.all())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    else:
        expect(heatmap).to_be_visible()
        expect(listed).to_be_hidden()
