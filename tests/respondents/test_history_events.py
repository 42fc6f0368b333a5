"""The History's second list, "Assignments and respondents" (respondents/history.py): every
assignment event in words, the blind rule on respondents' own answers and consensus notes
(respondents/blind.py `events_visible`, checked against `BlindRule.shows`), its own bounded
page number, and a constant number of queries as events grow.

Alice (org admin) coordinates; Victor (viewer) and Carla (consultant) answer "gov"
independently.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment
from assessments.services import AnswerChange
from respondents.blind import blind_rule
from respondents.history import PAGE_SIZE, events_of
from respondents.independent import (
    consensus_save,
    independent_mode_set,
    respondent_answers_save,
    respondent_domain_done,
    respondent_domain_reopen,
)
from respondents.models import Assignment, AssignmentEvent
from respondents.services import assignment_create, assignment_remove
from tests import factories
from tests.api.conftest import api_client
from tests.conftest import World

DUE = datetime.date(2026, 12, 12)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(assessment: Assessment, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"show": "assignments", **params}.items())
    return reverse("assessments:history", args=[assessment.pk]) + "?" + query


def _rows(user, assessment: Assessment, **params: str) -> list[str]:
    """The list's rows as text, one string per line, newest first."""
    response = _client(user).get(_url(assessment, **params))
    assert response.status_code == 200
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def _answer(assessment, user, key, value, comment=""):
    domain = key.split(".")[0]
    revision = (
        assessment.respondent_answers.filter(user=user, question__key=key)
        .values_list("revision", flat=True)
        .first()
    ) or 0
    outcome = respondent_answers_save(
        assessment=assessment,
        user=user,
        domain_key=domain,
        changes=[AnswerChange(key, value, comment=comment, base_revision=revision)],
    )
    assert not outcome.conflicts


def _age(assessment: Assessment, *, minutes: int) -> None:
    """Move everything recorded so far `minutes` into the past."""
    AssignmentEvent.objects.filter(assessment=assessment).update(
        at=F("at") - datetime.timedelta(minutes=minutes)
    )


@pytest.fixture
def assessment(world: World) -> Assessment:
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    for person in (world.victor, world.carla):
        assignment_create(
            assessment=assessment,
            domain_key="gov",
            respondent=person,
            due_date=DUE,
            user=world.alice,
        )
    return assessment


# --- each kind of event, in words ---------------------------------------------------------


def test_every_kind_of_event_is_worded_with_the_instruments_labels(world, assessment):
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.victor,
        due_date=datetime.date(2027, 1, 5),
        user=world.alice,
    )
    _answer(assessment, world.carla, "gov.q03", "1")
    _age(assessment, minutes=5)  # a pause: two lines, not one run
    _answer(assessment, world.carla, "gov.q03", "4", comment="Minutes since May")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    carla_part = Assignment.objects.get(assessment=assessment, user=world.carla)
    respondent_domain_reopen(assignment=carla_part, user=world.alice)
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    consensus_save(
        assessment=assessment,
        user=world.alice,
        domain_key="gov",
        changes=[AnswerChange("gov.q03", "4")],
        notes={"gov.q03": "The committee keeps minutes."},
    )
    victor_part = Assignment.objects.get(assessment=assessment, user=world.victor)
    assignment_remove(assignment=victor_part, user=world.alice)

    rows = _rows(world.alice, assessment)
    assert len(rows) == 11
    removed, note, done, reopened, done_before, answered, first, changed, carla, victor = rows[:10]
    assert "Alice Admin Removed Victor Viewer from Governance" in removed
    assert "Changed the consensus note 1.3 Is there an AI governance committee?" in note
    assert note.endswith("— The committee keeps minutes.")
    assert "Carla Consultant Marked Governance done" in done
    assert "Alice Admin Reopened the part of Carla Consultant in Governance (marked done" in (
        reopened
    )
    assert "Marked Governance done" in done_before
    assert "Carla Consultant Changed their own answer 1.3 Is there an AI governance" in answered
    # Labels of the scale, never its stored values; the comment with the new value.
    scale = {q.key: q for q in assessment.instrument.questions.filter(key="gov.q03")}["gov.q03"]
    assert f"{scale.option_label('1')} {scale.option_label('4')}" in answered
    assert "Comment: Minutes since May" in answered
    assert f"— {scale.option_label('1')}" in first
    assert "Alice Admin Changed the due date of Victor Viewer for Governance" in changed
    assert changed.endswith("Due 12 Dec 2026 Due 5 Jan 2027")
    assert "Alice Admin Assigned Governance to Carla Consultant, due 12 Dec 2026" in carla
    assert "Assigned Governance to Victor Viewer, due 12 Dec 2026" in victor
    [mode] = rows[10:]
    assert "Alice Admin Changed the answering mode to independent answers" in mode


