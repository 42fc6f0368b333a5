"""Across versions (issue 9 C): the carry-over rule, a next round onto a newer version, and
moving an open draft to a newer version."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.carry_over import (
    REASONS,
    VERSION_SUBJECT,
    carry_over_plan,
    question_carries_over,
)
from assessments.models import Answer, Assessment, AuditEntry, Instrument, Question
from assessments.round_diff import round_diff
from assessments.rounds import assessment_start_next_round
from assessments.services import (
    AnswerChange,
    AssessmentVersionChanged,
    answers_save,
    assessment_submit,
)
from assessments.versions import (
    MoveError,
    MoveStale,
    assessment_move_to_version,
    newer_versions,
    version_marks,
)
from tests import factories
from tests.conftest import World

# --- the rule, on plain (unsaved) questions ---------------------------------------------------

SCALE = [{"value": str(i), "label": f"Level {i}", "score": i} for i in range(5)]
CHOICE: list[dict[str, Any]] = [
    {"value": "none", "label": "None", "score": 0},
    {"value": "some", "label": "Some", "score": 1},
    {"value": "all", "label": "All", "score": 3},
]


def _q(**kwargs: Any) -> Question:
    fields: dict[str, Any] = {
        "key": "d.q01",
        "type": "choice",
        "text": "How is AI output reviewed?",
        "help": "Every output is reviewed.",
        "recommendation": "Review every output.",
        "references": ["NIST AI RMF MEASURE 2.3"],
        "options": CHOICE,
        "critical": False,
        "allow_na": True,
        "show_if_question": "",
        "show_if_values": [],
        "weight": Decimal(1),
    }
    fields.update(kwargs)
    return Question(**fields)


@pytest.mark.parametrize(
    ("new", "value", "reason"),
    [
        (_q(type="scale", options=SCALE), "some", "type"),
        (_q(options=CHOICE[:2]), "some", "options"),  # an option withdrawn
        (_q(options=[*CHOICE, {"value": "most", "label": "Most", "score": 2}]), "", "options"),
        (_q(options=[{**o, "score": o["score"] * 2} for o in CHOICE]), "all", "options"),
        (_q(options=[{**o, "value": o["value"].upper()} for o in CHOICE]), "all", "options"),
        (_q(show_if_question="d.q00", show_if_values=["yes"]), "all", "show_if"),
        (_q(critical=True), "all", "critical"),
        (_q(allow_na=False), "na", "na"),
        (None, "all", "removed"),
    ],
)
def test_the_rule_names_why_an_answer_does_not_carry_over(new, value, reason):
    assert question_carries_over(_q(), new, value) == reason
    assert reason in REASONS


def test_a_changed_display_condition_is_its_question_or_its_values():
    old = _q(show_if_question="d.q00", show_if_values=["yes", "partly"])
    assert question_carries_over(old, _q(show_if_question="d.q09", show_if_values=["yes"])) == (
        "show_if"
    )
    assert question_carries_over(old, _q(show_if_question="d.q00", show_if_values=["yes"])) == (
        "show_if"
    )
    # The same values in another order are the same condition.
    assert (
        question_carries_over(old, _q(show_if_question="d.q00", show_if_values=["partly", "yes"]))
        is None
    )


def test_a_question_only_the_new_version_has_is_new():
    assert question_carries_over(None, _q()) == "new"


def test_edited_text_help_labels_recommendation_references_and_order_carry_over():
    new = _q(
        text="Who reviews AI output before it reaches a patient?",
        help="A named clinician signs off every output.",
        recommendation="Name a reviewer.",
        references=["Joint Commission + CHAI (2025) section 4"],
        options=[{**o, "label": o["label"] + " (reworded)"} for o in reversed(CHOICE)],
        weight=Decimal(2),
    )
    assert question_carries_over(_q(), new, "some") is None
    assert question_carries_over(_q(), new, "na") is None  # N/A is still allowed
    # Scores written as 1 or 1.0 are the same score.
    floats = _q(options=[{**o, "score": float(o["score"])} for o in CHOICE])
    assert question_carries_over(_q(), floats, "all") is None


# --- two versions of one instrument, loaded ----------------------------------------------------

V1_0 = """
slug: move-test
version: "1.0"
title: Move test
domains:
  - key: gov
    title: Governance
    questions:
      - key: gov.q01
        type: scale
        text: Is there an AI committee?
        help: It meets.
        recommendation: Set one up.
      - key: gov.q02
        type: yes_no
        text: Is a BAA signed?
        help: Signed.
        recommendation: Sign one.
      - key: gov.q03
        type: choice
        text: How is output reviewed?
        help: Always.
        recommendation: Review it.
        options:
          - {value: "none", label: "Not reviewed", score: 0}
          - {value: "some", label: "Sometimes reviewed", score: 1}
          - {value: "all", label: "Always reviewed", score: 2}
      - key: gov.q04
        type: scale
        text: Are vendors assessed?
        help: Yes.
        recommendation: Assess them.
      - key: gov.q05
        type: scale
        text: Is there a downtime plan?
        help: Yes.
        recommendation: Write one.
        show_if: {question: gov.q02, in: ["yes"]}
      - key: gov.q06
        type: scale
        text: Old question
        help: Gone in 1.1.
        recommendation: Nothing.
  - key: care
    title: Patient care
    questions:
      - key: care.q01
        type: text
        text: Which tools are in use?
        help: List them.
      - key: care.q02
        type: scale
        text: Are patients told?
        help: Always.
        recommendation: Tell them.
