"""The assessment JSON: export shape, validation of imports (nothing written on failure), the
round trip, the export_assessment / import_assessment commands, and a fuzz test of the validator."""

from __future__ import annotations

import copy
import datetime
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.assessment_format import FORMAT
from assessments.instrument_loading import load_file
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    Organisation,
    Site,
)
from assessments.services import (
    AnswerChange,
    answers_save,
    assessment_set_targets,
    assessment_submit,
)
from assessments.transfer import (
    TransferError,
    assessment_import,
    parse_assessment_json,
    validate_import,
)
from assessments.transfer_export import dumps, export_assessment
from tests import factories
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
COMMENT = "Reviewed by the CMIO — «ok»\nsecond line ✓ 日本語"


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organisation, Site, Assessment, Answer, AuditEntry, DomainResult)
    }


def _save(assessment: Assessment, user: Any, **answers: tuple[str, str, str]) -> None:
    changes = [
        AnswerChange(key=key.replace("__", "."), value=v, comment=c, evidence=e)
        for key, (v, c, e) in answers.items()
    ]
    outcome = answers_save(assessment=assessment, user=user, changes=changes)
    assert not outcome.conflicts


@pytest.fixture
def full_assessment(world: World) -> Assessment:
    """Every question type, N/A, a follow-up shown by its trigger, unicode, custom targets, submitted."""
    assessment = factories.make_assessment(
        world.clinic,
        world.instrument,
        round_label="2026 spring — Ω",
        round_date=datetime.date(2026, 3, 1),
    )
    _save(
        assessment,
        world.alice,
        gov__q01=("yes", COMMENT, "Vendor register v3"),
        gov__q02=("no", "", "BAA pending"),  # follow-up of gov.q01, critical: a blocker
        gov__q03=("na", "No committee needed: single practitioner", ""),
        gov__q04=("ChatGPT Enterprise,\nAI scribe «Nabla»", "", ""),
        ops__q01=("some", "", ""),
        ops__q02=("3", "", "Grafana dashboard"),
    )
    assessment_set_targets(
        assessment=assessment,
        user=world.alice,
        targets={"gov": Decimal("72.5")},
    )
    assessment_submit(assessment=assessment, user=world.alice)
    assessment.refresh_from_db()
    return assessment


