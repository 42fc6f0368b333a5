"""Instrument files: validation messages, loading into the database, and the scoring spec."""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from assessments import content
from assessments.content import instrument_spec
from assessments.instrument_loading import load_all, load_file
from assessments.instrument_reader import read_instrument
from assessments.instruments import INSTRUMENTS_DIR, MAX_FILE_BYTES, InstrumentError, content_hash
from assessments.models import Domain, Instrument, Question
from tests import factories

SHIPPED = (
    "clinical-ai-1.0.yaml",
    "clinical-ai-1.1.yaml",
    "mental-health-ai-1.0.yaml",
    "mental-health-ai-1.1.yaml",
)

# A small valid file; each validation test breaks one thing in it.
VALID = """\
slug: tiny
version: "1.0"
title: Tiny instrument
domains:
  - key: gov
    title: Governance
    weight: 2
    target: 70
    questions:
      - key: gov.q01
        type: yes_no
        text: Is there an AI register?
        recommendation: Start a register.
      - key: gov.q02
        type: scale
        text: Is the register reviewed?
        weight: 1.5
        critical: true
        recommendation: Review it twice a year.
        references: ["NIST AI RMF GOVERN 1.6"]
        show_if: {question: gov.q01, in: ["yes"]}
  - key: ops
    title: Operations
    questions:
      - key: ops.q01
        type: choice
        text: How is AI output reviewed?
        recommendation: Have a clinician review all output.
        options:
          - {value: "none", label: "Never", score: 0}
          - {value: "some", label: "Sometimes", score: 0.5}
          - {value: "all", label: "Always", score: 2}
      - key: ops.q02
        type: text
        text: Which AI tools are in use?
"""


def edit(old: str, new: str, text: str = VALID) -> str:
    assert old in text, f"test setup: {old!r} not in the file"
    return text.replace(old, new, 1)