"""

V1_1 = """
slug: move-test
version: "1.1"
title: Move test
blocker_below: 0.75
domains:
  - key: gov
    title: Governance
    questions:
      - key: gov.q01
        type: scale
        text: Does an AI governance committee meet and keep minutes?
        help: It meets monthly and keeps minutes.
        recommendation: Set up a committee with a charter.
        references: ["NIST AI RMF GOVERN 1.1"]
      - key: gov.q02
        type: yes_no
        text: Is a BAA signed?
        help: Signed.
        recommendation: Sign one.
      - key: gov.q03
        type: choice
        text: How is output reviewed?
        help: Always.
        recommendation: Review it.
        critical: true
        options:
          - {value: "none", label: "Not reviewed", score: 0}
          - {value: "all", label: "Always reviewed", score: 2}
      - key: gov.q04
        type: yes_no
        text: Are vendors assessed?
        help: Yes.
        recommendation: Assess them.
      - key: gov.q05
        type: scale
        text: Is there a downtime plan?
        help: Yes.
        recommendation: Write one.
  - key: care
    title: Patient care
    questions:
      - key: care.q01
        type: text
        text: Which AI tools are in use, and for what?
        help: List them with their purpose.
      - key: care.q02
        type: scale
        text: Are patients told?
        help: Always.
        recommendation: Tell them.
        critical: true
        allow_na: false
      - key: care.q03
        type: yes_no
        text: Can patients decline AI without delaying care?
        help: Yes.
        recommendation: Offer a human route.
"""

ANSWERS = {
    "gov.q01": "3",  # carries (text, help, references edited)
    "gov.q02": "yes",  # carries
    "gov.q03": "some",  # options changed ("some" withdrawn) -> left behind
    "gov.q04": "2",  # scale -> yes/no -> left behind
    "gov.q05": "4",  # show_if dropped -> left behind
    "gov.q06": "1",  # removed -> left behind
    "care.q01": "Scribe",  # free text, reworded -> carries
    "care.q02": "na",  # critical now -> left behind (critical changed)
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answers(assessment: Assessment) -> dict[str, str]:
    return dict(assessment.answers.values_list("question__key", "value"))


def _answer_all(assessment: Assessment, user, answers: dict[str, str] = ANSWERS) -> None:
    answers_save(
        assessment=assessment,
        user=user,
        changes=[
            AnswerChange(key=k, value=v, comment=f"comment {k}" if k == "gov.q03" else "")
            for k, v in answers.items()
        ],
    )


@pytest.fixture
def versions(db: None) -> tuple[Instrument, Instrument]:
    return factories.load_instrument_text(V1_0), factories.load_instrument_text(V1_1)


@pytest.fixture
def draft(world: World, versions) -> Assessment:
    """Sam's open draft on 1.0 with every question answered."""
    old, _ = versions
    assessment = factories.make_assessment(world.clinic, old, targets={"gov": 70, "gone": 50})
    _answer_all(assessment, world.sam)
    return Assessment.objects.with_context().get(pk=assessment.pk)