def test_one_respondents_quick_changes_to_one_answer_are_one_line_with_every_step(
    world, assessment
):
    _answer(assessment, world.carla, "gov.q03", "1")
    _answer(assessment, world.victor, "gov.q03", "3")  # someone else's own answer: its own run
    _answer(assessment, world.carla, "gov.q03", "2")
    _answer(assessment, world.carla, "gov.q03", "2", comment="Minutes since May")
    for person in (world.carla, world.victor):
        respondent_domain_done(assessment=assessment, user=person, domain_key="gov")
    html = _client(world.alice).get(_url(assessment)).content.decode()
    [run] = re.findall(r'<tr class="history-group">(.*?)</tr>', html, re.S)
    assert "3 changes in a row" in run
    assert "Carla Consultant" in run
    steps = re.findall(r"<li>(.*?)</li>", run, re.S)
    assert len(steps) == 3
    rows = _rows(world.alice, assessment)
    assert sum("Changed their own answer" in row for row in rows) == 2


def test_a_pause_or_a_change_through_the_api_starts_a_new_line(world, assessment):
    _answer(assessment, world.carla, "gov.q03", "1")
    _age(assessment, minutes=3)
    _answer(assessment, world.carla, "gov.q03", "2")
    _answer(assessment, world.carla, "gov.q03", "3")
    AssignmentEvent.objects.filter(action="answered", detail__new__value="3").update(via="api")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    rows = [row for row in _rows(world.alice, assessment) if "own answer" in row]
    assert len(rows) == 3
    assert "via API" in rows[0]


def test_the_mode_switched_back_and_an_assignment_without_due_date(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=False)
    assignment_create(
        assessment=assessment,
        domain_key="ops",
        respondent=world.sam,
        due_date=None,
        user=world.alice,
    )
    assigned, shared, independent = _rows(world.alice, assessment)
    assert assigned.endswith("Assigned Operations to Sam Site")
    assert "Changed the answering mode to one shared questionnaire" in shared
    assert "Changed the answering mode to independent answers" in independent


def test_a_change_through_the_api_has_the_badge(world, assessment):
    AssignmentEvent.objects.filter(assessment=assessment, respondent=world.carla).update(via="api")
    carla, victor, _mode = _rows(world.alice, assessment)
    assert "Alice Admin via API Assigned Governance to Carla" in carla
    assert "via API" not in victor


def test_an_event_about_a_question_or_domain_the_version_no_longer_has_shows_its_key(
    world, assessment
):
    AssignmentEvent.objects.create(
        assessment=assessment,
        domain_key="old",
        respondent=world.carla,
        user=world.alice,
        action=AssignmentEvent.Action.NOTE,
        detail={"question": "old.q9", "old": "", "new": "Kept"},
    )
    note = _rows(world.alice, assessment)[0]
    assert "Changed the consensus note old.q9" in note


# --- the blind rule on own answers and consensus notes -------------------------------------


def _blind_setup(world, assessment):
    _answer(assessment, world.victor, "gov.q03", "2", comment="victor-k1")
    _answer(assessment, world.carla, "gov.q03", "4", comment="carla-k2")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    consensus_save(
        assessment=assessment,
        user=world.alice,
        domain_key="gov",
        changes=[],
        notes={"gov.q03": "alice-k3"},
    )


