"""Reassessment rounds: the next round prefilled (same or newer version) and the round diff."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessments.carry_over import carry_over_plan
from assessments.models import Answer, Assessment, AuditEntry, Instrument
from assessments.round_diff import round_diff
from assessments.rounds import (
    RoundAlreadyStarted,
    RoundError,
    assessment_start_next_round,
    next_round_instruments,
    suggest_round_label,
    version_key,
)
from assessments.services import (
    AnswerChange,
    answers_confirm_carried_over,
    answers_save,
    assessment_submit,
)
from tests import factories
from tests.conftest import World

# Version 1.1 of the small instrument: gov.q03 became yes/no (a "3" no longer fits), ops.q01
# lost its "some" option, gov.q04 is gone and ops.q03 is new.
SMALL_1_1 = """
slug: small-test
version: "1.1"
title: Small test instrument
default_target: 60
domains:
  - key: gov
    title: Governance
    questions:
      - key: gov.q01
        type: yes_no
        text: Do you use an AI vendor that receives patient data?
        help: A register of AI vendors exists.
        recommendation: Make a register of AI vendors.
      - key: gov.q02
        type: yes_no
        text: Is a business associate agreement signed with every such vendor?
        help: Every vendor that receives PHI has a signed BAA.
        critical: true
        allow_na: false
        recommendation: Sign a BAA before any PHI reaches the vendor.
        show_if: {question: gov.q01, in: ["yes"]}
      - key: gov.q03
        type: yes_no
        text: Is there an AI governance committee?
        help: A committee meets and keeps minutes.
        recommendation: Set up a committee.
  - key: ops
    title: Operations
    weight: 2
    target: 70
    questions:
      - key: ops.q01
        type: choice
        text: How is AI output reviewed?
        help: A clinician reviews every output.
        recommendation: Require clinician review.
        options:
          - {value: "none", label: "Not reviewed", score: 0}
          - {value: "all", label: "Always", score: 3}
      - key: ops.q02
        type: scale
        text: Is AI uptime monitored?
        help: Dashboards and alerts exist.
        recommendation: Monitor uptime.
      - key: ops.q03
        type: yes_no
        text: Is there a fallback when the AI tool is down?
        help: A written downtime procedure exists.
        recommendation: Write a downtime procedure.
"""


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answers(assessment: Assessment) -> dict[str, str]:
    return dict(assessment.answers.values_list("question__key", "value"))


@pytest.fixture
def submitted(world: World) -> Assessment:
    """The clinic's spring round, answered by Sam and submitted."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="yes", comment="Two vendors"),
            AnswerChange(key="gov.q02", value="no"),
            AnswerChange(key="gov.q03", value="2", evidence="Minutes of March"),
            AnswerChange(key="gov.q04", value="Scribe, triage bot"),
            AnswerChange(key="ops.q01", value="some"),
            AnswerChange(key="ops.q02", value="na"),
        ],
    )
    assessment.targets = {"gov": 75.0}
    assessment.save(update_fields=["targets"])
    assessment_submit(assessment=assessment, user=world.sam)
    assessment.refresh_from_db()
    return assessment


# --- starting the next round ----------------------------------------------------------------


def test_the_next_round_is_a_draft_prefilled_with_every_answer(world, submitted):
    nxt = assessment_start_next_round(
        previous=submitted,
        user=world.alice,
        round_label="2026 autumn",
        round_date=datetime.date(2026, 9, 1),
    )
    assert nxt.status == Assessment.Status.DRAFT
    assert (nxt.site, nxt.instrument, nxt.previous) == (world.clinic, world.instrument, submitted)
    assert (nxt.round_label, nxt.round_date) == ("2026 autumn", datetime.date(2026, 9, 1))
    assert nxt.targets == {"gov": 75.0}
    assert _answers(nxt) == _answers(submitted)
    answers = list(nxt.answers.select_related("question"))
    assert all(a.carried_over and a.revision == 1 for a in answers)
    q03 = next(a for a in answers if a.question.key == "gov.q03")
    assert q03.evidence == "Minutes of March"
    assert q03.answered_by == world.sam  # who gave the answer, not who started the round
    # The previous round is left as it was.
    assert not submitted.answers.filter(carried_over=True).exists()
    assert Assessment.objects.get(pk=submitted.pk).status == Assessment.Status.SUBMITTED


