"""The published JSON Schema of assessment files judges them as the import does.

A script or an editor checks a file against assessments/assessment.schema.json before it is
imported; the import checks it with the models the schema is generated from, plus what only the
database knows. These tests keep the schema, the models and the export from drifting apart.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pydantic import ValidationError

from assessments.assessment_format import (
    ANSWER_FIELDS,
    SCHEMA_PATH,
    AssessmentFormat,
    schema_text,
)
from assessments.management.commands import assessment_schema
from assessments.models import Assessment
from assessments.transfer import TransferError, validate_import
from assessments.transfer_export import dumps, export_assessment
from tests.assessments import test_transfer
from tests.assessments.test_transfer import BAD_FILES, _valid_file

# Every question type, N/A, unicode, custom targets, submitted (a fixture of test_transfer).
full_assessment = test_transfer.full_assessment

# Cases of test_transfer.BAD_FILES that the models refuse although a JSON Schema cannot say
# why: a day that is not in the calendar, more than one decimal in a float, a lone surrogate.
MODELS_ONLY = {"round_date bad", "target two decimals", "lone surrogate"}
# Cases that only the database can judge: the format accepts them.
DATABASE_ONLY = {
    "unknown instrument",
    "unknown version",
    "unknown question",
    "option not allowed",
    "choice not allowed",
    "na not allowed",
    "unknown domain target",
}


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _models_accept(data: Any) -> bool:
    try:
        AssessmentFormat.model_validate(data)
    except ValidationError:
        return False
    return True


def test_the_published_schema_is_generated_from_the_validating_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "assessment.schema.json is stale: run ./manage.py assessment_schema"
    )


def test_the_schema_command_says_when_the_published_file_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "assessment.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(assessment_schema.Command, "path", stale)
    with pytest.raises(CommandError, match="assessment.schema.json is stale"):
        call_command("assessment_schema", "--check")


def test_the_schema_command_writes_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "assessment.schema.json"
    monkeypatch.setattr(assessment_schema.Command, "path", target)
    out = io.StringIO()
    call_command("assessment_schema", stdout=out)
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["properties"]["format"]["const"] == "readiness-assessment/1"
    assert out.getvalue() == "assessment.schema.json written\n"


def test_the_schema_states_the_keys_and_limits_of_the_format() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    answer = schema["$defs"]["AnswerFormat"]
    assert schema["required"] == [
        "format",
        "instrument",
        "organisation",
        "site",
        "round",
        "status",
        "targets",
        "answers",
    ]
    # More keys may be added at the top (PRODUCT.md), but an answer's fields are fixed.
    assert schema["additionalProperties"] is True
    assert answer["additionalProperties"] is False
    assert list(answer["properties"]) == list(ANSWER_FIELDS)
    assert answer["required"] == ["value"]
    assert answer["properties"]["comment"]["maxLength"] == 5000
    assert schema["properties"]["site"]["maxLength"] == 200
    assert schema["properties"]["round"]["maxLength"] == 100
    assert schema["$defs"]["Status"]["enum"] == ["draft", "submitted", "reopened"]
    assert schema["$defs"]["Status"]["enum"] == Assessment.Status.values
    target = schema["properties"]["targets"]["additionalProperties"]
    assert (target["minimum"], target["maximum"]) == (0, 100)


def test_an_exported_file_is_valid_by_the_schema_and_by_the_models(world, full_assessment):
    data = json.loads(dumps(export_assessment(full_assessment)))
    assert [error.message for error in _validator().iter_errors(data)] == []
    assert _models_accept(data)
    assert list(data) == [*AssessmentFormat.model_fields]


@pytest.mark.parametrize(
    ("spoil", "name"), [(case[1], case[0]) for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_every_bad_file_is_judged_alike_by_the_schema_and_by_the_models(world, spoil, name):
    valid = _valid_file(status="submitted")
    spoilt = spoil(valid)
    data: Any = spoilt if isinstance(spoilt, list) else valid
    with pytest.raises(TransferError):
        validate_import(data)
    schema_accepts = _validator().is_valid(data)
    if name in MODELS_ONLY:
        assert (schema_accepts, _models_accept(data)) == (True, False)
    elif name in DATABASE_ONLY:
        assert (schema_accepts, _models_accept(data)) == (True, True)
    else:
        assert (schema_accepts, _models_accept(data)) == (False, False)


def test_the_valid_fixture_is_valid_by_the_schema_and_by_the_models(world):
    data = _valid_file()
    assert _validator().is_valid(data)
    assert _models_accept(data)


def test_a_review_key_may_be_as_long_as_a_question_key(world):
    # An instrument's question keys may have 120 characters; its export must import again.
    longest = "gov." + "q" * 116
    assert len(longest) == 120
    assert _validator().is_valid(_valid_file(review=[longest]))
    assert _models_accept(_valid_file(review=[longest]))
    assert not _validator().is_valid(_valid_file(review=[longest + "q"]))
    assert not _models_accept(_valid_file(review=[longest + "q"]))
