"""Independent answers and consensus (issue 15): respondents answer blind, the coordinator
settles a consensus that alone scores."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Answer, AuditEntry
from assessments.services import AnswerChange, answers_save
from respondents.independent import (
    IndependentError,
    consensus_missing,
    consensus_save,
    independent_mode_set,
    respondent_answers_save,
    respondent_answers_visible,
    respondent_domain_done,
)
from respondents.models import AssignmentEvent, ConsensusNote, RespondentAnswer
from respondents.services import assignment_create, assignment_remove
from tests import factories


@pytest.fixture
def assessment(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    for person in (world.victor, world.carla):
        for domain in ("gov", "ops"):
            assignment_create(
                assessment=assessment,
                domain_key=domain,
                respondent=person,
                due_date=None,
                user=world.alice,
            )
    return assessment


def _save(assessment, user, domain, **values):
    changes = [AnswerChange(key=k.replace("_", "."), value=v) for k, v in values.items()]
    return respondent_answers_save(
        assessment=assessment, user=user, domain_key=domain, changes=changes
    )


def _seen(assessment, viewer, domain="gov"):
    return {
        view.user.username: {k: a.value for k, a in view.answers.items()}
        for view in respondent_answers_visible(
            assessment=assessment, viewer=viewer, domain_key=domain
        )
    }


def test_the_mode_is_set_before_answers_only_and_audited(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    assert AssignmentEvent.objects.filter(
        assessment=assessment, action=AssignmentEvent.Action.MODE, detail={"independent": True}
    ).exists()
    independent_mode_set(assessment=assessment, user=world.alice, enabled=False)
    answers_save(assessment=assessment, user=world.alice, changes=[AnswerChange("gov.q01", "yes")])
    with pytest.raises(IndependentError, match="before anyone has answered"):
        independent_mode_set(assessment=assessment, user=world.alice, enabled=True)


def test_respondents_answer_blind_until_done(world, assessment):
    _save(assessment, world.victor, "gov", gov_q01="yes", gov_q03="1")
    _save(assessment, world.carla, "gov", gov_q01="no")
    # Their saves never touch the assessment's answers.
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert _seen(assessment, world.victor) == {
        "victor": {"gov.q01": "yes", "gov.q03": "1"},
        "carla": {},
    }
    assert _seen(assessment, world.carla) == {"victor": {}, "carla": {"gov.q01": "no"}}
    # The coordinator neither, before they mark done.
    assert _seen(assessment, world.alice) == {"victor": {}, "carla": {}}
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assert _seen(assessment, world.alice)["victor"] == {"gov.q01": "yes", "gov.q03": "1"}
    assert _seen(assessment, world.alice)["carla"] == {}
    # Carla still answers gov: she sees Victor's answers only once she marked hers done too.
    assert _seen(assessment, world.carla)["victor"] == {}
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assert _seen(assessment, world.carla)["victor"] == {"gov.q01": "yes", "gov.q03": "1"}
    # Done for gov says nothing about ops.
    _save(assessment, world.victor, "ops", ops_q01="all")
    assert _seen(assessment, world.carla, "ops")["victor"] == {}
    with pytest.raises(IndependentError, match="marked this domain done"):
        _save(assessment, world.victor, "gov", gov_q01="no")


def test_a_stale_save_is_refused(world, assessment):
    _save(assessment, world.victor, "gov", gov_q01="yes")
    outcome = respondent_answers_save(
        assessment=assessment,
        user=world.victor,
        domain_key="gov",
        changes=[AnswerChange("gov.q01", "no", base_revision=0)],
    )
    assert set(outcome.conflicts) == {"gov.q01"}
    assert RespondentAnswer.objects.get(user=world.victor).value == "yes"


def test_only_assigned_domains_and_questions(world, assessment):
    with pytest.raises(IndependentError, match="not assigned"):
        _save(assessment, world.alice, "gov", gov_q01="yes")
    with pytest.raises(IndependentError, match="not a question of this domain"):
        _save(assessment, world.victor, "gov", ops_q01="all")


def test_a_removed_respondent_keeps_their_answers_marked(world, assessment):
    _save(assessment, world.carla, "gov", gov_q01="no")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assignment = assessment.assignments.get(user=world.carla, domain_key="gov")
    assignment_remove(assignment=assignment, user=world.alice)
    views = respondent_answers_visible(assessment=assessment, viewer=world.alice, domain_key="gov")
    carla = next(v for v in views if v.user == world.carla)
    assert carla.removed
    assert carla.answers["gov.q01"].value == "no"
    with pytest.raises(IndependentError, match="not assigned"):
        _save(assessment, world.carla, "gov", gov_q03="2")


def test_consensus_alone_scores_and_is_required_at_submit(world, assessment):
    _save(assessment, world.victor, "gov", gov_q01="yes", gov_q02="yes", gov_q03="4")
    _save(assessment, world.carla, "gov", gov_q01="yes", gov_q02="no", gov_q03="0")
    # Respondents' answers do not score.
    assert assessment.compute_results().domains[0].score is None
    # gov.q02 is a follow-up of gov.q01: hidden while there is no consensus on its parent.
    assert consensus_missing(assessment) == ["gov.q01", "gov.q03", "ops.q01", "ops.q02"]
    outcome = consensus_save(
        assessment=assessment,
        user=world.alice,
        domain_key="gov",
        changes=[AnswerChange("gov.q01", "yes"), AnswerChange("gov.q03", "2")],
        notes={"gov.q03": "The committee exists but keeps no minutes."},
    )
    assert set(outcome.saved) == {"gov.q01", "gov.q03"}
    assert ConsensusNote.objects.get(question__key="gov.q03").note.startswith("The committee")
    assert AuditEntry.objects.filter(
        assessment=assessment, action=AuditEntry.Action.ANSWER, subject="gov.q03"
    ).exists()
    # The consensus "yes" on gov.q01 shows gov.q02: now it needs a consensus too.
    assert consensus_missing(assessment) == ["gov.q02", "ops.q01", "ops.q02"]
    assert assessment.compute_results().domains[0].score is not None


def test_consensus_is_not_required_in_the_normal_mode(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    assert consensus_missing(assessment) == []


def test_blind_reads_take_the_same_queries_with_more_respondents(world, assessment):
    _save(assessment, world.victor, "gov", gov_q01="yes")
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    with CaptureQueriesContext(connection) as few:
        _seen(assessment, world.alice)
    _save(assessment, world.carla, "gov", gov_q01="no", gov_q03="3")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.alice,
        due_date=None,
        user=world.alice,
    )
    _save(assessment, world.alice, "gov", gov_q01="yes")
    with CaptureQueriesContext(connection) as more:
        seen = _seen(assessment, world.alice)
    assert len(seen) == 3
    assert len(more) == len(few)


def test_the_submit_page_names_the_missing_consensus(world, assessment):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.alice)
    url = reverse("assessments:submit", args=[assessment.pk])
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assessment.refresh_from_db()
    assert assessment.is_editable
    assert "Set a consensus answer first for: gov.q01, gov.q03, ops.q01, ops.q02." in (
        response.content.decode()
    )
    changes = [
        AnswerChange(k, v)
        for k, v in [("gov.q01", "no"), ("gov.q03", "2"), ("ops.q01", "all"), ("ops.q02", "3")]
    ]
    consensus_save(
        assessment=assessment, user=world.alice, domain_key="", changes=changes, notes={}
    )
    client.post(url, {"confirm": "yes"})
    assessment.refresh_from_db()
    assert not assessment.is_editable