def _seen(user, assessment) -> set[str]:
    html = _client(user).get(_url(assessment)).content.decode()
    return {who for who in ("victor-k1", "carla-k2", "alice-k3") if who in html}


def test_a_respondent_still_answering_sees_only_their_own_answers_and_no_consensus_note(
    world, assessment
):
    _blind_setup(world, assessment)
    assert _seen(world.victor, assessment) == {"victor-k1"}
    rows = _rows(world.victor, assessment)
    # Carla marked done: still answering, Victor sees that, but not what she answered.
    assert any("Carla Consultant Marked Governance done" in row for row in rows)
    assert not any("Carla Consultant Changed their own answer" in row for row in rows)


def test_the_coordinator_sees_a_respondents_answers_once_they_marked_their_part_done(
    world, assessment
):
    _blind_setup(world, assessment)
    assert _seen(world.alice, assessment) == {"carla-k2", "alice-k3"}
    assert _seen(world.carla, assessment) == {"carla-k2", "alice-k3"}
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assert _seen(world.alice, assessment) == {"victor-k1", "carla-k2", "alice-k3"}
    assert _seen(world.victor, assessment) == {"victor-k1", "carla-k2", "alice-k3"}
    assert _seen(world.sam, assessment) == {"victor-k1", "carla-k2", "alice-k3"}


def test_a_reopened_part_hides_its_answers_again_until_done_again(world, assessment):
    _blind_setup(world, assessment)
    carla_part = Assignment.objects.get(assessment=assessment, user=world.carla)
    respondent_domain_reopen(assignment=carla_part, user=world.alice)
    assert _seen(world.alice, assessment) == {"alice-k3"}
    assert _seen(world.carla, assessment) == {"carla-k2"}  # answering again: blind again


def test_the_lists_sql_decides_as_the_blind_rule_for_every_viewer(world, assessment):
    """events_visible is BlindRule.hidden read per domain: for every viewer and event it
    keeps exactly what `shows` keeps (the respondent the author of an own answer, whoever
    set it of a note), and every other event."""
    _blind_setup(world, assessment)
    assignment_create(
        assessment=assessment,
        domain_key="ops",
        respondent=world.alice,
        due_date=None,
        user=world.alice,
    )
    _answer(assessment, world.alice, "ops.q01", "some", comment="alice-ops")
    assert assessment.is_editable
    every = list(AssignmentEvent.objects.filter(assessment=assessment))
    for viewer in (world.alice, world.victor, world.carla, world.sam):
        fresh = Assessment.objects.select_related("independent_answering").get(pk=assessment.pk)
        rule = blind_rule(fresh, viewer_id=viewer.pk)
        assert rule is not None
        expected = set()
        for event in every:
            if event.action == AssignmentEvent.Action.ANSWERED:
                if not rule.shows(event.respondent_id, event.domain_key):
                    continue
            elif event.action == AssignmentEvent.Action.NOTE and not rule.shows(
                event.user_id, event.domain_key
            ):
                continue
            expected.add(event.pk)
        got = {e.pk for e in events_of(fresh, viewer_id=viewer.pk)}
        assert got == expected, viewer.username


def test_outside_the_independent_mode_nothing_is_hidden(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.victor,
        due_date=None,
        user=world.alice,
    )
    assert len(_rows(world.victor, assessment)) == 1


# --- tabs, pages, queries, access ----------------------------------------------------------


def test_the_tab_shows_only_where_there_are_events_and_each_list_keeps_its_page(world):
    plain = factories.make_assessment(world.clinic, world.instrument, round_label="2025")
    html = _client(world.alice).get(reverse("assessments:history", args=[plain.pk])).content
    assert b"Assignments and respondents" not in html
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    url = reverse("assessments:history", args=[assessment.pk])
    html = _client(world.alice).get(url + "?page=3&events_page=2").content.decode()
    assert f'href="{url}?show=assignments&amp;page=3&amp;events_page=2"' in html
    assert 'aria-current="page" href="' + url + '?page=3&amp;events_page=2"' in html


