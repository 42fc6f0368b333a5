"""The published JSON Schema of instrument files judges them as the loader does.

An author's editor checks a file against assessments/instruments/instrument.schema.json while
it is typed; the loader checks it with the models the schema is generated from, plus the rules
no schema states. These tests keep the two from drifting apart.
"""

from __future__ import annotations

import inspect
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from pydantic import ValidationError

from assessments.instrument_format import SCHEMA_PATH, InstrumentFormat, schema_text
from assessments.instrument_reader import read_instrument
from assessments.instruments import INSTRUMENTS_DIR, InstrumentError
from assessments.management.commands import instrument_schema
from tests.assessments import test_instruments

SHIPPED = test_instruments.SHIPPED

# Fixtures of test_instruments.py that the format accepts and a rule in code refuses: what a
# JSON Schema cannot state (duplicates, references between questions, option scores, which
# question types take options, a key under its own domain, recommendations on scored
# questions). The fixtures giving options to yes_no and text questions leave out a score, so
# the schema refuses them too. A new fixture the schema accepts must be added here on purpose.
RULES_IN_CODE = {
    "test_it_rejects_a_duplicate_domain_key",
    "test_it_rejects_a_duplicate_question_key",
    "test_it_rejects_a_question_key_without_its_domain_prefix",
    "test_it_requires_a_recommendation_on_a_scored_question",
    "test_it_rejects_a_choice_question_without_options",
    "test_it_rejects_options_whose_highest_score_is_zero",
    "test_it_rejects_duplicate_option_values",
    "test_it_rejects_a_show_if_to_an_unknown_question",
    "test_it_rejects_a_show_if_to_a_later_question",
    "test_it_rejects_a_show_if_to_the_question_itself",
    "test_it_rejects_show_if_values_that_are_not_options_of_the_referred_question",
    "test_it_rejects_a_show_if_to_a_text_question",
}
# Fixtures that are not YAML a schema could look at (syntax errors, a key given twice, a
# file past the reader's size limit).
NOT_YAML = {
    "test_it_reports_invalid_yaml_with_the_line_number",
    "test_it_rejects_a_key_given_twice_in_one_mapping_naming_key_and_line",
    "test_it_refuses_a_file_over_one_megabyte",
}


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _format_accepts(data: Any) -> bool:
    try:
        InstrumentFormat.model_validate(data)
    except ValidationError:
        return False
    return True


def _invalid_fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every broken file the tests of test_instruments.py give to their `problems` helper.

    Each such test is run with a `problems` that records the text before checking it as usual,
    so a fixture added there is judged here too.
    """
    recorded: dict[str, list[str]] = {}
    original = test_instruments.problems
    for name, test in vars(test_instruments).items():
        if not name.startswith("test_") or "problems(" not in inspect.getsource(test):
            continue
        texts = recorded.setdefault(name, [])

        def record(
            tmp_path: Path, text: str, name: str = "bad-1.0.yaml", *, _into: list[str] = texts
        ) -> str:
            _into.append(text)
            return original(tmp_path, text, name)

        test_instruments.problems = record
        try:
            test(tmp_path_factory.mktemp(name[:40]))
        finally:
            test_instruments.problems = original
    return recorded


def test_the_published_schema_is_generated_from_the_validating_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "instrument.schema.json is stale: run ./manage.py instrument_schema"
    )


def test_the_schema_command_says_when_the_published_file_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "instrument.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(instrument_schema.Command, "path", stale)
    with pytest.raises(CommandError, match="instrument.schema.json is stale"):
        call_command("instrument_schema", "--check")


def test_the_schema_command_writes_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "instrument.schema.json"
    monkeypatch.setattr(instrument_schema.Command, "path", target)
    out = io.StringIO()
    call_command("instrument_schema", stdout=out)
    assert json.loads(target.read_text(encoding="utf-8"))["properties"]["slug"]["pattern"] == (
        "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    )
    assert out.getvalue() == "instrument.schema.json written\n"


def test_the_schema_states_the_fields_and_limits_of_the_format() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    question = schema["$defs"]["QuestionFormat"]
    assert schema["required"] == ["slug", "version", "title", "domains"]
    assert schema["additionalProperties"] is False
    assert question["properties"]["type"]["enum"] == ["scale", "yes_no", "choice", "text"]
    assert question["properties"]["weight"]["exclusiveMinimum"] == 0
    assert schema["properties"]["blocker_below"]["maximum"] == 1


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_file_is_valid_by_the_schema_and_by_the_loader(name: str) -> None:
    path = INSTRUMENTS_DIR / name
    errors = [error.message for error in _validator().iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []
    assert read_instrument(path).label == name.removesuffix(".yaml").replace("-1.", " 1.")


def test_every_invalid_fixture_is_judged_alike_by_the_schema_and_by_the_loader(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    validator = _validator()
    fixtures = _invalid_fixtures(tmp_path_factory)
    assert len(fixtures) >= 40, "the fixtures of test_instruments.py were not found"
    judged_by_schema = set()
    for name, texts in fixtures.items():
        assert texts, name
        for text in texts:
            with pytest.raises(InstrumentError):
                read_instrument(text.encode(), name="fixture.yaml")
            if name in NOT_YAML:
                continue
            try:
                data = yaml.safe_load(text)
            except (yaml.YAMLError, ValueError):
                continue  # beyond YAML's own reader: nothing for a schema to judge
            schema_accepts = validator.is_valid(data)
            # The loader's format step and the published schema agree on every fixture...
            assert schema_accepts == _format_accepts(data), name
            if not schema_accepts:
                judged_by_schema.add(name)
    # ...and every fixture the schema accepts is refused by a rule stated in code.
    assert set(fixtures) - judged_by_schema - NOT_YAML == RULES_IN_CODE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"weight": 0}, "weight must be greater than 0"),
        ({"critical": "true"}, "critical must be true or false"),
        ({"type": "yesno"}, "is not one of scale, yes_no, choice, text"),
        ({"recomendation": "x"}, 'unknown field "recomendation"'),
    ],
)
def test_the_schema_and_the_loader_refuse_the_same_question_field(
    change: dict[str, Any], reason: str
) -> None:
    data = yaml.safe_load(test_instruments.VALID)
    data["domains"][0]["questions"][0].update(change)
    assert not _validator().is_valid(data)
    with pytest.raises(InstrumentError, match=reason):
        read_instrument(yaml.safe_dump(data).encode(), name="fixture.yaml")
