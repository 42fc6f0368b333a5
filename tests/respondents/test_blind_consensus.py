"""The consensus answers of a domain follow the blind rule (respondents/blind.py): a respondent
still answering the domain sees none of them (value, comment, evidence note) on the History's
"Answers and status" and in the JSON export (the results page and the gap report: in
test_blind_consensus_report.py), until they mark their part done; everyone else sees them.

The scenario of tests/respondents/scenario.py, everyone done and the consensus set; then the
coordinator gives Victor's part of "gov" back to him (he answers it again).
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse

from assessments.assessment_format import SCHEMA_PATH
from assessments.models import Answer, AuditEntry
from assessments.services import AnswerChange
from assessments.transfer import assessment_import
from assessments.transfer_export import dumps, export_assessment
from respondents.blind import PartState, audit_visible, rule_of
from respondents.independent import (
    consensus_save,
    respondent_domain_done,
    respondent_domain_reopen,
)
from respondents.models import Assignment
from tests.api.conftest import api_client
from tests.respondents.scenario import independent_assessment

GOV = {"comment": "Gov-k5 consensus remark", "evidence": "Gov-k4 minutes binder"}
OPS = {"comment": "Ops-k3 consensus remark", "evidence": "Ops-k2 runbook"}
DOMAIN_OF = {"gov.q01": "gov", "gov.q02": "gov", "ops.q01": "ops"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reopened(world):
    assessment = independent_assessment(world)
    for key, marks in (("gov.q01", GOV), ("ops.q01", OPS)):
        answer = Answer.objects.get(assessment=assessment, question__key=key)
        outcome = consensus_save(
            assessment=assessment,
            user=world.alice,
            domain_key=key.split(".")[0],
            changes=[
                AnswerChange(key=key, value=answer.value, base_revision=answer.revision, **marks)
            ],
            notes={},
        )
        assert not outcome.conflicts
    assignment = Assignment.objects.get(assessment=assessment, user=world.victor, domain_key="gov")
    respondent_domain_reopen(assignment=assignment, user=world.alice)
    return assessment


def _marks(text: str) -> set[str]:
    found = set()
    for name, marks in (("gov", GOV), ("ops", OPS)):
        if any(mark in text for mark in marks.values()):
            found.add(name)
    return found


# --- the rule ---------------------------------------------------------------------------------


def test_the_rule_hides_a_domains_consensus_from_whoever_still_answers_it_only():
    parts = [PartState(1, "gov", None, None), PartState(2, "gov", "done", None)]
    victor = rule_of(parts, viewer_id=1, domain_of=DOMAIN_OF)
    assert not victor.shows_consensus("gov")
    assert victor.shows_consensus("ops")
    assert not victor.shows_consensus(None)  # a question no longer asked
    for viewer in (2, 3):  # done; answers nothing
        rule = rule_of(parts, viewer_id=viewer, domain_of=DOMAIN_OF)
        assert rule.shows_consensus("gov")
        assert rule.shows_consensus(None)
        assert rule.consensus_hidden(question="subject") is None
    removed = rule_of([PartState(1, "gov", None, "removed")], viewer_id=1, domain_of=DOMAIN_OF)
    assert removed.shows_consensus("gov")
    file_rule = rule_of(parts, viewer_id=None, domain_of=DOMAIN_OF, still_answering={"ops"})
    assert not file_rule.shows_consensus("ops")
    assert file_rule.shows_consensus("gov")


@pytest.mark.django_db
def test_the_sql_form_hides_exactly_the_consensus_shows_consensus_refuses(world):
    from tests import factories

    assessment = factories.make_assessment(world.clinic, world.instrument)
    for key in [*DOMAIN_OF, "old.q9"]:
        AuditEntry.objects.create(
            assessment=assessment, user=world.alice, action=AuditEntry.Action.ANSWER, subject=key
        )
    entries = AuditEntry.objects.filter(assessment=assessment)
    for still in (set(), {"gov"}, {"ops"}, {"gov", "ops"}):
        rule = rule_of([], viewer_id=None, domain_of=DOMAIN_OF, still_answering=still)
        hidden = rule.consensus_hidden(question="subject")
        kept = set(
            (entries.exclude(hidden) if hidden else entries).values_list("subject", flat=True)
        )
        assert kept == {
            e.subject for e in entries if rule.shows_consensus(DOMAIN_OF.get(e.subject))
        }, still


# --- History ----------------------------------------------------------------------------------


def test_the_history_hides_the_answer_lines_of_the_domain_being_answered(world, reopened):
    url = reverse("assessments:history", args=[reopened.pk])
    assert _marks(_client(world.victor).get(url).content.decode()) == {"ops"}
    assert _marks(_client(world.alice).get(url).content.decode()) == {"gov", "ops"}
    assert _marks(_client(world.carla).get(url).content.decode()) == {"gov", "ops"}
    # As SQL: the queryset stays a queryset (pages stay pages), the other lines kept.
    entries = audit_visible(
        AuditEntry.objects.filter(assessment=reopened), reopened, viewer_id=world.victor.pk
    )
    subjects = set(
        entries.filter(action=AuditEntry.Action.ANSWER).values_list("subject", flat=True)
    )
    assert subjects
    assert all(s.startswith("ops.") for s in subjects)
    assert entries.filter(action=AuditEntry.Action.STATUS).count() == (
        AuditEntry.objects.filter(assessment=reopened, action=AuditEntry.Action.STATUS).count()
    )
    # The API's history, the same rule.
    api = f"/api/v1/assessments/{reopened.pk}/history/"
    assert _marks(api_client(world.victor).get(api).content.decode()) == {"ops"}
    assert _marks(api_client(world.alice).get(api).content.decode()) == {"gov", "ops"}
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    assert _marks(_client(world.victor).get(url).content.decode()) == {"gov", "ops"}
    assert _marks(api_client(world.victor).get(api).content.decode()) == {"gov", "ops"}


# --- JSON export ------------------------------------------------------------------------------


def test_the_json_export_leaves_out_the_domains_consensus_and_stays_valid(world, reopened):
    response = _client(world.victor).get(reverse("assessments:export-json", args=[reopened.pk]))
    data = json.loads(response.content)
    assert not [k for k in data["answers"] if k.startswith("gov.")]
    assert data["answers"]["ops.q01"]["comment"] == OPS["comment"]
    assert _marks(response.content.decode()) == {"ops"}
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    # Its import has no consensus on "gov", as its reader had none.
    data = {**copy.deepcopy(data), "round": "copy"}
    copied = assessment_import(data=data, user=world.alice, organisation=world.org)
    again = export_assessment(copied)
    assert not [k for k in again["answers"] if k.startswith("gov.")]
    # Alice's and the command's copies hold both.
    alice = json.loads(dumps(export_assessment(reopened, viewer=world.alice)))
    assert alice["answers"]["gov.q01"]["evidence"] == GOV["evidence"]
    assert _marks(dumps(export_assessment(reopened))) == {"gov", "ops"}