def _many_events(assessment, user, count: int) -> None:
    AssignmentEvent.objects.bulk_create(
        AssignmentEvent(
            assessment=assessment,
            domain_key="gov",
            respondent=user,
            user=user,
            action=AssignmentEvent.Action.CHANGED,
            due_date=DUE + datetime.timedelta(days=n),
        )
        for n in range(count)
    )


def test_the_list_is_paged_with_its_own_page_number(world, assessment):
    _many_events(assessment, world.alice, PAGE_SIZE)  # + 2 assigned + the mode
    first = _rows(world.alice, assessment)
    assert len(first) == PAGE_SIZE
    second = _rows(world.alice, assessment, events_page="2")
    assert len(second) == 3
    assert "Changed the answering mode" in second[-1]
    html = _client(world.alice).get(_url(assessment)).content.decode()
    assert "events_page=2" in html
    assert "Older" in html
    assert _rows(world.alice, assessment, events_page="3") == []
    assert (
        "past the last page"
        in _client(world.alice).get(_url(assessment, events_page="3")).content.decode()
    )


@pytest.mark.parametrize(
    "page", ["abc", "-1", "0", "", "1.5", str(10**20), "%00", "1e3", "+2", " 2"]
)
def test_a_bad_page_number_is_never_a_server_error(world, assessment, page):
    response = _client(world.alice).get(_url(assessment, events_page=page, page=page))
    assert response.status_code == 200


def test_the_lists_queries_stay_the_same_as_events_grow(
    world, assessment, django_assert_num_queries
):
    _blind_setup(world, assessment)
    client = _client(world.alice)
    url = _url(assessment)
    client.get(url)
    _many_events(assessment, world.victor, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many_events(assessment, world.carla, 40)
    for n in range(5):
        _answer(assessment, world.victor, "gov.q01", "yes" if n % 2 else "no")
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_another_organisations_assessment_is_a_404(world, assessment):
    response = _client(world.oscar).get(_url(assessment))
    assert response.status_code == 404


def test_a_hostile_note_and_comment_show_escaped(world, assessment):
    script = "<script>alert(1)</script>"
    _answer(assessment, world.carla, "gov.q03", "2", comment=script)
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    consensus_save(
        assessment=assessment,
        user=world.alice,
        domain_key="gov",
        changes=[],
        notes={"gov.q03": script},
    )
    html = _client(world.alice).get(_url(assessment)).content.decode()
    assert script not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2


# --- the API: /assessments/<id>/history/assignments/ ----------------------------------------


def test_the_api_lists_the_events_with_the_pages_words_and_the_blind_rule(world, assessment):
    _blind_setup(world, assessment)
    url = f"/api/v1/assessments/{assessment.pk}/history/assignments/"
    coordinator = api_client(world.alice).get(url).json()
    summaries = [e["summary"] for e in coordinator["results"]]
    assert summaries == [
        "Changed the consensus note",
        "Marked Governance done",
        "Changed their own answer",  # Carla's, done; Victor's is hidden
        "Assigned Governance to Carla Consultant, due 12 Dec 2026",
        "Assigned Governance to Victor Viewer, due 12 Dec 2026",
        "Changed the answering mode to independent answers",
    ]
    answered = coordinator["results"][2]
    assert answered["respondent"]["name"] == "Carla Consultant"
    assert answered["detail"]["question"] == "gov.q03"
    assert answered["detail"]["new"]["comment"] == "carla-k2"
    assert answered["via"] == ""
    victor = api_client(world.victor).get(url).json()["results"]
    own = [e["detail"]["new"]["comment"] for e in victor if e["action"] == "answered"]
    assert own == ["victor-k1"]
    assert not [e for e in victor if e["action"] == "note"]


def test_the_api_gives_the_due_date_a_change_replaced(world, assessment):
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.victor,
        due_date=None,
        user=world.alice,
    )
    url = f"/api/v1/assessments/{assessment.pk}/history/assignments/"
    changed = api_client(world.alice).get(url).json()["results"][0]
    assert changed["action"] == "changed"
    assert changed["previous_due_date"] == "2026-12-12"
    assert changed["due_date"] is None
    assert changed["summary"] == "Changed the due date of Victor Viewer for Governance"