def test_every_carried_answer_is_audited_as_imported(world, submitted):
    nxt = assessment_start_next_round(previous=submitted, user=world.alice)
    imported = AuditEntry.objects.filter(assessment=nxt, action=AuditEntry.Action.IMPORTED)
    assert sorted(imported.values_list("subject", flat=True)) == sorted(_answers(submitted))
    entry = imported.get(subject="gov.q01")
    assert entry.user == world.alice
    assert entry.new["value"] == "yes"
    assert entry.new["comment"] == "Two vendors"
    assert entry.new["note"] == "Carried over from 2026 spring"
    created = AuditEntry.objects.get(assessment=nxt, action=AuditEntry.Action.CREATED)
    assert created.new["carried over"] == 6
    assert created.new["previous round"] == "2026 spring"


def test_the_next_round_gets_a_sensible_default_name_and_date(world, submitted):
    nxt = assessment_start_next_round(previous=submitted, user=world.alice)
    assert nxt.round_label == "2026 autumn"
    assert nxt.round_date >= submitted.round_date


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026 spring", "2026 autumn"),
        ("2026 autumn", "2027 spring"),
        ("Round 2", "Round 3"),
        ("Q9", "Q10"),
        ("Baseline", "Baseline (next round)"),
    ],
)
def test_the_suggested_label_follows_the_previous_round(label, expected):
    assert suggest_round_label(label) == expected


def test_version_key_orders_numerically():
    assert sorted(["1.10", "1.9", "1.0", "2.0"], key=version_key) == ["1.0", "1.9", "1.10", "2.0"]


def test_only_one_next_round_can_be_in_progress(world, submitted):
    first = assessment_start_next_round(previous=submitted, user=world.alice)
    with pytest.raises(RoundAlreadyStarted) as raised:
        assessment_start_next_round(previous=submitted, user=world.sam, round_label="Again")
    assert raised.value.assessment == first
    assert Assessment.objects.filter(previous=submitted).count() == 1


def test_a_draft_cannot_start_a_next_round(world):
    draft = factories.make_assessment(world.clinic, world.instrument)
    with pytest.raises(RoundError, match="Only a submitted assessment"):
        assessment_start_next_round(previous=draft, user=world.alice)


def test_the_next_round_cannot_switch_to_another_instrument(world, submitted):
    other = factories.load_instrument()  # clinical-ai
    with pytest.raises(RoundError, match="same instrument"):
        assessment_start_next_round(previous=submitted, user=world.alice, instrument=other)


def test_the_next_round_cannot_go_back_to_an_older_version(world):
    newer = factories.load_instrument_text(SMALL_1_1)
    previous = factories.make_assessment(world.clinic, newer, status=Assessment.Status.SUBMITTED)
    assert next_round_instruments(previous) == [newer]
    with pytest.raises(RoundError):
        assessment_start_next_round(
            previous=previous, user=world.alice, instrument=world.instrument
        )


def test_answers_map_by_key_to_a_newer_version(world, submitted):
    newer = factories.load_instrument_text(SMALL_1_1)
    assert next_round_instruments(submitted) == [world.instrument, newer]
    plan = carry_over_plan(previous=submitted, instrument=newer)
    # gov.q03 "2" is no answer of a yes/no question, ops.q01 "some" was withdrawn, gov.q04 is gone.
    assert sorted(plan.dropped) == ["gov.q03", "gov.q04", "ops.q01"]
    assert plan.new_questions == ("ops.q03",)
    nxt = assessment_start_next_round(previous=submitted, user=world.alice, instrument=newer)
    assert nxt.instrument == newer
    assert _answers(nxt) == {"gov.q01": "yes", "gov.q02": "no", "ops.q02": "na"}
    assert set(nxt.answers.values_list("question__instrument", flat=True)) == {newer.pk}
    assert all(nxt.answers.values_list("carried_over", flat=True))


