"""Answers through the API: the questionnaire's rules, its conflict handling (a stale write
is a 409 with the current answer), its audit trail marked "via API"."""

from __future__ import annotations

from assessments.models import Answer, AuditEntry
from assessments.services import AnswerChange, answers_save, assessment_submit
from respondents.models import Assignment
from tests import factories
from tests.api.conftest import api_client


def _url(assessment, key: str = "") -> str:
    return f"/api/v1/assessments/{assessment.pk}/answers/" + (f"{key}/" if key else "")


def test_all_answers_are_read_with_their_revisions(world, as_victor):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[AnswerChange(key="gov.q03", value="2", comment="Monthly")],
    )
    body = as_victor.get(_url(assessment)).json()
    assert body["count"] == 6
    rows = {row["question"]: row for row in body["results"]}
    assert rows["gov.q03"]["value"] == "2"
    assert rows["gov.q03"]["revision"] == 1
    assert rows["gov.q03"]["answered_by"]["name"] == "Sam Site"
    assert rows["gov.q01"] == {
        "question": "gov.q01",
        "number": "1.1",
        "domain": "gov",
        "value": "",
        "comment": "",
        "evidence": "",
        "revision": 0,
        "answered_by": None,
        "answered_at": None,
        "carried_over": False,
    }
    assert [
        r["question"] for r in as_victor.get(_url(assessment) + "?domain=ops").json()["results"]
    ] == [
        "ops.q01",
        "ops.q02",
    ]


def test_several_answers_are_written_and_audited_via_the_api(world, as_sam):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    response = as_sam.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "gov.q01", "value": "yes", "revision": 0},
                {"question": "gov.q03", "value": 3, "comment": "Minutes", "revision": 0},
            ]
        },
    )
    assert response.status_code == 200, response.content
    saved = {row["question"]: row for row in response.json()["answers"]}
    assert saved["gov.q03"]["value"] == "3"
    assert saved["gov.q03"]["revision"] == 1
    assert assessment.answer_values() == {"gov.q01": "yes", "gov.q03": "3"}
    entries = AuditEntry.objects.filter(assessment=assessment, action="answer")
    assert {(e.subject, e.via, e.user_id) for e in entries} == {
        ("gov.q01", "api", world.sam.pk),
        ("gov.q03", "api", world.sam.pk),
    }
    history = as_sam.get(f"/api/v1/assessments/{assessment.pk}/history/").json()["results"]
    assert {h["via"] for h in history} == {"api"}


def test_the_pages_changes_are_not_marked_via_the_api(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(assessment=assessment, user=world.sam, changes=[AnswerChange("gov.q01", "yes")])
    assert AuditEntry.objects.get(assessment=assessment).via == ""


def test_a_stale_write_is_a_409_with_the_current_answer(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    # Sam answered first (revision 1); Alice's script still has revision 0.
    answers_save(assessment=assessment, user=world.sam, changes=[AnswerChange("gov.q03", "2")])
    response = as_alice.put_json(_url(assessment, "gov.q03"), {"value": "4", "revision": 0})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith(":conflict")
    assert body["status"] == 409
    assert body["current"]["value"] == "2"
    assert body["current"]["revision"] == 1
    assert body["current"]["answered_by"]["name"] == "Sam Site"
    assert body["conflicts"]["gov.q03"]["yours"]["value"] == "4"
    assert assessment.answer_values() == {"gov.q03": "2"}
    # Sent again on the current revision, it replaces Sam's answer knowingly.
    again = as_alice.put_json(_url(assessment, "gov.q03"), {"value": "4", "revision": 1})
    assert again.status_code == 200
    assert again.json()["revision"] == 2
    assert assessment.answer_values() == {"gov.q03": "4"}


def test_in_a_batch_the_stale_answer_is_refused_and_the_others_saved(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(assessment=assessment, user=world.sam, changes=[AnswerChange("gov.q03", "2")])
    response = as_alice.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "gov.q03", "value": "4", "revision": 0},
                {"question": "ops.q01", "value": "all", "revision": 0},
            ]
        },
    )
    assert response.status_code == 409
    body = response.json()
    assert set(body["conflicts"]) == {"gov.q03"}
    assert [row["question"] for row in body["saved"]] == ["ops.q01"]
    assert "current" not in body  # several answers: each conflict carries its own
    assert assessment.answer_values() == {"gov.q03": "2", "ops.q01": "all"}


def test_a_bad_value_names_its_answer_and_nothing_is_saved(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    response = as_alice.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "gov.q01", "value": "yes", "revision": 0},
                {"question": "gov.q03", "value": "9", "revision": 0},
                {"question": "gov.q04", "value": "x", "comment": "y" * 5001, "revision": 0},
                {"question": "nope.q1", "value": "x", "revision": 0},
            ]
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"answers[3].question"}  # unknown keys are named first
    response = as_alice.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "gov.q01", "value": "yes", "revision": 0},
                {"question": "gov.q03", "value": "9", "revision": 0},
                {"question": "gov.q04", "value": "x", "comment": "y" * 5001, "revision": 0},
            ]
        },
    )
    errors = response.json()["errors"]
    assert errors["answers[1].value"] == ["Choose one of the listed answers or Not applicable."]
    assert "answers[2].comment" in errors
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_missing_revision_or_a_question_named_twice_is_refused(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    missing = as_alice.post_json(
        _url(assessment), {"answers": [{"question": "gov.q01", "value": "yes"}]}
    )
    assert missing.status_code == 400
    assert "answers[0].revision" in missing.json()["errors"]
    twice = as_alice.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "gov.q01", "value": "yes", "revision": 0},
                {"question": "gov.q01", "value": "no", "revision": 0},
            ]
        },
    )
    assert twice.status_code == 400
    assert "answers[1].question" in twice.json()["errors"]


def test_a_left_out_comment_keeps_its_text(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.alice,
        changes=[AnswerChange("gov.q03", "2", comment="Monthly", evidence="Minutes")],
    )
    response = as_alice.put_json(_url(assessment, "gov.q03"), {"value": "3", "revision": 1})
    assert response.status_code == 200
    answer = Answer.objects.get(assessment=assessment)
    assert (answer.value, answer.comment, answer.evidence) == ("3", "Monthly", "Minutes")


def test_a_submitted_assessment_is_a_409_and_unchanged(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    assessment_submit(assessment=assessment, user=world.alice)
    response = as_alice.put_json(_url(assessment, "gov.q01"), {"value": "yes", "revision": 0})
    assert response.status_code == 409
    assert response.json()["type"].endswith(":locked")
    assert not Answer.objects.exists()


def test_an_assigned_viewer_writes_their_domain_only(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    Assignment.objects.create(assessment=assessment, domain_key="ops", user=world.victor)
    client = api_client(world.victor)
    assert (
        client.put_json(_url(assessment, "ops.q01"), {"value": "all", "revision": 0}).status_code
        == 200
    )
    refused = client.put_json(_url(assessment, "gov.q01"), {"value": "yes", "revision": 0})
    assert refused.status_code == 403
    mixed = client.post_json(
        _url(assessment),
        {
            "answers": [
                {"question": "ops.q02", "value": "3", "revision": 0},
                {"question": "gov.q01", "value": "yes", "revision": 0},
            ]
        },
    )
    assert mixed.status_code == 403
    assert assessment.answer_values() == {"ops.q01": "all"}


def test_an_unknown_question_is_a_404(world, as_alice):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    assert as_alice.get(_url(assessment, "gov.q99")).status_code == 404
    assert (
        as_alice.put_json(_url(assessment, "gov.q99"), {"value": "x", "revision": 0}).status_code
        == 404
    )
