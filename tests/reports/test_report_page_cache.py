"""The gap report page keeps its rendered body while nothing it shows changes
(reports/report_page.py), and renders it again as soon as anything does."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.services import action_item_update, action_items_create_from_plan
from assessments.models import Assessment
from reports import report_page
from reports.report_files import pdf_cache_key
from tests.conftest import without_chromium
from tests.reports.conftest import give_answers


@pytest.fixture(autouse=True)
def _no_chart_export(monkeypatch, stand_in_pdfs):
    without_chromium(monkeypatch)


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """The assessments whose report the page built (instead of serving the kept body)."""
    built: list[int] = []
    real = report_page.build_report

    def counting(assessment: Assessment, **kwargs: Any) -> Any:
        built.append(assessment.pk)
        return real(assessment, **kwargs)

    monkeypatch.setattr(report_page, "build_report", counting)
    return built


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(client: Client, assessment: Assessment, query: str = "") -> str:
    response = client.get(reverse("reports:gap-report", args=[assessment.pk]) + query)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<article class="report report-html">') : html.rindex("</article>")]


def test_a_second_reader_gets_the_same_body_without_building_the_report(
    world, scored, builds, django_assert_max_num_queries
):
    first = _body(_client(world.alice), scored)
    assert builds == [scored.pk]
    # Victor (a viewer) gets the organisation's branding as Alice does.
    victor = _client(world.victor)
    with django_assert_max_num_queries(8):
        again = _body(victor, scored)
    assert again == first
    assert builds == [scored.pk]
    assert "Not ready" in again
    assert "Northside Clinic" in again


def _rename_organisation(world, assessment: Assessment) -> str:
    world.org.name = "Renamed Health"
    world.org.save()
    return "Renamed Health"


def _rename_site(world, assessment: Assessment) -> str:
    world.clinic.name = "Northside Family Clinic"
    world.clinic.save()
    return "Northside Family Clinic"


def _answer(world, assessment: Assessment) -> str:
    give_answers(assessment, {"gov.q02": "yes"}, comment="Policy signed in March")
    return "Policy signed in March"


def _action_item(world, assessment: Assessment) -> str:
    action_items_create_from_plan(assessment=assessment, user=world.alice, keys=["ops.q01"])
    return 'id="action-item-'


CHANGES: dict[str, Callable[[Any, Assessment], str]] = {
    "organisation renamed": _rename_organisation,
    "site renamed": _rename_site,
    "answer saved": _answer,
    "action item added": _action_item,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_what_the_body_shows_renders_it_again(world, scored, builds, change):
    client = _client(world.alice)
    before = _body(client, scored)
    shown = CHANGES[change](world, Assessment.objects.with_context().get(pk=scored.pk))
    assert shown not in before
    after = _body(client, scored)
    assert builds == [scored.pk, scored.pk]
    assert shown in after


def test_an_action_item_edited_renders_the_body_again(world, scored, builds):
    action_items_create_from_plan(assessment=scored, user=world.alice, keys=["ops.q01"])
    client = _client(world.alice)
    assert "Write the downtime procedure" not in _body(client, scored)
    item = ActionItem.objects.get(assessment=scored)
    changes = {"title": "Write the downtime procedure"}
    action_item_update(item=item, user=world.alice, changes=changes, revision=item.revision)
    assert "Write the downtime procedure" in _body(client, scored)
    assert builds == [scored.pk, scored.pk]


def test_the_next_day_renders_the_body_again(world, scored, builds, monkeypatch):
    client = _client(world.alice)
    _body(client, scored)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr("reports.report_files.timezone.localdate", lambda: tomorrow)
    _body(client, scored)
    assert builds == [scored.pk, scored.pk]


def test_other_options_and_a_new_release_have_bodies_of_their_own(
    world, scored, builds, monkeypatch
):
    client = _client(world.alice)
    full = _body(client, scored)
    board = _body(client, scored, "?preset=board")
    assert 'id="appendix"' in full
    assert 'id="appendix"' not in board
    assert _body(client, scored) == full
    assert builds == [scored.pk, scored.pk]
    monkeypatch.setattr(report_page, "release", lambda: "the next release")
    assert _body(client, scored) == full
    assert builds == [scored.pk, scored.pk, scored.pk]


def test_the_release_digest_covers_code_and_templates_only(settings, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("A = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>one</p>")
    (tmp_path / "media").mkdir()
    settings.BASE_DIR = tmp_path

    def digest() -> str:
        report_page.release.cache_clear()
        return report_page.release()

    try:
        first = digest()
        (tmp_path / "media" / "upload.html").write_text("<p>a file</p>")
        (tmp_path / "app" / "notes.txt").write_text("not code")
        assert digest() == first
        (tmp_path / "templates" / "page.html").write_text("<p>two</p>")
        second = digest()
        assert second != first
        (tmp_path / "app" / "views.py").write_text("A = 2\n")
        assert digest() not in {first, second}
    finally:
        report_page.release.cache_clear()


def test_the_page_works_without_the_cache(world, scored, cache_down, builds):
    client = _client(world.alice)
    first = _body(client, scored)
    assert _body(client, scored) == first
    assert builds == [scored.pk, scored.pk]


def test_a_new_benchmark_snapshot_changes_the_page_and_the_stored_pdf(
    world, scored, builds, monkeypatch
):
    from benchmark import publishing

    client = _client(world.alice)
    _body(client, scored)
    key = pdf_cache_key(scored, charts_available=False)
    publishing._publish(scored.instrument, "", [], {}, {})
    assert pdf_cache_key(scored, charts_available=False) != key
    _body(client, scored)
    assert builds == [scored.pk, scored.pk]


def test_bodies_are_kept_apart_by_assessment(world, scored, builds):
    from tests import factories

    other = factories.make_assessment(world.clinic, world.instrument, round_label="2026 autumn")
    client = _client(world.alice)
    mine, theirs = _body(client, scored), _body(client, other)
    assert "2026 spring" in mine
    assert "2026 autumn" not in mine
    assert "2026 autumn" in theirs
    assert re.search(r"Not ready", mine)


def _results(client: Client, assessment: Assessment) -> str:
    response = client.get(reverse("reports:results", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_results_page_keeps_its_report_parts_and_tracks_per_reader(world, scored, builds):
    alice = _results(_client(world.alice), scored)
    victor = _results(_client(world.victor), scored)
    assert builds == [scored.pk]
    for page in (alice, victor):
        assert "Not ready" in page
        assert 'id="track-ops.q01"' in page
        assert 'id="todo-heading"' in page
    # The tracking list is the reader's own: an organisation admin may track, a viewer not.
    assert "Track the top 10" in alice
    assert "Track the top 10" not in victor
    assert "Is AI uptime monitored?" in victor.split('id="todo-heading"')[1]
    give_answers(scored, {"ops.q02": "3"})
    again = _results(_client(world.victor), scored)
    assert builds == [scored.pk, scored.pk]
    assert "Is AI uptime monitored?" not in again.split('id="todo-heading"')[1]


def test_the_results_tracking_list_follows_the_items_at_once(world, scored, builds):
    client = _client(world.alice)
    assert "Tracked:" not in _results(client, scored)
    action_items_create_from_plan(assessment=scored, user=world.alice, keys=["ops.q01"])
    assert "Tracked:" in _results(client, scored)