EXPECTED_CARRIED = {"gov.q01": "3", "gov.q02": "yes", "care.q01": "Scribe"}
EXPECTED_LEFT = {
    "gov.q03": "options",
    "gov.q04": "type",
    "gov.q05": "show_if",
    "gov.q06": "removed",
    "care.q02": "critical",
}


def test_the_plan_carries_by_the_rule_and_says_why_not(world, draft, versions):
    plan = carry_over_plan(previous=draft, instrument=versions[1])
    assert {q.key: a.value for q, a in plan.carried} == EXPECTED_CARRIED
    assert {i.key: i.reason for i in plan.left_behind} == EXPECTED_LEFT
    assert [i.key for i in plan.new_items] == ["care.q03"]
    assert plan.new_questions == ("care.q03",)
    assert set(plan.dropped) == set(EXPECTED_LEFT)
    q03 = next(i for i in plan.left_behind if i.key == "gov.q03")
    assert (q03.old_answer, q03.domain_title) == ("Sometimes reviewed", "Governance")
    gone = next(i for i in plan.left_behind if i.key == "gov.q06")
    assert gone.reason_label == "No longer asked in this version"
    by_domain = {
        title: ([i.key for i in left], [i.key for i in new]) for title, left, new in plan.by_domain
    }
    assert by_domain == {
        "Governance": (["gov.q03", "gov.q04", "gov.q05", "gov.q06"], []),
        "Patient care": (["care.q02"], ["care.q03"]),
    }


# --- the next round onto a newer version ------------------------------------------------------


@pytest.fixture
def next_on_1_1(world: World, draft, versions) -> Assessment:
    assessment_submit(assessment=draft, user=world.sam)
    draft.refresh_from_db()
    return assessment_start_next_round(previous=draft, user=world.alice, instrument=versions[1])


def test_the_next_round_on_a_newer_version_carries_only_what_the_rule_allows(
    world, next_on_1_1, versions
):
    assert next_on_1_1.instrument == versions[1]
    assert _answers(next_on_1_1) == EXPECTED_CARRIED
    assert all(next_on_1_1.answers.values_list("carried_over", flat=True))
    entry = AuditEntry.objects.get(assessment=next_on_1_1, subject=VERSION_SUBJECT)
    assert (entry.old["version"], entry.new["version"]) == ("1.0", "1.1")
    assert (entry.new["carried over"], entry.new["not carried over"]) == (3, 5)
    marks = version_marks(next_on_1_1)
    assert {k: (m.kind, m.reason) for k, m in marks.items()} == {
        "gov.q03": ("changed", "options"),
        "gov.q04": ("changed", "type"),
        "gov.q05": ("changed", "show_if"),
        "care.q02": ("changed", "critical"),
        "care.q03": ("new", "new"),
    }


def test_the_round_page_lists_what_was_not_carried_and_why_per_domain(world, next_on_1_1):
    diff = round_diff(assessment=next_on_1_1)
    assert diff.plan is not None
    assert {i.key: i.reason for i in diff.plan.left_behind} == EXPECTED_LEFT
    html = _client(world.victor).get(reverse("assessments:round-diff", args=[next_on_1_1.pk]))
    text = html.content.decode()
    assert "Not carried over from the previous round, and new questions" in text
    assert "Version 1.0 → 1.1" in text
    for reason in ("options", "type", "show_if", "critical", "removed"):
        assert REASONS[reason] in text
    assert 'data-key="care.q03"' in text  # the new question, under its domain
    assert text.index('<h3 class="h6 mt-3">Governance') < text.index('data-key="gov.q03"')
    assert text.index('<h3 class="h6 mt-3">Patient care') < text.index('data-key="care.q02"')