def _valid_file(**changes: Any) -> dict[str, Any]:
    """A valid file for the small instrument, into an organisation and site that do not exist."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "instrument": {"slug": "small-test", "version": "1.0"},
        "organisation": "Fresh Org",
        "site": "Fresh Site",
        "round": "2026 spring",
        "round_date": "2026-03-01",
        "status": "draft",
        "targets": {"gov": 60, "ops": 70},
        "answers": {
            "gov.q01": {"value": "yes", "comment": "", "evidence": ""},
            "gov.q02": {"value": "yes"},
            "gov.q03": {"value": "2", "comment": "Minutes kept", "evidence": "Folder X"},
            "gov.q04": {"value": "Scribe"},
            "ops.q01": {"value": "all"},
            "ops.q02": {"value": "na"},
        },
        "results": {"overall": {"score": 99.9}},
    }
    data.update(changes)
    return data


# --- export ---------------------------------------------------------------------------------


def test_export_has_the_product_shape_in_a_fixed_key_order(full_assessment):
    data = export_assessment(full_assessment)
    assert list(data) == [
        "format",
        "id",
        "exported_at",
        "instrument",
        "organisation",
        "site",
        "round",
        "round_date",
        "status",
        "targets",
        "answers",
        "review",
        "mode",
        "respondents",
        "consensus_notes",
        "results",
    ]
    assert data["format"] == "readiness-assessment/1"
    assert data["id"] == full_assessment.pk
    assert data["instrument"] == {"slug": "small-test", "version": "1.0"}
    assert data["organisation"] == "Northside Health"
    assert data["site"] == "Northside Clinic"
    assert data["round"] == "2026 spring — Ω"
    assert data["round_date"] == "2026-03-01"
    assert data["status"] == "submitted"
    # Every domain, with its effective target: the custom one and the instrument's.
    assert data["targets"] == {"gov": 72.5, "ops": 70.0}
    assert list(data["answers"]) == [
        "gov.q01",
        "gov.q02",
        "gov.q03",
        "gov.q04",
        "ops.q01",
        "ops.q02",
    ]
    assert data["answers"]["gov.q01"] == {
        "value": "yes",
        "comment": COMMENT,
        "evidence": "Vendor register v3",
    }
    assert data["answers"]["gov.q03"]["value"] == "na"


def test_export_results_are_the_stored_results_of_a_submitted_assessment(full_assessment):
    results = export_assessment(full_assessment)["results"]
    assert results == full_assessment.results
    # Scored by hand (PRODUCT.md, "Scoring"):
    # - gov: gov.q01 yes (s=1), gov.q02 no (s=0, critical: a blocker), gov.q03 N/A, gov.q04
    #   free text. 100 * (1 + 0) / 2 = 50.0, level 3 capped at 2; 3 of 3 scored answered;
    #   gap 72.5 - 50.0 = 22.5.
    # - ops (weight 2): ops.q01 "some" (s=1/3), ops.q02 "3" (s=3/4).
    #   100 * (1/3 + 3/4) / 2 = 54.17 -> 54.2, level 3; gap 70 - 54.2 = 15.8.
    # - overall (1 * 50.0 + 2 * 54.2) / 3 = 52.8, level 3; 5 of 5 answered, so not
    #   provisional; a blocker, so "Not ready".
    # - priorities: gov.q02 1 * (1/2) * 1 * 1.225 * 2 = 1.225; ops.q01 (2/3) * (1/2) * 2 * 1.158
    #   = 0.772; ops.q02 (1/4) * (1/2) * 2 * 1.158 = 0.2895.
    assert results == {
        "overall": {
            "score": 52.8,
            "level": 3,
            "verdict": "Not ready",
            "provisional": False,
            "completeness": 100.0,
        },
        "domains": {
            "gov": {
                "score": 50.0,
                "level": 2,
                "completeness": 100.0,
                "gap": 22.5,
                "target": 72.5,
                "applicable": True,
                "blockers": ["gov.q02"],
            },
            "ops": {
                "score": 54.2,
                "level": 3,
                "completeness": 100.0,
                "gap": 15.8,
                "target": 70.0,
                "applicable": True,
                "blockers": [],
            },
        },
        "action_plan": [
            {"question": "gov.q02", "domain": "gov", "priority": 1.225},
            {"question": "ops.q01", "domain": "ops", "priority": 0.772},
            {"question": "ops.q02", "domain": "ops", "priority": 0.2895},
        ],
        "still_to_answer": [],
    }
    assert full_assessment.result_score == Decimal("52.8")


def test_export_leaves_out_unanswered_questions_and_marks_only_carried_over_answers(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    Answer.objects.create(assessment=assessment, question=_question(world, "gov.q03"), value="1")
    Answer.objects.create(
        assessment=assessment, question=_question(world, "ops.q02"), value="2", carried_over=True
    )
    # A comment without an answer yet is kept too: it is someone's work.
    Answer.objects.create(
        assessment=assessment, question=_question(world, "ops.q01"), value="", comment="Ask IT"
    )
    Answer.objects.create(assessment=assessment, question=_question(world, "gov.q01"), value="")
    answers = export_assessment(assessment)["answers"]
    assert answers == {
        "gov.q03": {"value": "1", "comment": "", "evidence": ""},
        "ops.q01": {"value": "", "comment": "Ask IT", "evidence": ""},
        "ops.q02": {"value": "2", "comment": "", "evidence": "", "carried_over": True},
    }


def test_dumps_is_indented_and_keeps_unicode(full_assessment):
    text = dumps(export_assessment(full_assessment))
    assert text.startswith('{\n  "format": "readiness-assessment/1",')
    assert "日本語" in text
    assert "\\u" not in text
    assert text.endswith("}\n")


def _question(world: World, key: str) -> Any:
    return world.instrument.questions.get(key=key)


# --- round trip -----------------------------------------------------------------------------


def _without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("id", "exported_at")}


def _make_room(assessment: Assessment) -> None:
    """Delete an exported assessment so that its file can come back into the same site
    (a site holds one assessment per instrument and round)."""
    assessment.delete()


def test_export_import_export_gives_the_same_file_apart_from_id_and_time(full_assessment):
    first = dumps(export_assessment(full_assessment))
    original_pk = full_assessment.pk
    _make_room(full_assessment)
    imported = assessment_import(data=parse_assessment_json(first.encode()), user=None)
    second = dumps(export_assessment(imported))
    assert imported.pk != original_pk
    assert dumps(_without_ids(json.loads(second))) == dumps(_without_ids(json.loads(first)))
    assert json.loads(second)["id"] == imported.pk


def test_a_round_trip_keeps_a_draft_and_a_reopened_assessment(world, full_assessment):
    exported = export_assessment(full_assessment)
    _make_room(full_assessment)
    for status in ("draft", "reopened"):
        data = copy.deepcopy(exported)
        data["status"] = status
        imported = assessment_import(data=copy.deepcopy(data), user=None)
        again = export_assessment(imported)
        assert _without_ids(again) == _without_ids(data)
        _make_room(imported)


def test_a_round_trip_of_the_shipped_instrument_keeps_every_answer(world):
    instrument = factories.load_instrument()
    assessment = factories.make_assessment(world.hospital, instrument)
    changes = []
    for question in instrument.questions.order_by("order"):
        if question.type == "text":
            value = f"Notes for {question.key}\n— ünïcode"
        elif question.allow_na and question.order % 5 == 0:
            value = "na"
        else:
            value = question.options[question.order % len(question.options)]["value"]
        changes.append(AnswerChange(key=question.key, value=value, comment=f"c {question.key}"))
    answers_save(assessment=assessment, user=world.alice, changes=changes)
    assessment_submit(assessment=assessment, user=world.alice)
    first = export_assessment(assessment)
    assert len(first["answers"]) == instrument.questions.count()
    _make_room(assessment)
    imported = assessment_import(data=json.loads(dumps(first)), user=None)
    assert _without_ids(export_assessment(imported)) == _without_ids(first)


# --- import ---------------------------------------------------------------------------------


def test_import_creates_organisation_site_answers_and_audit(world):
    before = _counts()
    assessment = assessment_import(data=_valid_file(), user=world.carla)
    assert assessment.site.name == "Fresh Site"
    assert assessment.site.organisation.name == "Fresh Org"
    assert assessment.site.organisation.slug == "fresh-org"
    assert assessment.round_label == "2026 spring"
    assert assessment.round_date == datetime.date(2026, 3, 1)
    assert assessment.status == "draft"
    assert assessment.results is None  # drafts show live results
    assert assessment.answer_values() == {
        "gov.q01": "yes",
        "gov.q02": "yes",
        "gov.q03": "2",
        "gov.q04": "Scribe",
        "ops.q01": "all",
        "ops.q02": "na",
    }
    answer = assessment.answers.get(question__key="gov.q03")
    assert (answer.comment, answer.evidence, answer.answered_by) == (
        "Minutes kept",
        "Folder X",
        world.carla,
    )
    imported = AuditEntry.objects.get(assessment=assessment, action=AuditEntry.Action.IMPORTED)
    assert imported.user == world.carla
    assert imported.new == {
        "organisation": "Fresh Org",
        "site": "Fresh Site",
        "status": "draft",
        "answers": 6,
        "source_id": None,
    }
    answer_audit = AuditEntry.objects.filter(assessment=assessment, action=AuditEntry.Action.ANSWER)
    assert sorted(answer_audit.values_list("subject", flat=True)) == sorted(
        assessment.answer_values()
    )
    assert _counts()["Organisation"] == before["Organisation"] + 1


def test_import_uses_an_existing_organisation_and_site_by_name(world):
    data = _valid_file(organisation="Northside Health", site="Northside Hospital")
    assessment = assessment_import(data=data, user=None)
    assert assessment.site == world.hospital


def test_import_ignores_the_results_in_the_file_and_stores_computed_ones(world):
    data = _valid_file(status="submitted")
    data["results"] = {"overall": {"score": 1.0, "verdict": "Ready"}, "domains": {}}
    assessment = assessment_import(data=data, user=world.alice)
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert assessment.submitted_at is not None
    # Scored by hand from the file's answers (PRODUCT.md, "Scoring"):
    # - gov: gov.q01 yes (s=1), gov.q02 yes (s=1), gov.q03 "2" (s=2/4), gov.q04 free text.
    #   100 * 2.5 / 3 = 83.33 -> 83.3, level 5; target 60, gap 0.
    # - ops (weight 2): ops.q01 "all" (s=3/3), ops.q02 N/A. 100.0, level 5; target 70, gap 0.
    # - overall (1 * 83.3 + 2 * 100.0) / 3 = 94.43 -> 94.4, level 5, "Ready".
    # - priority of gov.q03: (1/2) * (1/3) * 1 * (1 + 0) = 0.16667 -> 0.1667.
    assert assessment.results == {
        "overall": {
            "score": 94.4,
            "level": 5,
            "verdict": "Ready",
            "provisional": False,
            "completeness": 100.0,
        },
        "domains": {
            "gov": {
                "score": 83.3,
                "level": 5,
                "completeness": 100.0,
                "gap": 0.0,
                "target": 60.0,
                "applicable": True,
                "blockers": [],
            },
            "ops": {
                "score": 100.0,
                "level": 5,
                "completeness": 100.0,
                "gap": 0.0,
                "target": 70.0,
                "applicable": True,
                "blockers": [],
            },
        },
        "action_plan": [{"question": "gov.q03", "domain": "gov", "priority": 0.1667}],
        "still_to_answer": [],
    }
    assert assessment.result_score == Decimal("94.4")
    assert list(assessment.domain_results.values_list("domain_key", flat=True)) == ["gov", "ops"]


def test_import_stores_only_targets_that_differ_from_the_instrument(world):
    assessment = assessment_import(data=_valid_file(targets={"gov": 75.5, "ops": 70}), user=None)
    assert assessment.targets == {"gov": 75.5}
    assert export_assessment(assessment)["targets"] == {"gov": 75.5, "ops": 70.0}


def test_import_keeps_carried_over_marks(world):
    data = _valid_file()
    data["answers"]["gov.q03"]["carried_over"] = True
    assessment = assessment_import(data=data, user=None)
    carried = assessment.answers.filter(carried_over=True)
    assert list(carried.values_list("question__key", flat=True)) == ["gov.q03"]


def test_import_without_round_date_uses_today(world):
    data = _valid_file()
    del data["round_date"]
    assessment = assessment_import(data=data, user=None)
    assert assessment.round_date == timezone.localdate()


def test_import_skips_empty_answer_entries(world):
    data = _valid_file(answers={"gov.q03": {"value": "", "comment": "", "evidence": ""}})
    assessment = assessment_import(data=data, user=None)
    assert assessment.answers.count() == 0


# Each case: how to spoil a valid file, the key the error must name, and words it must say.
BAD_FILES: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    ("not an object", lambda d: [d], "file", "JSON object"),
    ("format missing", lambda d: d.pop("format"), "format", "missing"),
    (
        "format wrong",
        lambda d: d.update(format="readiness-assessment/2"),
        "format",
        "not supported",
    ),
    ("instrument missing", lambda d: d.pop("instrument"), "instrument", "missing"),
    (
        "instrument not an object",
        lambda d: d.update(instrument="small-test"),
        "instrument",
        "object",
    ),
    (
        "unknown instrument",
        lambda d: d["instrument"].update(slug="nope"),
        "instrument",
        "no instrument",
    ),
    ("unknown version", lambda d: d["instrument"].update(version="9.9"), "instrument", "9.9"),
    (
        "version a number",
        lambda d: d["instrument"].update(version=1.0),
        "instrument.version",
        "text",
    ),
    (
        "unknown question",
        lambda d: d["answers"].update({"gov.q99": {"value": "1"}}),
        "answers.gov.q99",
        "not a question",
    ),
    (
        "option not allowed",
        lambda d: d["answers"].update({"ops.q02": {"value": "7"}}),
        "answers.ops.q02.value",
        '"7" is not an allowed option (allowed: 0, 1, 2, 3, 4, na)',
    ),
    (
        "choice not allowed",
        lambda d: d["answers"].update({"ops.q01": {"value": "most"}}),
        "answers.ops.q01.value",
        "allowed: none, some, all, na",
    ),
    (
        "na not allowed",
        lambda d: d["answers"].update({"gov.q02": {"value": "na"}}),
        "answers.gov.q02.value",
        '"na" is not allowed',
    ),
    (
        "value a number",
        lambda d: d["answers"].update({"ops.q02": {"value": 3}}),
        "answers.ops.q02.value",
        "must be text",
    ),
    (
        "value missing",
        lambda d: d["answers"].update({"ops.q02": {"comment": "x"}}),
        "answers.ops.q02.value",
        "missing",
    ),
    (
        "value null",
        lambda d: d["answers"].update({"ops.q02": {"value": None}}),
        "answers.ops.q02.value",
        "null",
    ),
    (
        "comment not text",
        lambda d: d["answers"]["gov.q03"].update(comment=["a"]),
        "answers.gov.q03.comment",
        "must be text",
    ),
    (
        "evidence not text",
        lambda d: d["answers"]["gov.q03"].update(evidence={}),
        "answers.gov.q03.evidence",
        "must be text",
    ),
    (
        "unknown answer field",
        lambda d: d["answers"]["gov.q03"].update(coment="x"),
        "answers.gov.q03.coment",
        "not an answer field",
    ),
    (
        "carried_over not bool",
        lambda d: d["answers"]["gov.q03"].update(carried_over="yes"),
        "answers.gov.q03.carried_over",
        "true or false",
    ),
    (
        "answer not an object",
        lambda d: d["answers"].update({"gov.q03": "2"}),
        "answers.gov.q03",
        "must be an object",
    ),
    ("answers not an object", lambda d: d.update(answers=[]), "answers", "must be an object"),
    ("answers missing", lambda d: d.pop("answers"), "answers", "missing"),
    ("target text", lambda d: d["targets"].update(gov="60"), "targets.gov", "number from 0 to 100"),
    (
        "target too high",
        lambda d: d["targets"].update(gov=100.5),
        "targets.gov",
        "number from 0 to 100",
    ),
    (
        "target negative",
        lambda d: d["targets"].update(ops=-1),
        "targets.ops",
        "number from 0 to 100",
    ),
    ("target true", lambda d: d["targets"].update(gov=True), "targets.gov", "number from 0 to 100"),
    ("target two decimals", lambda d: d["targets"].update(gov=60.25), "targets.gov", "one decimal"),
    (
        "unknown domain target",
        lambda d: d["targets"].update(nope=50),
        "targets.nope",
        "not a domain",
    ),
    ("targets not an object", lambda d: d.update(targets=60), "targets", "must be an object"),
    ("targets missing", lambda d: d.pop("targets"), "targets", "missing"),
    ("round missing", lambda d: d.pop("round"), "round", "missing"),
    ("round empty", lambda d: d.update(round="   "), "round", "empty"),
    ("round not text", lambda d: d.update(round=2026), "round", "must be text"),
    ("round too long", lambda d: d.update(round="r" * 101), "round", "too long"),
    ("round_date bad", lambda d: d.update(round_date="2026-13-01"), "round_date", "YYYY-MM-DD"),
    ("round_date not text", lambda d: d.update(round_date=20260301), "round_date", "YYYY-MM-DD"),
    ("status unknown", lambda d: d.update(status="done"), "status", "draft, submitted, reopened"),
    ("status missing", lambda d: d.pop("status"), "status", "missing"),
    ("status a list", lambda d: d.update(status=["draft"]), "status", "not one of"),
    ("organisation missing", lambda d: d.pop("organisation"), "organisation", "missing"),
    ("organisation not text", lambda d: d.update(organisation=5), "organisation", "must be text"),
    ("organisation empty", lambda d: d.update(organisation=""), "organisation", "empty"),
    ("site missing", lambda d: d.pop("site"), "site", "missing"),
    ("site not text", lambda d: d.update(site={"name": "x"}), "site", "must be text"),
    ("site too long", lambda d: d.update(site="s" * 201), "site", "too long"),
    (
        "comment too long",
        lambda d: d["answers"]["gov.q03"].update(comment="c" * 5001),
        "answers.gov.q03.comment",
        "too long (5001 characters; at most 5000)",
    ),
    (
        "evidence too long",
        lambda d: d["answers"]["gov.q03"].update(evidence="e" * 5001),
        "answers.gov.q03.evidence",
        "too long",
    ),
    (
        "free text too long",
        lambda d: d["answers"]["gov.q04"].update(value="v" * 5001),
        "answers.gov.q04.value",
        "too long",
    ),
    (
        "NUL in a comment",
        lambda d: d["answers"]["gov.q03"].update(comment="a\x00b"),
        "answers.gov.q03.comment",
        "NUL",
    ),
    (
        "lone surrogate",
        lambda d: d["answers"]["gov.q03"].update(evidence="\ud800"),
        "answers.gov.q03.evidence",
        "invalid character",
    ),
]


@pytest.mark.parametrize(
    ("spoil", "key", "words"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES]
)
def test_a_bad_file_names_the_key_and_changes_nothing(world, spoil, key, words):
    valid = _valid_file(status="submitted")
    spoilt = spoil(valid)
    # Most cases change the file in place; "not an object" returns a replacement.
    data: Any = spoilt if isinstance(spoilt, list) else valid
    before = _counts()
    with pytest.raises(TransferError) as raised:
        assessment_import(data=data, user=world.alice)
    assert any(k == key and words in reason for k, reason in raised.value.problems), (
        raised.value.problems
    )
    assert f"{key}: " in str(raised.value)
    assert "\n" not in str(raised.value)
    assert _counts() == before


def test_every_problem_is_reported_at_once(world):
    data = _valid_file(round="", status="gone")
    data["answers"]["ops.q02"] = {"value": "9"}
    with pytest.raises(TransferError) as raised:
        validate_import(data)
    keys = [key for key, _ in raised.value.problems]
    assert keys == ["round", "status", "answers.ops.q02.value"]
    assert str(raised.value).endswith("(and 2 more problems)")


def test_another_organisations_instrument_is_reported_as_unknown(world):
    text = factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: other-own")
    load_file(text.encode(), name="other-own.yaml", organisation=world.other_org)
    data = _valid_file(organisation="Northside Health", site="Northside Clinic")
    data["instrument"] = {"slug": "other-own", "version": "1.0"}
    before = _counts()
    with pytest.raises(TransferError, match=r'^instrument: no instrument "other-own"'):
        assessment_import(data=data, user=None)
    assert _counts() == before
    # Its own organisation may use it.
    data.update(organisation="Other Org", site="Other Clinic")
    assert assessment_import(data=data, user=None).instrument.slug == "other-own"


def test_an_instrument_is_never_loaded_from_the_file(world):
    data = _valid_file()
    data["instrument"] = {"slug": "clinical-ai", "version": "1.0", "domains": []}
    with pytest.raises(TransferError, match="instrument: no instrument"):
        assessment_import(data=data, user=None)


def test_an_archived_site_is_refused(world):
    world.hospital.archived = True
    world.hospital.save()
    data = _valid_file(organisation="Northside Health", site="Northside Hospital")
    with pytest.raises(TransferError, match="^site: .*archived"):
        assessment_import(data=data, user=None)


def test_a_missing_site_is_refused_when_sites_may_not_be_added(world):
    before = _counts()
    with pytest.raises(TransferError, match='^site: there is no site "Fresh Site" in Northside'):
        assessment_import(
            data=_valid_file(), user=world.carla, organisation=world.org, allow_new_site=False
        )
    assert _counts() == before


def test_import_into_an_organisation_ignores_the_files_organisation(world):
    data = _valid_file(organisation="Other Org", site="Northside Clinic")
    assessment = assessment_import(data=data, user=world.carla, organisation=world.org)
    assert assessment.site == world.clinic


def test_a_failure_while_writing_leaves_nothing(world, monkeypatch):
    from assessments import transfer

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(transfer, "assessment_submit", broken)
    before = _counts()
    with pytest.raises(RuntimeError):
        assessment_import(data=_valid_file(status="submitted"), user=None)
    assert _counts() == before


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not UTF-8"),
        (b'{"a": 1, "a": 2}', 'the key "a" appears twice'),
        (b'{"a": NaN}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"1" * 5000 + b"}", "is not valid JSON"),
        (b"", "is not valid JSON"),
    ],
    ids=["broken", "binary", "duplicate", "nan", "deep", "huge-int", "empty"],
)
def test_parsing_refuses_what_is_not_plain_json(raw, words):
    with pytest.raises(TransferError) as raised:
        parse_assessment_json(raw)
    assert raised.value.problems[0][0] == "file"
    assert words in str(raised.value)


def test_parsing_accepts_a_byte_order_mark():
    assert parse_assessment_json(b'\xef\xbb\xbf{"format": "x"}') == {"format": "x"}


# --- commands -------------------------------------------------------------------------------


def _import_command(path: Path) -> list[str]:
    out = io.StringIO()
    call_command("import_assessment", str(path), stdout=out)
    return out.getvalue().splitlines()


def test_import_command_prints_the_new_id_on_the_last_line(world, tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_valid_file(status="submitted")), encoding="utf-8")
    lines = _import_command(path)
    assessment = Assessment.objects.get(pk=int(lines[-1]))
    assert assessment.status == "submitted"
    assert assessment.site.organisation.name == "Fresh Org"
    assert "Fresh Org / Fresh Site" in lines[0]


def test_import_command_fails_with_one_line_naming_the_key(world, tmp_path):
    data = _valid_file()
    data["answers"]["ops.q02"] = {"value": "7"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = _counts()
    with pytest.raises(CommandError) as raised:
        _import_command(path)
    message = str(raised.value)
    assert "\n" not in message
    assert 'answers.ops.q02.value: "7" is not an allowed option' in message
    assert raised.value.returncode == 1
    assert _counts() == before


@pytest.mark.parametrize("content", [b"not json", b"\x00\x01\x02\xff", b"[]"])
def test_import_command_refuses_a_file_that_is_not_an_assessment(world, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="file: "):
        _import_command(path)


def test_import_command_refuses_a_missing_file(world, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        _import_command(tmp_path / "missing.json")


def test_the_import_command_exits_with_status_1_and_one_line(tmp_path):
    # A real process: the exit status and stderr are what scripts see.
    path = tmp_path / "bad.json"
    path.write_text("{oops", encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "import_assessment", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert "file: is not valid JSON" in done.stderr


def test_export_command_writes_the_json_to_stdout(full_assessment):
    out = io.StringIO()
    call_command("export_assessment", str(full_assessment.pk), stdout=out)
    data = json.loads(out.getvalue())
    assert _without_ids(data) == _without_ids(export_assessment(full_assessment))
    assert out.getvalue() == dumps(data)


def test_export_command_writes_a_file_that_imports(full_assessment, tmp_path):
    path = tmp_path / "out.json"
    call_command(
        "export_assessment", str(full_assessment.pk), "-o", str(path), stderr=io.StringIO()
    )
    _make_room(full_assessment)
    lines = _import_command(path)
    imported = Assessment.objects.get(pk=int(lines[-1]))
    assert _without_ids(export_assessment(imported)) == _without_ids(json.loads(path.read_text()))


def test_export_command_refuses_an_unknown_id(world):
    with pytest.raises(CommandError, match="^no assessment with id 999999$"):
        call_command("export_assessment", "999999", stdout=io.StringIO())


# --- fuzz -----------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["na", "yes", "no", "0", "4", "some", "gov", "gov.q01", "ops.q02", ""])
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["gov.q01", "gov.q02", "gov.q03", "gov.q04", "ops.q01", "ops.q02", "gov.q9", "x"]
)
_values = st.sampled_from(["yes", "no", "na", "0", "2", "4", "none", "all", "", "Free text"])
_answer = (
    st.fixed_dictionaries(
        {"value": _values},
        optional={"comment": st.text(max_size=20), "evidence": st.text(max_size=20)},
    )
    | st.fixed_dictionaries(
        {},
        optional={
            "value": _scalars,
            "comment": _scalars,
            "evidence": _scalars,
            "carried_over": _scalars,
        },
    )
    | _json
)
_targets = st.dictionaries(
    st.sampled_from(["gov", "ops", "nope"]),
    st.integers(min_value=0, max_value=100) | _scalars,
    max_size=3,
)


@st.composite
def _near_valid(draw: st.DrawFn) -> Any:
    """A valid file with a few of its parts replaced by random ones."""
    data = _valid_file(status=draw(st.sampled_from(["draft", "submitted", "reopened", "x"])))
    data["answers"] = draw(st.dictionaries(_keys, _answer, max_size=6))
    data["targets"] = draw(_targets | _json)
    for key in draw(st.lists(st.sampled_from(list(data)), max_size=2)):
        if draw(st.booleans()):
            data.pop(key, None)
        else:
            data[key] = draw(_json)
    return data


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_json | _near_valid())
def test_fuzz_the_validator_only_raises_its_own_error_and_never_writes(world, data):
    before = _counts()
    error = None
    try:
        validate_import(data)
    except TransferError as exc:
        error = exc
    if error is not None:
        assert error.problems
        assert "\n" not in str(error)
        str(error).encode("utf-8")  # printable on a terminal and in a page
    assert _counts() == before


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_near_valid())
def test_fuzz_an_import_either_succeeds_or_writes_nothing(world, data):
    before = _counts()
    try:
        assessment = assessment_import(data=copy.deepcopy(data), user=None)
    except TransferError:
        event("refused")
        assert _counts() == before
    else:
        event("imported")
        assert assessment.pk is not None
        # What was written exports and imports again unchanged.
        exported = export_assessment(assessment)
        _make_room(assessment)
        again = assessment_import(data=json.loads(dumps(exported)), user=None)
        assert _without_ids(export_assessment(again)) == _without_ids(exported)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzz_parsing_only_raises_its_own_error(raw):
    error = None
    try:
        parse_assessment_json(raw)
    except TransferError as exc:
        error = exc
    assert error is None or error.problems[0][0] == "file"