def test_changing_or_confirming_a_carried_answer_clears_the_mark(world, submitted):
    nxt = assessment_start_next_round(previous=submitted, user=world.alice)
    outcome = answers_save(
        assessment=nxt,
        user=world.sam,
        changes=[AnswerChange(key="gov.q03", value="4", base_revision=1)],
    )
    assert "gov.q03" in outcome.saved
    answers_confirm_carried_over(assessment=nxt, user=world.sam, keys=["gov.q01"])
    carried = dict(nxt.answers.values_list("question__key", "carried_over"))
    assert carried["gov.q03"] is False
    assert carried["gov.q01"] is False
    assert carried["ops.q01"] is True


# --- the next-round page --------------------------------------------------------------------


def _next_url(assessment: Assessment) -> str:
    return reverse("assessments:next-round", args=[assessment.pk])


def test_the_detail_page_offers_the_next_round_to_those_who_may_create(world, submitted):
    url = reverse("assessments:detail", args=[submitted.pk])
    assert "Start the next round" in _client(world.alice).get(url).content.decode()
    assert "Start the next round" in _client(world.sam).get(url).content.decode()
    assert "Start the next round" not in _client(world.victor).get(url).content.decode()
    assert "Changes since previous round" not in _client(world.alice).get(url).content.decode()


def test_the_form_shows_what_each_version_would_carry(world, submitted):
    factories.load_instrument_text(SMALL_1_1)
    response = _client(world.sam).get(_next_url(submitted))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 1.1 (newer)" in html
    assert 'value="2026 autumn"' in html
    plans = dict((i.version, p) for i, p in response.context["plans"])
    assert plans["1.0"].carried_count == 6
    assert plans["1.1"].carried_count == 3