def test_a_next_round_on_the_same_version_lists_nothing_across_versions(world, draft):
    assessment_submit(assessment=draft, user=world.sam)
    draft.refresh_from_db()
    nxt = assessment_start_next_round(previous=draft, user=world.alice)
    assert round_diff(assessment=nxt).plan is None
    assert version_marks(nxt) == {}
    assert not AuditEntry.objects.filter(assessment=nxt, subject=VERSION_SUBJECT).exists()


def _domain(assessment: Assessment, key: str) -> str:
    return reverse("assessments:domain", args=[assessment.pk, key])


def test_new_and_changed_questions_are_marked_until_answered(world, next_on_1_1):
    client = _client(world.sam)
    html = client.get(_domain(next_on_1_1, "care")).content.decode()
    assert html.count("data-version-mark=") == 2
    assert 'data-version-mark="new">New in version 1.1' in html
    assert 'data-version-mark="changed">Changed in version 1.1' in html
    assert "The critical-safeguard flag changed since version 1.0: answer it again." in html
    assert "2 questions in this domain are new or changed in version 1.1" in html
    answers_save(
        assessment=next_on_1_1,
        user=world.sam,
        changes=[AnswerChange(key="care.q03", value="yes")],
    )
    html = client.get(_domain(next_on_1_1, "care")).content.decode()
    assert 'data-version-mark="new"' not in html
    assert html.count("data-version-mark=") == 1
    # Carried answers are not marked as changed.
    gov = client.get(_domain(next_on_1_1, "gov")).content.decode()
    assert gov.count("data-version-mark=") == 3
    assert "Carried over from last round" in gov


def test_last_rounds_answers_keep_the_labels_of_the_version_they_were_given_in(
    world, next_on_1_1, django_assert_max_num_queries
):
    client = _client(world.sam)
    client.get(_domain(next_on_1_1, "gov"))  # warm the caches
    # The page's budget: 1.0's options come from its questions in memory (questionnaire.py).
    with django_assert_max_num_queries(8):
        response = client.get(_domain(next_on_1_1, "gov"))
    rows = {row["question"].key: row for row in response.context["rows"]}
    # "some" exists only in 1.0, whose own option labels it; 1.1 has no such option.
    assert rows["gov.q03"]["last_round"] == "Sometimes reviewed"
    assert rows["gov.q02"]["last_round"] == "Yes"
    assert "Last round:" in response.content.decode()


def test_the_marks_cost_no_query_once_the_page_is_warm(
    world, next_on_1_1, django_assert_max_num_queries
):
    client = _client(world.sam)
    client.get(_domain(next_on_1_1, "gov"))
    with django_assert_max_num_queries(100) as warm:
        client.get(_domain(next_on_1_1, "gov"))
    sql = " ".join(q["sql"] for q in warm.captured_queries)
    assert "assessments_auditentry" not in sql


# --- moving an open draft to a newer version ---------------------------------------------------


def _move_url(assessment: Assessment) -> str:
    return reverse("assessments:move-version", args=[assessment.pk])


def _post_move(client: Client, assessment: Assessment, instrument: Instrument, **extra: Any):
    data = {"instrument": instrument.pk, "revision": assessment.revision, **extra}
    return client.post(_move_url(assessment), data)


def test_the_detail_page_offers_the_move_to_those_who_may_edit(world, draft):
    url = reverse("assessments:detail", args=[draft.pk])
    assert "Move to version 1.1…" in _client(world.sam).get(url).content.decode()
    assert "Move to version 1.1…" in _client(world.alice).get(url).content.decode()
    assert "Move to version 1.1…" not in _client(world.victor).get(url).content.decode()
    assert "Move to version 1.1…" not in _client(world.carla).get(url).content.decode()


