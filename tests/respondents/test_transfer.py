"""Independent answers in the assessment JSON (issue 15): the export carries the mode, each
respondent's assignments and own answers and the consensus notes, only as far as the person
exporting may see them; the import restores them, and a bad file names the key and changes
nothing."""

from __future__ import annotations

import copy
import datetime
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, AuditEntry, Membership, Site
from assessments.transfer import TransferError, assessment_import, validate_import
from assessments.transfer_export import dumps, export_assessment
from evidence.transfer import export_with_evidence
from reports.report import build_report
from respondents.independent import independent_mode_set, respondent_domain_done
from respondents.models import (
    Assignment,
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)
from tests import factories
from tests.conftest import World
from tests.respondents import scenario

pytestmark = pytest.mark.django_db


def _without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("id", "exported_at")}


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Assessment,
            Answer,
            AuditEntry,
            Assignment,
            AssignmentEvent,
            RespondentAnswer,
            ConsensusNote,
            IndependentAnswering,
        )
    }


@pytest.fixture
def independent(world: World) -> Assessment:
    """The scenario, with a due date, a removed respondent and a domain not marked done."""
    assessment = scenario.independent_assessment(world)
    Assignment.objects.filter(assessment=assessment, domain_key="gov").update(
        due_date=datetime.date(2026, 4, 1)
    )
    sam_answers = {"ops": {"ops.q01": "some"}}
    scenario.assign(assessment, world.alice, world.sam)
    Assignment.objects.filter(assessment=assessment, user=world.sam, domain_key="gov").delete()
    scenario.respond(assessment, world.sam, sam_answers, done=False)
    Assignment.objects.filter(assessment=assessment, user=world.sam).update(
        removed_at=datetime.datetime(2026, 3, 5, tzinfo=datetime.UTC)
    )
    return Assessment.objects.with_context().get(pk=assessment.pk)


def test_the_export_carries_the_mode_the_respondents_and_the_consensus_notes(world, independent):
    data = export_assessment(independent)
    assert list(data)[-4:] == ["mode", "respondents", "consensus_notes", "results"]
    assert data["mode"] == "independent"
    victor, carla, sam = data["respondents"]
    assert victor["email"] == "victor@example.org"
    assert (victor["name"], victor["role"]) == ("Victor Viewer", "viewer")
    assert carla["role"] == "consultant"
    assert list(victor["domains"]) == ["gov", "ops"]
    gov = victor["domains"]["gov"]
    assert gov["removed"] is False
    assert gov["due_date"] == "2026-04-01"
    assert datetime.datetime.fromisoformat(gov["done_at"]).tzinfo is not None
    assert victor["answers"]["gov.q03"] == {
        "value": "4",
        "comment": "Victor on gov.q03",
        "evidence": "",
    }
    assert list(victor["answers"]) == [
        "gov.q01",
        "gov.q02",
        "gov.q03",
        "gov.q04",
        "ops.q01",
        "ops.q02",
    ]
    assert carla["answers"]["ops.q02"]["value"] == "na"
    # Removed and never done: kept in the record, marked (the command exports everything).
    assert sam["domains"] == {"ops": {"done_at": None, "removed": True, "due_date": None}}
    assert sam["answers"] == {
        "ops.q01": {"value": "some", "comment": "Sam on ops.q01", "evidence": ""}
    }
    assert data["consensus_notes"] == scenario.NOTES
    # The consensus is the assessment's answers, as in the single-answer mode.
    assert data["answers"]["gov.q03"]["value"] == "2"


