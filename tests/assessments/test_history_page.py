"""The History page: every saved change stays in the audit; the page folds quick runs."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.history import history_lines
from assessments.models import Assessment, AuditEntry
from assessments.services import AnswerChange, answers_save
from tests import factories
from tests.conftest import World

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def assessment(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _save(assessment, user, key, value, seconds, comment=""):
    """One autosave of one answer, recorded `seconds` after START."""
    revision = assessment.answers.filter(question__key=key).values_list("revision", flat=True)
    answers_save(
        assessment=assessment,
        user=user,
        changes=[AnswerChange(key, value, comment=comment, base_revision=next(iter(revision), 0))],
    )
    entry = AuditEntry.objects.filter(assessment=assessment).order_by("-pk").first()
    AuditEntry.objects.filter(pk=entry.pk).update(at=START + datetime.timedelta(seconds=seconds))


def _lines(assessment):
    entries = list(AuditEntry.objects.filter(assessment=assessment))
    return history_lines(entries, {})


def _history(user, assessment) -> str:
    return _client(user).get(reverse("assessments:history", args=[assessment.pk])).content.decode()


def test_arrowing_through_three_options_is_three_audit_entries_and_one_history_line(
    world, assessment
):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    _save(assessment, world.sam, "ops.q01", "some", 1)
    _save(assessment, world.sam, "ops.q01", "all", 2)
    assert AuditEntry.objects.filter(assessment=assessment, subject="ops.q01").count() == 3
    [line] = _lines(assessment)
    assert line.grouped
    assert line.old is None
    assert line.new["value"] == "all"
    assert [step.entry.new["value"] for step in line.in_order] == ["none", "some", "all"]


def test_the_page_shows_first_and_last_value_with_every_step_in_a_details(world, assessment):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    _save(assessment, world.sam, "ops.q01", "some", 30)
    _save(assessment, world.sam, "ops.q01", "all", 70)
    html = _history(world.sam, assessment)
    [row] = re.findall(r'<tr class="history-group">(.*?)</tr>', html, re.S)
    before, after = re.findall(r'<td class="small audit-value"[^>]*>(.*?)</td>', row, re.S)
    assert "—" in before
    assert after.strip() == "Always"
    details = re.search(r"<details class=\"history-steps\">(.*?)</details>", row, re.S).group(1)
    assert "3 changes in a row" in details
    steps = re.findall(r"<li>(.*?)</li>", details, re.S)
    assert len(steps) == 3
    assert "Not reviewed" in steps[0]
    assert "Sometimes" in steps[1]
    assert "Always" in steps[2]
    assert "09:00:00" in row
    assert "09:01:10" in row


def test_a_pause_of_more_than_two_minutes_starts_a_new_line(world, assessment):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    _save(assessment, world.sam, "ops.q01", "some", 120)  # exactly two minutes: same line
    _save(assessment, world.sam, "ops.q01", "all", 241)
    lines = _lines(assessment)
    assert [len(line.steps) for line in lines] == [1, 2]


def test_someone_else_changing_the_answer_in_between_breaks_the_run(world, assessment):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    _save(assessment, world.alice, "ops.q01", "some", 10)
    _save(assessment, world.sam, "ops.q01", "all", 20)
    assert [len(line.steps) for line in _lines(assessment)] == [1, 1, 1]


def test_changes_to_other_answers_in_between_do_not_break_the_run(world, assessment):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    _save(assessment, world.sam, "gov.q03", "2", 10)
    _save(assessment, world.sam, "ops.q01", "all", 20)
    lines = _lines(assessment)
    assert [(line.entry.subject, len(line.steps)) for line in lines] == [
        ("ops.q01", 2),
        ("gov.q03", 1),
    ]


def test_the_page_shows_labels_never_internal_values(world, assessment):
    _save(assessment, world.sam, "ops.q01", "some", 0)
    _save(assessment, world.sam, "gov.q01", "yes", 10)
    _save(assessment, world.sam, "gov.q03", "4", 20)
    html = _history(world.sam, assessment)
    assert "Sometimes" in html
    assert "Yes" in html
    assert "In place and monitored" in html
    assert "some — " not in html
    assert "yes — " not in html
    assert "4 — " not in html


def test_a_comment_typed_in_several_saves_is_one_line_ending_with_the_whole_comment(
    world, assessment
):
    _save(assessment, world.sam, "gov.q03", "2", 0)
    _save(assessment, world.sam, "gov.q03", "2", 5, comment="Minutes")
    _save(assessment, world.sam, "gov.q03", "2", 9, comment="Minutes kept by the chair")
    [line] = _lines(assessment)
    assert line.new["comment"] == "Minutes kept by the chair"
    html = _history(world.sam, assessment)
    assert "Minutes kept by the chair" in html


def test_history_queries_stay_the_same_as_entries_and_runs_grow(
    world, assessment, django_assert_max_num_queries
):
    _save(assessment, world.sam, "ops.q01", "none", 0)
    client = _client(world.victor)
    url = reverse("assessments:history", args=[assessment.pk])
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        value = ["none", "some", "all"][i % 3]
        _save(assessment, world.sam if i % 2 else world.alice, "ops.q01", value, 10 + i)
        _save(assessment, world.sam, "gov.q03", str(i % 5), 10 + i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