def test_the_confirmation_page_shows_what_will_and_will_not_carry(world, draft):
    response = _client(world.sam).get(_move_url(draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Move to version 1.1" in html
    assert "Answers that carry over (3)" in html
    assert "gov.q01, gov.q02" in html
    for key in EXPECTED_LEFT:
        assert f'data-key="{key}"' in html
    assert "Sometimes reviewed" in html  # the answer that will not carry
    assert f'name="revision" value="{draft.revision}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Looking changes nothing.
    assert Assessment.objects.get(pk=draft.pk).instrument_id == draft.instrument_id


def test_moving_carries_by_the_rule_in_one_click(world, draft, versions):
    old, new = versions
    old_answers = {a.question.key: a for a in draft.answers.select_related("question")}
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.sam)
    page = client.get(_move_url(draft))
    token = page.cookies["csrftoken"].value
    response = client.post(
        _move_url(draft),
        {"instrument": new.pk, "revision": draft.revision, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:take", args=[draft.pk])
    moved = Assessment.objects.get(pk=draft.pk)
    assert moved.instrument == new
    assert moved.status == Assessment.Status.DRAFT
    assert moved.revision == draft.revision + 1
    assert moved.targets == {"gov": 70}  # the unknown domain's target is dropped
    assert _answers(moved) == EXPECTED_CARRIED
    kept = moved.answers.select_related("question").get(question__key="gov.q01")
    assert kept.question.instrument == new
    assert kept.answered_by == world.sam
    assert kept.answered_at == old_answers["gov.q01"].answered_at
    assert not kept.carried_over
    # The results are the new version's scoring (blocker_below 0.75, care.q02 critical).
    expected = factories.make_assessment(
        world.hospital, new, round_label="Compare", targets={"gov": 70}
    )
    answers_save(
        assessment=expected,
        user=world.alice,
        changes=[AnswerChange(key=k, value=v) for k, v in EXPECTED_CARRIED.items()],
    )
    assert moved.compute_results() == expected.compute_results()
    follow = client.get(reverse("assessments:take", args=[draft.pk]), follow=True)
    assert "Moved to version 1.1: 3 answer(s) carried over, 5 not carried over" in (
        follow.content.decode()
    )


def test_the_move_is_audited_with_who_when_and_both_versions(world, draft, versions):
    before = AuditEntry.objects.filter(assessment=draft).count()
    assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.sam, revision=draft.revision
    )
    entry = AuditEntry.objects.get(assessment=draft, subject=VERSION_SUBJECT)
    assert entry.user == world.sam
    assert entry.action == AuditEntry.Action.STATUS
    assert entry.at is not None
    assert entry.old == {"instrument": "Move test", "version": "1.0"}
    assert (entry.new["version"], entry.new["carried over"], entry.new["new questions"]) == (
        "1.1",
        3,
        1,
    )
    # One entry per old answer, then the move itself.
    added = AuditEntry.objects.filter(assessment=draft).count() - before
    assert added == len(ANSWERS) + 1
    left = AuditEntry.objects.get(
        assessment=draft, action=AuditEntry.Action.ANSWER, subject="gov.q03", new__value=""
    )
    assert left.old["value"] == "some"
    assert left.old["comment"] == "comment gov.q03"
    assert "options" in left.new["note"]


def test_the_history_keeps_every_old_answer_with_its_old_labels(world, draft, versions):
    assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.sam, revision=draft.revision
    )
    answers_save(
        assessment=draft,
        user=world.sam,
        changes=[AnswerChange(key="gov.q03", value="all")],
    )
    html = _client(world.victor).get(reverse("assessments:history", args=[draft.pk]))
    text = html.content.decode()
    assert "Questionnaire version changed" in text
    # Every answer given on 1.0 is still there, read with 1.0's labels.
    # Labels only (issue 11): never the internal value beside them.
    assert "Sometimes reviewed" in text
    assert "some — " not in text
    assert "Scribe" in text
    assert "Level 4" not in text  # (the scale's labels are the anchors)
    assert "In place and monitored" in text  # gov.q05
    assert "Planned" in text  # the removed gov.q06
    assert "Not carried over to version 1.1" in text
    # The answer given after the move is read with 1.1's question.
    assert "Always reviewed" in text


def test_a_stale_move_changes_nothing(world, draft, versions):
    client = _client(world.sam)
    client.get(_move_url(draft))
    seen = draft.revision
    answers_save(
        assessment=draft,
        user=world.alice,
        changes=[AnswerChange(key="gov.q04", value="4", base_revision=1)],
    )
    response = client.post(
        _move_url(draft), {"instrument": versions[1].pk, "revision": seen}, follow=True
    )
    assert response.status_code == 200
    assert "Someone changed this assessment after you opened this page" in (
        response.content.decode()
    )
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[0]
    assert _answers(draft)["gov.q04"] == "4"
    assert not AuditEntry.objects.filter(assessment=draft, subject=VERSION_SUBJECT).exists()
    with pytest.raises(MoveStale):
        assessment_move_to_version(
            assessment=draft, instrument=versions[1], user=world.sam, revision=seen
        )


def test_a_save_from_a_page_of_the_old_version_is_refused_after_the_move(world, draft, versions):
    client = _client(world.sam)
    page = client.get(_domain(draft, "gov"))
    assert page.status_code == 200
    stale = Assessment.objects.with_context().get(pk=draft.pk)
    assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.alice, revision=draft.revision
    )
    with pytest.raises(AssessmentVersionChanged):
        answers_save(
            assessment=stale, user=world.sam, changes=[AnswerChange(key="gov.q04", value="1")]
        )
    # The page of 1.0 says so in every question it posts; "yes" would be a valid 1.1 answer.
    shown = str(versions[0].pk)
    response = client.post(
        _domain(draft, "gov"),
        {"gov.q04": "yes", "gov.q04--rev": "0", "gov.q04--version": shown},
        follow=True,
    )
    assert "moved to a newer version of the questionnaire while you were working" in (
        response.content.decode()
    )
    assert "gov.q04" not in _answers(draft)
    autosave = client.post(
        _domain(draft, "gov"),
        {"gov.q04": "yes", "gov.q04--rev": "0", "gov.q04--version": shown},
        headers={"X-Autosave": "1"},
    )
    assert autosave.status_code == 409
    assert autosave.json()["locked"] is True
    assert "gov.q04" not in _answers(draft)
    page = client.get(_domain(draft, "gov")).content.decode()
    assert f'name="gov.q04--version" value="{versions[1].pk}"' in page
    assert not Answer.objects.filter(assessment=draft, question__instrument=versions[0]).exists()