def test_a_single_answer_export_says_so(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    data = export_assessment(assessment)
    assert (data["mode"], data["respondents"], data["consensus_notes"]) == ("single", [], {})


def test_export_import_export_keeps_the_respondents_answers_and_the_consensus(world, independent):
    first = json.loads(dumps(export_assessment(independent)))
    independent.delete()
    before = AuditEntry.objects.count()
    imported = assessment_import(
        data=copy.deepcopy(first), user=world.alice, organisation=world.org
    )
    assert _without_ids(json.loads(dumps(export_assessment(imported)))) == _without_ids(first)
    assert IndependentAnswering.objects.filter(assessment=imported).exists()
    assert RespondentAnswer.objects.filter(assessment=imported).count() == 13
    sam = Assignment.objects.get(assessment=imported, user=world.sam)
    assert sam.removed_at is not None
    assert sam.done_at is None
    event = AssignmentEvent.objects.get(assessment=imported, action=AssignmentEvent.Action.MODE)
    assert event.detail == {"independent": True, "imported": True, "respondents": 3}
    audit = AuditEntry.objects.filter(pk__gt=before, action=AuditEntry.Action.IMPORTED).get()
    assert audit.new["respondents"] == 3
    # The report of the copy shows the same disagreements.
    assert [q.key for q in build_report(imported).disagreements.flagged] == [
        "gov.q02",
        "gov.q03",
        "ops.q02",
    ]


def test_the_command_exports_everything(world, independent, capsys):
    call_command("export_assessment", str(independent.pk))
    data = json.loads(capsys.readouterr().out)
    assert [r["email"] for r in data["respondents"]] == [
        "victor@example.org",
        "carla@example.org",
        "sam@example.org",
    ]


# --- blind ----------------------------------------------------------------------------------


@pytest.fixture
def half_done(world: World) -> Assessment:
    """Carla done with both domains; Victor done with ops only, still answering gov."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    scenario.assign(assessment, world.alice, world.victor, world.carla)
    scenario.respond(assessment, world.carla, scenario.CARLA)
    scenario.respond(assessment, world.victor, {"gov": scenario.VICTOR["gov"]}, done=False)
    scenario.respond(assessment, world.victor, {"ops": scenario.VICTOR["ops"]})
    scenario.set_consensus(assessment, world.alice)
    return Assessment.objects.with_context().get(pk=assessment.pk)


def _by_email(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["email"].split("@")[0]: r["answers"] for r in data["respondents"]}


def test_a_respondent_still_answering_exports_nobody_elses_answers_to_that_domain(world, half_done):
    client = Client()
    client.force_login(world.victor)
    response = client.get(reverse("assessments:export-json", args=[half_done.pk]))
    data = json.loads(response.content)
    answers = _by_email(data)
    assert set(answers["victor"]) == {
        "gov.q01",
        "gov.q02",
        "gov.q03",
        "gov.q04",
        "ops.q01",
        "ops.q02",
    }
    # Carla's ops answers (both done), never her gov ones, nor the notes on gov.
    assert set(answers["carla"]) == {"ops.q01", "ops.q02"}
    assert "Carla on gov" not in response.content.decode()
    assert data["consensus_notes"] == {}
    # The same file from the function.
    assert _by_email(export_assessment(half_done, viewer=world.victor)) == answers


def test_the_coordinator_exports_only_answers_marked_done(world, half_done):
    answers = _by_email(export_assessment(half_done, viewer=world.alice))
    assert set(answers["victor"]) == {"ops.q01", "ops.q02"}
    assert len(answers["carla"]) == 6
    assert export_assessment(half_done, viewer=world.alice)["consensus_notes"] == scenario.NOTES


def test_once_done_the_respondent_exports_the_others_answers(world, half_done):
    respondent_domain_done(assessment=half_done, user=world.victor, domain_key="gov")
    answers = _by_email(export_assessment(half_done, viewer=world.victor))
    assert len(answers["carla"]) == 6


# --- import errors ----------------------------------------------------------------------------


def _file(world: World, **changes: Any) -> dict[str, Any]:
    data = json.loads(dumps(export_assessment(scenario.independent_assessment(world))))
    Assessment.objects.filter(site=world.clinic).delete()
    data.update(changes)
    return data


Spoil = Callable[[dict[str, Any]], Any]
BAD: list[tuple[str, Spoil, str, str]] = [
    ("mode unknown", lambda d: d.update(mode="several"), "mode", '"single" or "independent"'),
    (
        "unknown e-mail",
        lambda d: d["respondents"][1].update(email="nobody@example.org"),
        "respondents[1].email",
        "no member of Northside Health has the e-mail",
    ),
    (
        "e-mail not text",
        lambda d: d["respondents"][0].update(email=7),
        "respondents[0].email",
        "must be text",
    ),
    (
        "e-mail missing",
        lambda d: d["respondents"][0].pop("email"),
        "respondents[0].email",
        "missing",
    ),
    (
        "twice the same person",
        lambda d: d["respondents"][1].update(email="VICTOR@example.org"),
        "respondents[1].email",
        "appears twice",
    ),
    (
        "respondents not a list",
        lambda d: d.update(respondents={}),
        "respondents",
        "must be a list of respondents",
    ),
    (
        "respondent not an object",
        lambda d: d["respondents"].append("carla"),
        "respondents[2]",
        "must be an object",
    ),
    (
        "unknown respondent field",
        lambda d: d["respondents"][0].update(roles="x"),
        "respondents[0].roles",
        "is not a field here",
    ),
    (
        "unknown domain",
        lambda d: d["respondents"][0]["domains"].update(nope={}),
        "respondents[0].domains.nope",
        "not a domain of this instrument",
    ),
    (
        "no domain",
        lambda d: d["respondents"][0].update(domains={}),
        "respondents[0].domains",
        "at least one domain",
    ),
    (
        "done_at bad",
        lambda d: d["respondents"][0]["domains"]["gov"].update(done_at="yesterday"),
        "respondents[0].domains.gov.done_at",
        "ISO 8601",
    ),
    (
        "removed not bool",
        lambda d: d["respondents"][0]["domains"]["gov"].update(removed="no"),
        "respondents[0].domains.gov.removed",
        "true or false",
    ),
    (
        "due_date bad",
        lambda d: d["respondents"][0]["domains"]["gov"].update(due_date="1 April"),
        "respondents[0].domains.gov.due_date",
        "YYYY-MM-DD",
    ),
    (
        "unknown question",
        lambda d: d["respondents"][0]["answers"].update({"gov.q99": {"value": "1"}}),
        "respondents[0].answers.gov.q99",
        "not a question",
    ),
    (
        "answer outside the respondent's domains",
        lambda d: d["respondents"][0]["domains"].pop("ops"),
        "respondents[0].answers.ops.q01",
        "not a domain of this respondent",
    ),
    (
        "value not allowed",
        lambda d: d["respondents"][1]["answers"]["gov.q03"].update(value="7"),
        "respondents[1].answers.gov.q03.value",
        '"7" is not an allowed option',
    ),
    (
        "value not text",
        lambda d: d["respondents"][1]["answers"]["gov.q03"].update(value=3),
        "respondents[1].answers.gov.q03.value",
        "must be text",
    ),
    (
        "unknown answer field",
        lambda d: d["respondents"][1]["answers"]["gov.q03"].update(files=[]),
        "respondents[1].answers.gov.q03.files",
        "is not a field here",
    ),
    (
        "note for an unknown question",
        lambda d: d["consensus_notes"].update({"gov.q77": "x"}),
        "consensus_notes.gov.q77",
        "not a question",
    ),
    (
        "note not text",
        lambda d: d["consensus_notes"].update({"gov.q03": ["x"]}),
        "consensus_notes.gov.q03",
        "must be text",
    ),
    (
        "respondents in the single-answer mode",
        lambda d: d.update(mode="single"),
        "respondents",
        "independent mode",
    ),
]


@pytest.mark.parametrize(("spoil", "key", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_file_names_the_key_and_changes_nothing(world, spoil, key, words):
    data = _file(world)
    spoil(data)
    before = _counts()
    with pytest.raises(TransferError) as raised:
        assessment_import(data=data, user=world.alice, organisation=world.org)
    assert any(k == key and words in reason for k, reason in raised.value.problems), (
        raised.value.problems
    )
    assert _counts() == before


def test_a_site_admin_of_another_site_cannot_be_a_respondent(world):
    data = _file(world)
    factories.make_membership(
        factories.make_user("hanna"), world.org, Membership.Role.SITE_ADMIN, sites=[world.hospital]
    )
    data["respondents"][0]["email"] = "hanna@example.org"
    with pytest.raises(TransferError) as raised:
        validate_import(data, organisation=world.org)
    assert (
        "respondents[0].email",
        '"hanna@example.org" is a site admin of other sites: only '
        "members who can see this site can answer it",
    ) in raised.value.problems


def test_respondents_cannot_come_into_a_new_organisation(world):
    data = _file(world, organisation="Brand New Org")
    before = _counts()
    with pytest.raises(TransferError) as raised:
        assessment_import(data=data, user=None)
    assert raised.value.problems[0][0] == "respondents[0].email"
    assert "created by this import" in raised.value.problems[0][1]
    assert _counts() == before
    assert not Site.objects.filter(organisation__name="Brand New Org").exists()


def test_a_file_without_the_new_keys_imports_in_the_single_answer_mode(world):
    data = _file(world)
    for key in ("mode", "respondents", "consensus_notes"):
        data.pop(key)
    assessment = assessment_import(data=data, user=world.alice, organisation=world.org)
    assert not IndependentAnswering.objects.filter(assessment=assessment).exists()


def test_the_export_with_evidence_follows_the_same_rule(world, half_done):
    export = export_with_evidence(assessment=half_done, user_id=world.victor.pk)
    with zipfile.ZipFile(export.file) as archive:
        data = json.loads(archive.read("assessment.json"))
    assert set(_by_email(data)["carla"]) == {"ops.q01", "ops.q02"}
    everything = export_with_evidence(assessment=half_done, user_id=None)
    with zipfile.ZipFile(everything.file) as archive:
        data = json.loads(archive.read("assessment.json"))
    assert len(_by_email(data)["carla"]) == 6