def test_posting_the_form_starts_the_round_and_opens_it(world, submitted):
    newer = factories.load_instrument_text(SMALL_1_1)
    response = _client(world.sam).post(
        _next_url(submitted),
        {"round_label": "2026 autumn", "round_date": "2026-09-01", "instrument": newer.pk},
    )
    nxt = Assessment.objects.get(previous=submitted)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:take", args=[nxt.pk])
    assert nxt.instrument == newer
    assert nxt.created_by == world.sam


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"round_label": "", "round_date": "2026-09-01"}, "This field is required."),
        (
            {"round_label": "2026 spring", "round_date": "2026-09-01"},
            "This site already has a round with this name",
        ),
        (
            {"round_label": "Later", "round_date": "2020-01-01"},
            "The next round cannot be dated before the previous one",
        ),
        ({"round_label": "Later", "round_date": "someday"}, "Enter a valid date."),
        (
            {"round_label": "Later", "round_date": "2026-09-01", "instrument": "999999"},
            "Select a valid choice.",
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field(world, submitted, data, message):
    data = {"instrument": str(world.instrument.pk), **data}
    response = _client(world.alice).post(_next_url(submitted), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assessment.objects.filter(previous=submitted).exists()


def test_a_second_post_goes_to_the_round_already_started(world, submitted):
    client = _client(world.alice)
    data = {
        "round_label": "2026 autumn",
        "round_date": "2026-09-01",
        "instrument": world.instrument.pk,
    }
    client.post(_next_url(submitted), data)
    response = client.post(_next_url(submitted), {**data, "round_label": "Again"})
    assert Assessment.objects.filter(previous=submitted).count() == 1
    assert response["Location"] == reverse(
        "assessments:detail", args=[Assessment.objects.get(previous=submitted).pk]
    )


def test_a_viewer_may_not_start_a_round_and_strangers_get_a_404(world, submitted):
    assert _client(world.victor).post(_next_url(submitted), {}).status_code == 403
    assert _client(world.carla).get(_next_url(submitted)).status_code == 403
    assert _client(world.oscar).get(_next_url(submitted)).status_code == 404
    hospital_round = factories.make_assessment(
        world.hospital, world.instrument, status=Assessment.Status.SUBMITTED
    )
    assert _client(world.sam).get(_next_url(hospital_round)).status_code == 404
    assert not Assessment.objects.filter(previous__isnull=False).exists()


def test_a_draft_or_an_archived_site_sends_back_with_a_message(world, submitted):
    draft = factories.make_assessment(world.clinic, world.instrument, round_label="2026 autumn")
    response = _client(world.alice).post(_next_url(draft), {}, follow=True)
    assert "Submit this assessment before starting the next round." in response.content.decode()
    world.clinic.archived = True
    world.clinic.save()
    response = _client(world.alice).post(_next_url(submitted), {}, follow=True)
    assert "This site is archived" in response.content.decode()
    assert not Assessment.objects.filter(previous=submitted).exists()


# --- round to round -------------------------------------------------------------------------


@pytest.fixture
def next_round(world, submitted) -> Assessment:
    """Sam improves the committee, confirms gov.q01, and review slips to "none"."""
    nxt = assessment_start_next_round(previous=submitted, user=world.alice)
    answers_save(
        assessment=nxt,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q03", value="4", base_revision=1),
            AnswerChange(key="gov.q02", value="yes", base_revision=1),
        ],
    )
    answers_save(
        assessment=nxt,
        user=world.alice,
        changes=[
            AnswerChange(key="ops.q01", value="none", base_revision=1),
            AnswerChange(key="gov.q04", value="Scribe only", base_revision=1),
        ],
    )
    answers_confirm_carried_over(assessment=nxt, user=world.sam, keys=["gov.q01"])
    return nxt


def _by_key(diff) -> dict[str, tuple[str, object]]:
    return {q.key: (status, q) for status, items in diff.groups.items() for q in items}


def test_the_diff_groups_questions_by_what_happened(world, next_round):
    diff = round_diff(assessment=next_round)
    by_key = _by_key(diff)
    assert {k: s for k, (s, _) in by_key.items()} == {
        "gov.q01": "unchanged",
        "gov.q02": "improved",
        "gov.q03": "improved",
        "gov.q04": "other",  # free text: changed, not better or worse
        "ops.q01": "slipped",
        "ops.q02": "unchanged",
    }
    q03 = by_key["gov.q03"][1]
    assert (q03.old_label, q03.new_label) == ("Partially in place", "In place and monitored")
    assert q03.changed_by == "Sam Site"
    ops = by_key["ops.q01"][1]
    assert (ops.old_label, ops.new_label, ops.changed_by) == (
        "Sometimes",
        "Not reviewed",
        "Alice Admin",
    )
    assert by_key["ops.q02"][1].new_label == "Not applicable"
    assert by_key["ops.q02"][1].carried_unconfirmed is True
    assert by_key["gov.q01"][1].carried_unconfirmed is False
    assert by_key["gov.q01"][1].changed_by == "Sam Site"  # who confirmed it
    assert diff.carried_unconfirmed == 1


def test_the_diff_shows_each_domains_score_and_level_before_and_after(world, next_round):
    # Scored by hand (PRODUCT.md, "Scoring"). The submitted spring round: gov.q01 yes (s=1),
    # gov.q02 no (s=0, critical: a blocker), gov.q03 "2" (s=2/4), so gov = 100 * 1.5 / 3 = 50.0,
    # level 3 capped at 2; ops.q01 "some" (s=1/3), ops.q02 N/A, so ops = 33.3, level 2; overall
    # (1 * 50.0 + 2 * 33.3) / 3 = 38.87 -> 38.9, level 2; a blocker, so "Not ready".
    # The autumn draft, scored live: gov.q02 yes, gov.q03 "4", so gov = 100.0, level 5;
    # ops.q01 "none" (s=0), so ops = 0.0, level 1; overall (100.0 + 2 * 0.0) / 3 = 33.33 -> 33.3,
    # level 2; a domain at level 1, so "Not ready" again.
    diff = round_diff(assessment=next_round)
    assert [(d.key, d.old_score, d.old_level, d.new_score, d.new_level) for d in diff.domains] == [
        ("gov", Decimal("50.0"), 2, Decimal("100.0"), 5),
        ("ops", Decimal("33.3"), 2, Decimal("0.0"), 1),
    ]
    assert [(d.change, d.direction) for d in diff.domains] == [
        (Decimal("50.0"), "up"),
        (Decimal("-33.3"), "down"),
    ]
    assert diff.current_is_live
    assert (diff.old_overall, diff.old_level) == (Decimal("38.9"), 2)
    assert (diff.new_overall, diff.new_level) == (Decimal("33.3"), 2)
    assert diff.overall_change == Decimal("-5.6")
    assert (diff.old_verdict, diff.new_verdict) == ("Not ready", "Not ready")


def test_the_diff_across_versions_marks_new_and_dropped_questions(world, submitted):
    newer = factories.load_instrument_text(SMALL_1_1)
    nxt = assessment_start_next_round(previous=submitted, user=world.alice, instrument=newer)
    answers_save(assessment=nxt, user=world.sam, changes=[AnswerChange(key="ops.q03", value="yes")])
    by_key = _by_key(round_diff(assessment=nxt))
    assert by_key["ops.q03"][0] == "other"
    assert by_key["ops.q03"][1].note == "New question in this version"
    assert by_key["gov.q04"][1].note == "No longer asked in this version"
    # "2" on the old scale, no answer on the new yes/no question: not comparable.
    assert by_key["gov.q03"][0] == "other"
    assert by_key["gov.q03"][1].note == "Not answered in this round"


def test_the_round_diff_page_shows_each_group_and_the_carried_over_mark(world, next_round):
    url = reverse("assessments:round-diff", args=[next_round.pk])
    response = _client(world.victor).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026 spring → 2026 autumn" in html
    assert "Carried over, not confirmed" in html
    for title in ("Improved", "Slipped", "Other changes", "Unchanged"):
        assert title in html
    assert "Partially in place" in html
    assert "In place and monitored" in html
    detail = _client(world.victor).get(reverse("assessments:detail", args=[next_round.pk]))
    assert "Changes since previous round" in detail.content.decode()


def test_the_round_diff_is_404_without_a_previous_round_or_for_strangers(world, next_round):
    assert (
        _client(world.oscar)
        .get(reverse("assessments:round-diff", args=[next_round.pk]))
        .status_code
        == 404
    )
    assert (
        _client(world.alice)
        .get(reverse("assessments:round-diff", args=[next_round.previous_id]))
        .status_code
        == 404
    )


def test_round_diff_queries_do_not_grow_with_the_answers(world, django_assert_max_num_queries):
    big = factories.load_instrument()
    from assessments.content import instrument_content

    questions = [q for q in instrument_content(big).questions if q.type != "text"]
    previous = factories.make_assessment(world.clinic, big)

    def answer(assessment: Assessment, count: int, index: int) -> None:
        answers_save(
            assessment=assessment,
            user=world.sam,
            changes=[
                AnswerChange(
                    key=q.key,
                    value=q.options[index]["value"],
                    base_revision=Answer.objects.filter(assessment=assessment, question=q).count(),
                )
                for q in questions[:count]
            ],
        )

    answer(previous, 3, 0)
    assessment_submit(assessment=previous, user=world.sam)
    previous.refresh_from_db()
    small = assessment_start_next_round(previous=previous, user=world.sam)
    answer(small, 3, -1)
    small = Assessment.objects.get(pk=small.pk)
    with django_assert_max_num_queries(8) as captured:
        round_diff(assessment=small)
    Assessment.objects.filter(pk=small.pk).delete()
    Assessment.objects.filter(pk=previous.pk).update(status=Assessment.Status.DRAFT)
    answer(previous, len(questions), 1)
    assessment_submit(assessment=previous, user=world.sam)
    previous.refresh_from_db()
    large = assessment_start_next_round(previous=previous, user=world.sam)
    answer(large, len(questions), -1)
    large = Assessment.objects.get(pk=large.pk)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        diff = round_diff(assessment=large)
    assert len(diff.groups["improved"]) > 20
    assert Decimal(0) <= (diff.new_overall or Decimal(0)) <= Decimal(100)
    assert Instrument.objects.filter(pk=big.pk).exists()
