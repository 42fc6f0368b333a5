"""Independent answers through the API: the blind rule of the pages, the respondent's own
writes, the consensus (the answers that score), and no shared writes in this mode."""

from __future__ import annotations

from assessments.models import Answer
from respondents.models import Assignment, ConsensusNote, IndependentAnswering, RespondentAnswer
from tests import factories
from tests.api.conftest import api_client


def _independent(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    IndependentAnswering.objects.create(assessment=assessment, set_by=world.alice)
    for user in (world.victor, world.carla):
        Assignment.objects.create(assessment=assessment, domain_key="gov", user=user)
    return assessment


def _write(client, assessment, value: str, revision: int = 0):
    return client.post_json(
        f"/api/v1/assessments/{assessment.pk}/respondent-answers/",
        {
            "domain": "gov",
            "answers": [{"question": "gov.q03", "value": value, "revision": revision}],
        },
    )


def _seen(client, assessment) -> dict[str, list[str]]:
    body = client.get(f"/api/v1/assessments/{assessment.pk}/respondent-answers/").json()
    return {r["user"]["name"]: [a["value"] for a in r["answers"]] for r in body["results"]}


def test_nobody_sees_a_respondents_answers_before_they_are_done(world):
    assessment = _independent(world)
    victor, carla = api_client(world.victor), api_client(world.carla)
    assert _write(victor, assessment, "3").status_code == 200
    assert _write(carla, assessment, "1").status_code == 200
    assert _seen(victor, assessment) == {"Victor Viewer": ["3"], "Carla Consultant": []}
    assert _seen(api_client(world.alice), assessment) == {
        "Victor Viewer": [],
        "Carla Consultant": [],
    }
    done = victor.post_json(
        f"/api/v1/assessments/{assessment.pk}/respondent-answers/done/", {"domain": "gov"}
    )
    assert done.status_code == 204
    # Carla is still answering: she sees Victor's only once she is done too.
    assert _seen(carla, assessment)["Victor Viewer"] == []
    assert _seen(api_client(world.alice), assessment)["Victor Viewer"] == ["3"]
    assert _write(victor, assessment, "4", revision=1).status_code == 409  # done: locked
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_stale_own_write_is_a_409_and_unassigned_domains_are_refused(world):
    assessment = _independent(world)
    victor = api_client(world.victor)
    _write(victor, assessment, "3")
    stale = _write(victor, assessment, "2", revision=0)
    assert stale.status_code == 409
    assert stale.json()["current"]["value"] == "3"
    other = victor.post_json(
        f"/api/v1/assessments/{assessment.pk}/respondent-answers/",
        {"domain": "ops", "answers": [{"question": "ops.q01", "value": "all", "revision": 0}]},
    )
    assert other.status_code == 403
    wrong = victor.post_json(
        f"/api/v1/assessments/{assessment.pk}/respondent-answers/",
        {"domain": "gov", "answers": [{"question": "ops.q01", "value": "all", "revision": 0}]},
    )
    assert wrong.status_code == 400
    assert RespondentAnswer.objects.get().value == "3"


def test_the_consensus_is_what_scores_and_shared_writes_are_refused(world, as_alice):
    assessment = _independent(world)
    shared = as_alice.put_json(
        f"/api/v1/assessments/{assessment.pk}/answers/gov.q03/", {"value": "2", "revision": 0}
    )
    assert shared.status_code == 409
    assert shared.json()["type"].endswith(":independent-mode")
    url = f"/api/v1/assessments/{assessment.pk}/consensus/"
    set_ = as_alice.post_json(
        url,
        {
            "domain": "gov",
            "answers": [
                {
                    "question": "gov.q03",
                    "value": "2",
                    "revision": 0,
                    "note": "Agreed at the meeting",
                }
            ],
        },
    )
    assert set_.status_code == 200, set_.content
    assert assessment.answer_values() == {"gov.q03": "2"}
    assert ConsensusNote.objects.get().note == "Agreed at the meeting"
    read = {r["question"]: r for r in as_alice.get(f"{url}?domain=gov").json()["results"]}
    assert read["gov.q03"]["note"] == "Agreed at the meeting"
    assert read["gov.q03"]["revision"] == 1
    # A viewer assigned to the domain is a respondent, not a coordinator.
    assert api_client(world.victor).get(f"{url}?domain=gov").status_code == 403