def test_a_submitted_assessment_cannot_be_moved(world, draft, versions):
    assessment_submit(assessment=draft, user=world.sam)
    draft.refresh_from_db()
    response = _client(world.alice).post(
        _move_url(draft), {"instrument": versions[1].pk, "revision": draft.revision}, follow=True
    )
    assert response.status_code == 200
    assert "This assessment is submitted, so it keeps its questionnaire version" in (
        response.content.decode()
    )
    assert _client(world.alice).get(_move_url(draft)).status_code == 302
    with pytest.raises(MoveError, match="submitted"):
        assessment_move_to_version(
            assessment=draft, instrument=versions[1], user=world.alice, revision=draft.revision
        )
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[0]


def test_a_reopened_assessment_can_be_moved(world, draft, versions):
    from assessments.services import assessment_reopen

    assessment_submit(assessment=draft, user=world.sam)
    assessment_reopen(assessment=draft, user=world.alice)
    draft.refresh_from_db()
    assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.alice, revision=draft.revision
    )
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[1]


@pytest.mark.parametrize("who", ["victor", "carla", "oscar"])
def test_viewers_consultants_and_other_organisations_get_a_404(world, draft, versions, who):
    client = _client(getattr(world, who))
    assert client.get(_move_url(draft)).status_code == 404
    assert _post_move(client, draft, versions[1]).status_code == 404
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[0]