def problems(tmp_path: Path, text: str, name: str = "bad-1.0.yaml") -> str:
    """The error message of reading a broken file."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as excinfo:
        read_instrument(path)
    return str(excinfo.value)


def write(tmp_path: Path, text: str, name: str = "tiny-1.0.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped files ----------------------------------------------------------------------


def test_both_shipped_instrument_files_exist() -> None:
    names = sorted(path.name for path in INSTRUMENTS_DIR.glob("*.yaml"))
    for name in SHIPPED:
        assert name in names


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_file_validates(name: str) -> None:
    definition = read_instrument(INSTRUMENTS_DIR / name)
    assert f"{definition.slug}-{definition.version}.yaml" == name


@pytest.mark.parametrize("name", SHIPPED)
def test_every_critical_question_of_a_shipped_file_has_a_recommendation(name: str) -> None:
    definition = read_instrument(INSTRUMENTS_DIR / name)
    critical = [q for q in definition.questions if q.critical]
    assert critical, "a shipped instrument marks its basic safeguards as critical"
    assert all(q.recommendation for q in critical)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_domain_of_a_shipped_file_has_at_least_six_questions(name: str) -> None:
    definition = read_instrument(INSTRUMENTS_DIR / name)
    for domain in definition.domains:
        assert len(domain.questions) >= 6, domain.key


@pytest.mark.django_db
def test_every_shipped_file_loads() -> None:
    summary = load_all()
    assert summary.loaded == len(SHIPPED)
    assert summary.unchanged == 0
    assert Instrument.objects.filter(organisation=None).count() == len(SHIPPED)
    for name in SHIPPED:
        definition = read_instrument(INSTRUMENTS_DIR / name)
        instrument = Instrument.objects.get(slug=definition.slug, version=definition.version)
        assert instrument.content_hash == content_hash(definition)
        assert instrument.questions.count() == len(definition.questions)
        assert instrument.domains.count() == len(definition.domains)


@pytest.mark.django_db
def test_loading_the_shipped_files_twice_is_a_no_op() -> None:
    load_all()
    before = list(Question.objects.order_by("pk").values_list("pk", "key", "text"))
    summary = load_all()
    assert (summary.loaded, summary.unchanged) == (0, len(SHIPPED))
    assert list(Question.objects.order_by("pk").values_list("pk", "key", "text")) == before


# --- parsing: defaults and the content hash -------------------------------------------------


def test_a_scale_question_gets_the_five_default_anchors(tmp_path: Path) -> None:
    definition = read_instrument(write(tmp_path, VALID))
    scale = definition.questions[1]
    assert [(o.value, o.label, o.score) for o in scale.options] == [
        ("0", "Not started", Fraction(0)),
        ("1", "Planned", Fraction(1)),
        ("2", "Partially in place", Fraction(2)),
        ("3", "Largely in place", Fraction(3)),
        ("4", "In place and monitored", Fraction(4)),
    ]


def test_a_yes_no_question_gets_yes_and_no(tmp_path: Path) -> None:
    definition = read_instrument(write(tmp_path, VALID))
    yes_no = definition.questions[0]
    assert [(o.value, o.label, o.score) for o in yes_no.options] == [
        ("yes", "Yes", Fraction(1)),
        ("no", "No", Fraction(0)),
    ]


def test_defaults_apply_where_the_file_is_silent(tmp_path: Path) -> None:
    definition = read_instrument(write(tmp_path, VALID))
    ops = definition.domains[1]
    assert (ops.weight, ops.target) == (Decimal(1), None)
    assert definition.default_target == Decimal(60)
    q = ops.questions[0]
    assert (q.weight, q.critical, q.allow_na, q.references) == (Decimal(1), False, True, ())
    assert ops.questions[1].options == ()


def test_the_content_hash_ignores_comments_and_whitespace(tmp_path: Path) -> None:
    original = read_instrument(write(tmp_path, VALID))
    reformatted = "# a comment\n\n" + edit(
        "title: Tiny instrument", "title:   Tiny instrument  # x"
    )
    assert content_hash(read_instrument(write(tmp_path, reformatted))) == content_hash(original)


def test_the_content_hash_treats_a_written_default_as_the_default(tmp_path: Path) -> None:
    original = read_instrument(write(tmp_path, VALID))
    explicit = edit("    title: Operations\n", "    title: Operations\n    weight: 1.0\n")
    assert content_hash(read_instrument(write(tmp_path, explicit))) == content_hash(original)


def test_the_content_hash_changes_when_a_text_changes(tmp_path: Path) -> None:
    original = read_instrument(write(tmp_path, VALID))
    changed = edit("Is there an AI register?", "Is there a register of AI tools?")
    assert content_hash(read_instrument(write(tmp_path, changed))) != content_hash(original)


# --- validation: one test per rule ----------------------------------------------------------


def test_it_reports_invalid_yaml_with_the_line_number(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("title: Tiny instrument", "title: [Tiny instrument"))
    assert "bad-1.0.yaml: line " in message
    assert "invalid YAML at line" in message


def test_it_rejects_a_key_given_twice_in_one_mapping_naming_key_and_line(tmp_path: Path) -> None:
    # PyYAML would keep the second text silently; the author meant one of them.
    twice = edit(
        "        text: Is the register reviewed?\n",
        "        text: Is the register reviewed?\n        text: Is the register audited?\n",
    )
    message = problems(tmp_path, twice)
    line = twice.splitlines().index("        text: Is the register audited?") + 1
    assert f"bad-1.0.yaml: line {line}: " in message
    assert "found duplicate key 'text'" in message
    top = problems(tmp_path, VALID + 'version: "1.1"\n')
    assert "found duplicate key 'version'" in top


def test_an_anchor_merged_into_a_mapping_may_be_overridden(tmp_path: Path) -> None:
    merged = edit(
        "      - key: ops.q02\n        type: text\n        text: Which AI tools are in use?\n",
        '      - &free {key: ops.q02, type: text, text: "Which AI tools are in use?"}\n'
        "      - <<: *free\n        key: ops.q03\n        text: Which vendors?\n",
    )
    definition = read_instrument(write(tmp_path, merged))
    texts = {q.key: q.text for d in definition.domains for q in d.questions}
    assert texts["ops.q03"] == "Which vendors?"
    assert texts["ops.q02"] == "Which AI tools are in use?"


def test_it_rejects_a_top_level_that_is_not_a_mapping(tmp_path: Path) -> None:
    message = problems(tmp_path, "- slug: tiny\n- version: '1.0'\n")
    assert "bad-1.0.yaml: the top level must be a mapping" in message


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    message = problems(tmp_path, "# only a comment\n")
    assert "bad-1.0.yaml: the file is empty" in message


def test_it_names_an_unknown_top_level_field(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("title: Tiny", "titel: Tiny"))
    assert 'bad-1.0.yaml: titel: unknown field at the top level (did you mean "title"?)' in message


def test_it_names_an_unknown_domain_field(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("    weight: 2\n", "    wieght: 2\n"))
    assert 'bad-1.0.yaml: gov: unknown field "wieght" (did you mean "weight"?)' in message


def test_it_names_an_unknown_question_field(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("recommendation: Start", "recomendation: Start"))
    assert 'bad-1.0.yaml: gov.q01: unknown field "recomendation"' in message


def test_it_names_an_unknown_option_field(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('label: "Never", score: 0', 'label: "Never", scroe: 0'))
    assert 'bad-1.0.yaml: ops.q01: options[0]: unknown field "scroe"' in message


def test_it_names_an_unknown_show_if_field(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('in: ["yes"]', 'in: ["yes"], when: ["no"]'))
    assert 'bad-1.0.yaml: gov.q02: show_if: unknown field "when"' in message


def test_it_rejects_a_duplicate_domain_key(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("  - key: ops\n", "  - key: gov\n"))
    assert "bad-1.0.yaml: gov: duplicate domain key (also used by domains[0])" in message


def test_it_rejects_a_duplicate_question_key(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("key: gov.q02", "key: gov.q01"))
    assert "bad-1.0.yaml: gov.q01: duplicate question key" in message


def test_it_rejects_a_question_key_without_its_domain_prefix(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("key: ops.q02", "key: gov.q09"))
    assert 'bad-1.0.yaml: gov.q09: question key must start with "ops."' in message


def test_it_rejects_a_bad_slug(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("slug: tiny", "slug: Tiny AI"))
    assert 'bad-1.0.yaml: slug: "Tiny AI" is not a valid slug: use lowercase letters' in message


def test_it_asks_to_quote_a_version_that_yaml_reads_as_a_number(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('version: "1.0"', "version: 1.0"))
    assert (
        'bad-1.0.yaml: version: must be a string: put it in quotes, e.g. version: "1.0"' in message
    )


def test_it_rejects_a_missing_title(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("title: Tiny instrument\n", ""))
    assert "bad-1.0.yaml: title: is missing" in message


def test_it_rejects_a_domain_without_a_title(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("    title: Operations\n", ""))
    assert "bad-1.0.yaml: ops: title is missing" in message


def test_it_rejects_a_question_without_text(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("        text: Is there an AI register?\n", ""))
    assert "bad-1.0.yaml: gov.q01: text is missing" in message


def test_it_rejects_a_bad_question_type(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("type: yes_no", "type: yesno"))
    assert (
        'bad-1.0.yaml: gov.q01: type "yesno" is not one of scale, yes_no, choice, text' in message
    )


def test_it_requires_a_recommendation_on_a_scored_question(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("        recommendation: Start a register.\n", ""))
    assert "bad-1.0.yaml: gov.q01: recommendation is missing" in message


def test_it_does_not_require_a_recommendation_on_a_text_question(tmp_path: Path) -> None:
    definition = read_instrument(write(tmp_path, VALID))
    assert definition.questions[-1].recommendation == ""


def test_it_rejects_a_question_weight_of_zero(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("weight: 1.5", "weight: 0"))
    assert "bad-1.0.yaml: gov.q02: weight must be greater than 0, not 0" in message


def test_it_rejects_a_negative_domain_weight(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("    weight: 2\n", "    weight: -1\n"))
    assert "bad-1.0.yaml: gov: weight must be greater than 0, not -1" in message


def test_it_rejects_a_weight_that_is_not_a_number(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("weight: 1.5", 'weight: "heavy"'))
    assert 'bad-1.0.yaml: gov.q02: weight must be a number greater than 0, not "heavy"' in message


def test_it_rejects_a_boolean_weight(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("weight: 1.5", "weight: yes"))
    assert "bad-1.0.yaml: gov.q02: weight must be a number greater than 0, not true" in message


def test_it_rejects_a_domain_target_above_100(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("target: 70", "target: 120"))
    assert "bad-1.0.yaml: gov: target must be a number from 0 to 100, not 120" in message


def test_it_rejects_a_negative_default_target(tmp_path: Path) -> None:
    message = problems(
        tmp_path, edit("title: Tiny instrument\n", "title: Tiny\ndefault_target: -5\n")
    )
    assert "bad-1.0.yaml: default_target: must be a number from 0 to 100, not -5" in message


def test_it_rejects_a_choice_question_with_one_option(tmp_path: Path) -> None:
    text = edit('          - {value: "some", label: "Sometimes", score: 0.5}\n', "")
    text = edit('          - {value: "all", label: "Always", score: 2}\n', "", text)
    message = problems(tmp_path, text)
    assert "bad-1.0.yaml: ops.q01: a choice question needs at least two options" in message


def test_it_rejects_a_choice_question_without_options(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("type: text", "type: choice"))
    assert "bad-1.0.yaml: ops.q02: options are missing" in message


def test_it_rejects_a_negative_score(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("score: 0}", "score: -1}"))
    assert "bad-1.0.yaml: ops.q01: options[0]: score must not be negative (-1)" in message


def test_it_rejects_options_whose_highest_score_is_zero(tmp_path: Path) -> None:
    text = edit("score: 0.5}", "score: 0}")
    text = edit("score: 2}", "score: 0}", text)
    message = problems(tmp_path, text)
    assert "bad-1.0.yaml: ops.q01: the highest option score must be greater than 0" in message


def test_it_rejects_duplicate_option_values(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('value: "some"', 'value: "none"'))
    assert 'bad-1.0.yaml: ops.q01: options[1]: duplicate option value "none"' in message


def test_it_rejects_the_reserved_option_value_na(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('value: "some"', 'value: "na"'))
    assert 'bad-1.0.yaml: ops.q01: options[1]: value: "na" is reserved' in message


def test_it_asks_to_quote_an_option_value_that_yaml_reads_as_true(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('value: "some"', "value: yes"))
    assert "bad-1.0.yaml: ops.q01: options[1]: value: true is not text" in message
    assert "put the value in quotes" in message


def test_it_rejects_options_on_a_yes_no_question(tmp_path: Path) -> None:
    options = '        options: [{value: "y", label: "Y", score: 1}, {value: "n", label: "N"}]\n'
    message = problems(tmp_path, edit("Start a register.\n", "Start a register.\n" + options))
    assert "bad-1.0.yaml: gov.q01: options are not allowed on a yes_no question" in message


def test_it_rejects_options_on_a_text_question(tmp_path: Path) -> None:
    options = '        options: [{value: "a", label: "A", score: 1}, {value: "b", label: "B"}]\n'
    message = problems(tmp_path, VALID + options)
    assert "bad-1.0.yaml: ops.q02: options are not allowed on a text question" in message


def test_it_accepts_scale_options_that_override_the_anchors(tmp_path: Path) -> None:
    options = (
        "        options:\n"
        '          - {value: "0", label: "Nothing", score: 0}\n'
        '          - {value: "1", label: "Everything", score: 1}\n'
    )
    definition = read_instrument(
        write(tmp_path, edit("        show_if:", options + "        show_if:"))
    )
    assert [o.label for o in definition.questions[1].options] == ["Nothing", "Everything"]


def test_it_rejects_invalid_scale_options(tmp_path: Path) -> None:
    options = (
        "        options:\n"
        '          - {value: "0", score: 0}\n'
        '          - {value: "1", label: "Done", score: -2}\n'
    )
    message = problems(tmp_path, edit("        show_if:", options + "        show_if:"))
    assert "bad-1.0.yaml: gov.q02: options[0]: label is missing" in message
    assert "bad-1.0.yaml: gov.q02: options[1]: score must not be negative (-2)" in message


def test_it_rejects_a_show_if_to_an_unknown_question(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("question: gov.q01", "question: gov.q00"))
    assert 'bad-1.0.yaml: gov.q02: show_if refers to "gov.q00", which is not a question' in message


def test_it_rejects_a_show_if_to_a_later_question(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("question: gov.q01", "question: ops.q01"))
    assert 'bad-1.0.yaml: gov.q02: show_if refers to "ops.q01", which comes later' in message


def test_it_rejects_a_show_if_to_the_question_itself(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("question: gov.q01", "question: gov.q02"))
    assert "bad-1.0.yaml: gov.q02: show_if refers to the question itself" in message


def test_it_rejects_show_if_values_that_are_not_options_of_the_referred_question(
    tmp_path: Path,
) -> None:
    message = problems(tmp_path, edit('in: ["yes"]', 'in: ["yes", "maybe"]'))
    assert 'bad-1.0.yaml: gov.q02: show_if: "maybe" is not an option of "gov.q01"' in message


def test_it_rejects_a_show_if_to_a_text_question(tmp_path: Path) -> None:
    follow_up = (
        "      - key: ops.q03\n"
        "        type: yes_no\n"
        "        text: Follow-up\n"
        "        recommendation: Do it.\n"
        '        show_if: {question: ops.q02, in: ["x"]}\n'
    )
    message = problems(tmp_path, VALID + follow_up)
    assert 'bad-1.0.yaml: ops.q03: show_if refers to "ops.q02", a free-text question' in message


def test_it_rejects_an_allow_na_that_is_not_a_boolean(tmp_path: Path) -> None:
    message = problems(
        tmp_path, edit("critical: true", "critical: true\n        allow_na: sometimes")
    )
    assert 'bad-1.0.yaml: gov.q02: allow_na must be true or false, not "sometimes"' in message


def test_it_rejects_a_critical_that_is_not_a_boolean(tmp_path: Path) -> None:
    message = problems(tmp_path, edit("critical: true", 'critical: "true"'))
    assert 'bad-1.0.yaml: gov.q02: critical must be true or false, not "true"' in message


def test_it_rejects_references_that_are_not_a_list_of_text(tmp_path: Path) -> None:
    message = problems(tmp_path, edit('references: ["NIST AI RMF GOVERN 1.6"]', "references: NIST"))
    assert "bad-1.0.yaml: gov.q02: references must be a list of text" in message


def test_it_rejects_an_empty_domains_list(tmp_path: Path) -> None:
    message = problems(tmp_path, 'slug: tiny\nversion: "1.0"\ntitle: Tiny\ndomains: []\n')
    assert "bad-1.0.yaml: domains: the list is empty" in message


def test_it_rejects_a_domain_without_questions(tmp_path: Path) -> None:
    text = (
        VALID.split("  - key: ops\n")[0]
        + "  - key: ops\n    title: Operations\n    questions: []\n"
    )
    message = problems(tmp_path, text)
    assert "bad-1.0.yaml: ops: the domain has no questions" in message


def test_it_refuses_a_file_over_one_megabyte(tmp_path: Path) -> None:
    message = problems(tmp_path, VALID + "#" * MAX_FILE_BYTES)
    assert "bad-1.0.yaml: the file is" in message
    assert "limited to 1,000,000 bytes" in message


def test_it_refuses_uploaded_bytes_over_one_megabyte() -> None:
    with pytest.raises(InstrumentError, match="upload.yaml: the file is .* limited to"):
        read_instrument(b"#" * (MAX_FILE_BYTES + 1), name="upload.yaml")


def test_it_reports_bytes_that_are_not_utf8_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad-1.0.yaml"
    path.write_bytes(VALID.encode().replace(b"Governance", b"Gouvernance \xe9t\xe9"))
    with pytest.raises(InstrumentError) as excinfo:
        read_instrument(path)
    assert "bad-1.0.yaml: line 6: the file is not UTF-8 text" in str(excinfo.value)


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="nowhere.yaml: file not found"):
        read_instrument(tmp_path / "nowhere.yaml")


def test_it_reports_every_problem_of_a_file_together(tmp_path: Path) -> None:
    text = edit('version: "1.0"', "version: 1.0")
    text = edit("weight: 1.5", "weight: 0", text)
    text = edit("type: yes_no", "type: yesno", text)
    text = edit("question: gov.q01", "question: ops.q01", text)
    path = write(tmp_path, text, "bad-1.0.yaml")
    with pytest.raises(InstrumentError) as excinfo:
        read_instrument(path)
    keys = [(problem.file, problem.key) for problem in excinfo.value.problems]
    assert keys == [
        ("bad-1.0.yaml", "version"),
        ("bad-1.0.yaml", "gov.q01"),
        ("bad-1.0.yaml", "gov.q02"),
        ("bad-1.0.yaml", "gov.q02"),
    ]
    assert len(str(excinfo.value).splitlines()) == 4


# --- loading into the database --------------------------------------------------------------


@pytest.mark.django_db
def test_it_loads_a_file_with_its_domains_questions_and_default_options(tmp_path: Path) -> None:
    instrument, created = load_file(write(tmp_path, VALID))
    assert created
    assert (instrument.slug, instrument.version, instrument.source_name) == (
        "tiny",
        "1.0",
        "tiny-1.0.yaml",
    )
    assert list(instrument.domains.values_list("key", "weight", "target", "order")) == [
        ("gov", Decimal(2), Decimal(70), 0),
        ("ops", Decimal(1), None, 1),
    ]
    scale = Question.objects.get(instrument=instrument, key="gov.q02")
    assert scale.domain.key == "gov"
    assert (scale.weight, scale.critical, scale.allow_na) == (Decimal("1.5"), True, True)
    assert (scale.show_if_question, scale.show_if_values) == ("gov.q01", ["yes"])
    assert scale.references == ["NIST AI RMF GOVERN 1.6"]
    assert scale.options[4] == {"value": "4", "label": "In place and monitored", "score": 4}
    choice = Question.objects.get(instrument=instrument, key="ops.q01")
    assert [o["score"] for o in choice.options] == [0, 0.5, 2]
    assert list(Question.objects.filter(instrument=instrument).values_list("order", flat=True)) == [
        0,
        1,
        2,
        3,
    ]


@pytest.mark.django_db
def test_loading_the_same_file_twice_is_a_no_op(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    first, created = load_file(path)
    again, created_again = load_file(path)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Question.objects.count() == 4


@pytest.mark.django_db
def test_a_changed_file_for_a_loaded_version_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    load_all([write(tmp_path, VALID)])
    changed = write(tmp_path, edit("Is there an AI register?", "Is there a register?"))
    with pytest.raises(InstrumentError) as excinfo:
        load_all([changed])
    assert str(excinfo.value) == (
        'tiny-1.0.yaml: version: version 1.0 of "tiny" is already loaded with different '
        "content; published versions are immutable: save your changes as a new version"
    )
    assert Question.objects.get(key="gov.q01").text == "Is there an AI register?"


@pytest.mark.django_db
def test_a_comment_or_whitespace_change_is_accepted_as_unchanged(tmp_path: Path) -> None:
    load_all([write(tmp_path, VALID)])
    reformatted = "# Reviewed again.\n" + VALID.replace(
        "title: Governance", "title:   Governance  "
    )
    summary = load_all([write(tmp_path, reformatted)])
    assert (summary.loaded, summary.unchanged) == (0, 1)


@pytest.mark.django_db
def test_a_new_version_of_a_loaded_instrument_loads_beside_it(tmp_path: Path) -> None:
    load_all([write(tmp_path, VALID)])
    newer = edit('version: "1.0"', 'version: "1.1"', edit("AI register?", "register?"))
    summary = load_all([write(tmp_path, newer, "tiny-1.1.yaml")])
    assert summary.loaded == 1
    assert list(Instrument.objects.values_list("version", flat=True)) == ["1.0", "1.1"]


@pytest.mark.django_db
def test_nothing_is_loaded_when_the_second_of_two_files_is_invalid(tmp_path: Path) -> None:
    good = write(tmp_path, VALID)
    bad = write(
        tmp_path, edit("slug: tiny", "slug: other", edit("weight: 1.5", "weight: 0")), "z.yaml"
    )
    with pytest.raises(InstrumentError, match="z.yaml: gov.q02: weight must be greater than 0"):
        load_all([good, bad])
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_nothing_is_loaded_when_the_second_of_two_files_changes_a_loaded_version(
    tmp_path: Path,
) -> None:
    load_all([write(tmp_path, VALID)])
    new = write(tmp_path, edit("slug: tiny", "slug: fresh"), "fresh-1.0.yaml")
    changed = write(tmp_path, edit("Is there an AI register?", "Changed?"), "tiny-1.0.yaml")
    with pytest.raises(InstrumentError, match="already loaded with different content"):
        load_all([new, changed])
    assert list(Instrument.objects.values_list("slug", flat=True)) == ["tiny"]
    assert not Domain.objects.filter(instrument__slug="fresh").exists()


@pytest.mark.django_db
def test_two_files_with_the_same_slug_and_version_are_refused(tmp_path: Path) -> None:
    first = write(tmp_path, VALID, "a.yaml")
    second = write(tmp_path, VALID, "b.yaml")
    with pytest.raises(
        InstrumentError, match='b.yaml: version: version 1.0 of "tiny" is also in a.yaml'
    ):
        load_all([first, second])
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_an_organisation_can_load_its_own_instrument(tmp_path: Path) -> None:
    org = factories.make_organisation("Northside Health")
    instrument, created = load_file(VALID.encode(), name="ours.yaml", organisation=org)
    assert created
    assert (instrument.organisation, instrument.source_name) == (org, "ours.yaml")
    again, created_again = load_file(VALID.encode(), name="ours.yaml", organisation=org)
    assert (again.pk, created_again) == (instrument.pk, False)


@pytest.mark.django_db
def test_an_organisation_cannot_load_the_slug_of_a_shipped_instrument() -> None:
    load_all([INSTRUMENTS_DIR / "clinical-ai-1.0.yaml"])
    org = factories.make_organisation("Northside Health")
    text = edit("slug: tiny", "slug: clinical-ai", edit('version: "1.0"', 'version: "9.9"'))
    with pytest.raises(InstrumentError) as excinfo:
        load_file(text.encode(), name="upload.yaml", organisation=org)
    assert str(excinfo.value) == (
        'upload.yaml: slug: the slug "clinical-ai" is already taken; choose another slug'
    )
    assert not Instrument.objects.filter(organisation=org).exists()


@pytest.mark.django_db
def test_an_organisation_cannot_overwrite_or_see_another_organisations_instrument() -> None:
    northside = factories.make_organisation("Northside Health")
    other = factories.make_organisation("Other Org")
    load_file(VALID.encode(), name="northside.yaml", organisation=northside)
    changed = edit("Is there an AI register?", "Changed?").encode()
    with pytest.raises(InstrumentError) as excinfo:
        load_file(changed, name="other.yaml", organisation=other)
    message = str(excinfo.value)
    assert message == 'other.yaml: slug: the slug "tiny" is already taken; choose another slug'
    assert "Northside" not in message
    assert Question.objects.get(key="gov.q01").text == "Is there an AI register?"


@pytest.mark.django_db
def test_the_shipped_files_cannot_take_a_slug_an_organisation_uses(tmp_path: Path) -> None:
    org = factories.make_organisation("Northside Health")
    load_file(VALID.encode(), name="ours.yaml", organisation=org)
    with pytest.raises(
        InstrumentError, match='tiny-1.0.yaml: slug: the slug "tiny" is already taken'
    ):
        load_all([write(tmp_path, VALID)])


# --- the command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_loads_the_shipped_files_and_prints_one_line() -> None:
    out = io.StringIO()
    call_command("load_instruments", stdout=out)
    assert out.getvalue() == (
        "Instruments: 4 loaded, 0 unchanged "
        "(clinical-ai 1.0, clinical-ai 1.1, mental-health-ai 1.0, mental-health-ai 1.1)\n"
    )
    out = io.StringIO()
    call_command("load_instruments", stdout=out)
    assert out.getvalue().startswith("Instruments: 0 loaded, 4 unchanged")


@pytest.mark.django_db
def test_the_command_loads_the_files_it_is_given(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("load_instruments", str(write(tmp_path, VALID)), stdout=out)
    assert out.getvalue() == "Instruments: 1 loaded, 0 unchanged (tiny 1.0)\n"


@pytest.mark.django_db
def test_the_command_exits_1_with_the_problems_on_a_bad_file(tmp_path: Path) -> None:
    bad = write(tmp_path, edit("weight: 1.5", "weight: 0"), "bad-1.0.yaml")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(
        CommandError, match="1 problem in instrument files; nothing was loaded"
    ) as excinfo:
        call_command("load_instruments", str(bad), stdout=out, stderr=err)
    assert excinfo.value.returncode == 1
    assert err.getvalue() == "bad-1.0.yaml: gov.q02: weight must be greater than 0, not 0\n"
    assert out.getvalue() == ""
    assert not Instrument.objects.exists()


# --- the scoring spec -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_scoring_spec_matches_the_file(tmp_path: Path) -> None:
    from assessments.scoring import OptionSpec, ShowIf

    instrument, _ = load_file(write(tmp_path, VALID))
    spec = instrument_spec(instrument)
    assert [(d.key, d.weight, d.target) for d in spec.domains] == [
        ("gov", Fraction(2), Decimal(70)),
        ("ops", Fraction(1), Decimal(60)),
    ]
    assert [q.key for q in spec.questions] == ["gov.q01", "gov.q02", "ops.q01", "ops.q02"]
    yes_no, scale, choice, text = spec.questions
    assert yes_no.options == (OptionSpec("yes", Fraction(1)), OptionSpec("no", Fraction(0)))
    assert (scale.domain, scale.type, scale.weight) == ("gov", "scale", Fraction(3, 2))
    assert (scale.critical, scale.allow_na) == (True, True)
    assert scale.show_if == ShowIf(question="gov.q01", values=frozenset({"yes"}))
    assert scale.options == tuple(OptionSpec(str(n), Fraction(n)) for n in range(5))
    assert [o.score for o in choice.options] == [Fraction(0), Fraction(1, 2), Fraction(2)]
    assert (choice.domain, choice.show_if) == ("ops", None)
    assert (text.type, text.options) == ("text", ())


@pytest.mark.django_db
def test_the_scoring_spec_takes_two_queries_then_none(
    tmp_path: Path, django_assert_num_queries: Any
) -> None:
    instrument, _ = load_file(write(tmp_path, VALID))
    content._cache.clear()
    with django_assert_num_queries(2):
        first = instrument_spec(instrument)
    with django_assert_num_queries(0):
        assert instrument_spec(instrument) is first


@pytest.mark.django_db
def test_a_version_loaded_again_under_a_reused_pk_is_not_served_from_the_cache(
    tmp_path: Path,
) -> None:
    """A rolled-back transaction gives its ids back (SQLite reuses them, as between tests), and
    so does a restored backup: the same file loaded again may get the old pk with other question
    rows, and the content cached from the first load must not be served for it."""
    path = write(tmp_path, VALID)
    with transaction.atomic():
        first, _ = load_file(path)
        cached = {q.key: q.pk for q in content.instrument_content(first).questions}
        transaction.set_rollback(True)
    other = factories.load_instrument_text(factories.SMALL_INSTRUMENT)  # takes those ids
    again, _ = load_file(path)
    # The second load under the first one's pk, as a reused id gives it.
    other.delete()
    Domain.objects.filter(instrument=again).update(instrument_id=first.pk)
    Question.objects.filter(instrument=again).update(instrument_id=first.pk)
    Instrument.objects.filter(pk=again.pk).update(id=first.pk)
    again = Instrument.objects.get(pk=first.pk)
    assert again.content_hash == first.content_hash
    rows = dict(again.questions.values_list("key", "pk"))
    assert rows != cached  # what the cache must tell apart
    assert {q.key: q.pk for q in content.instrument_content(again).questions} == rows


@pytest.mark.django_db
def test_the_scoring_spec_of_a_shipped_instrument_takes_at_most_two_queries(
    django_assert_max_num_queries: Any,
) -> None:
    load_all()
    for instrument in Instrument.objects.all():
        definition = read_instrument(
            INSTRUMENTS_DIR / f"{instrument.slug}-{instrument.version}.yaml"
        )
        with django_assert_max_num_queries(2):
            spec = instrument_spec(instrument)
        assert [q.key for q in spec.questions] == [q.key for q in definition.questions]
        assert [q.weight for q in spec.questions] == [
            Fraction(q.weight) for q in definition.questions
        ]