def test_a_site_admin_of_another_site_gets_a_404(world, versions):
    hospital = factories.make_assessment(world.hospital, versions[0])
    assert _client(world.sam).get(_move_url(hospital)).status_code == 404
    assert _post_move(_client(world.sam), hospital, versions[1]).status_code == 404
    assert Assessment.objects.get(pk=hospital.pk).instrument == versions[0]


@pytest.mark.parametrize(
    "data",
    [
        {"instrument": "abc", "revision": "0"},
        {"instrument": "999999999999", "revision": "0"},
        {"revision": "0"},
        {"instrument": "OLD"},
        {"instrument": "OLD", "revision": "-1"},
        {"instrument": "OLD", "revision": "99999999999999999999"},
    ],
)
def test_bad_input_is_a_message_not_a_500_and_nothing_moves(world, draft, versions, data):
    data = {k: str(versions[0].pk) if v == "OLD" else v for k, v in data.items()}
    response = _client(world.sam).post(_move_url(draft), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert any(
        m in html for m in ("Select a valid choice", "This field is required", "out of date")
    )
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[0]


def test_only_newer_versions_of_the_same_owner_are_offered(world, draft, versions):
    assert newer_versions(draft) == [versions[1]]
    own = factories.load_instrument_text(V1_1.replace('version: "1.1"', 'version: "1.2"'))
    own.organisation = world.other_org
    own.save(update_fields=["organisation"])
    assert newer_versions(draft) == [versions[1]]  # another owner's 1.2 is not offered
    moved = factories.make_assessment(world.clinic, versions[1], round_label="On 1.1")
    assert newer_versions(moved) == []
    response = _client(world.sam).get(_move_url(moved), follow=True)
    assert "already uses the newest questionnaire version" in response.content.decode()


def test_the_move_page_queries_do_not_grow_with_the_answers(
    world, versions, django_assert_max_num_queries
):
    small = factories.make_assessment(world.clinic, versions[0], round_label="Small")
    _answer_all(small, world.sam, {"gov.q01": "1"})
    client = _client(world.sam)
    client.get(_move_url(small))  # warm the instrument cache
    with django_assert_max_num_queries(50) as few:
        assert client.get(_move_url(small)).status_code == 200
    large = factories.make_assessment(world.clinic, versions[0], round_label="Large")
    _answer_all(large, world.sam)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(_move_url(large)).status_code == 200


def test_history_queries_do_not_grow_with_moves_entries(
    world, draft, versions, django_assert_max_num_queries
):
    client = _client(world.victor)
    url = reverse("assessments:history", args=[draft.pk])
    assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.sam, revision=draft.revision
    )
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        client.get(url)
    for i in range(5):
        answers_save(
            assessment=draft,
            user=world.sam,
            changes=[AnswerChange(key="care.q01", value=f"Tool {i}", base_revision=i + 1)],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_an_unanswered_draft_moves_with_nothing_to_carry(world, versions):
    draft = factories.make_assessment(
        world.clinic, versions[0], round_date=datetime.date(2020, 1, 1)
    )
    plan = assessment_move_to_version(
        assessment=draft, instrument=versions[1], user=world.sam, revision=draft.revision
    )
    assert plan.carried_count == 0
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[1]


def test_with_two_newer_versions_each_plan_can_be_seen_and_chosen(world, draft, versions):
    later = factories.load_instrument_text(
        V1_1.replace('version: "1.1"', 'version: "1.2"').replace("gov.q06", "gov.q07")
    )
    client = _client(world.sam)
    html = client.get(_move_url(draft)).content.decode()
    assert "Move to version 1.2" in html  # the newest by default
    assert f"?to={versions[1].pk}" in html
    other = client.get(_move_url(draft), {"to": versions[1].pk}).content.decode()
    assert "Version 1.0 → 1.1" in other
    assert client.get(_move_url(draft), {"to": "nonsense"}).status_code == 200
    response = _post_move(client, draft, versions[1])
    assert response.status_code == 302
    assert Assessment.objects.get(pk=draft.pk).instrument == versions[1]
    assert newer_versions(Assessment.objects.with_context().get(pk=draft.pk)) == [later]
