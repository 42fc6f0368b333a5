"""The go/no-go logic of the shipped instruments 1.1 (issue 9): what blocks, what shows.

Each critical question is one checkable safeguard: its partial answer blocks and its best answer
does not, at the instrument's threshold of 0.75.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from fractions import Fraction

import pytest

from assessments.instrument_reader import read_instrument
from assessments.instruments import INSTRUMENTS_DIR, InstrumentDef, QuestionDef
from assessments.scoring import InstrumentSpec, QuestionSpec, score_assessment, visible_keys
from reports.gaps import FRAMEWORKS, reference_family
from tests import factories

SLUGS = ("clinical-ai", "mental-health-ai")
# The question asking where patient (client) data goes, and the BAA question that follows it.
DATA_FLOW = {
    "clinical-ai": ("ethics.q02", "ethics.q02a"),
    "mental-health-ai": ("privacy.q02", "privacy.q02a"),
}
NO_PATIENT_DATA = "no_patient_data"


@functools.cache
def _definition(slug: str, version: str = "1.1") -> InstrumentDef:
    # Read once per process: the definitions are frozen, and every test here reads one.
    return read_instrument(INSTRUMENTS_DIR / f"{slug}-{version}.yaml")


def _critical(slug: str) -> list[QuestionDef]:
    return [q for q in _definition(slug).questions if q.critical]


CRITICAL = [(slug, q.key) for slug in SLUGS for q in _critical(slug)]


@pytest.fixture(scope="module")
def specs(django_db_setup, django_db_blocker) -> Iterator[dict[str, InstrumentSpec]]:
    with django_db_blocker.unblock():
        specs = {slug: factories.load_instrument(slug, "1.1").spec() for slug in SLUGS}
        yield specs
        from assessments.models import Instrument

        Instrument.objects.filter(version="1.1").delete()


def _showing(spec: InstrumentSpec, key: str) -> dict[str, str]:
    """Answers to the questions `key` depends on (show_if, transitively) that make it visible."""
    by_key = {q.key: q for q in spec.questions}
    answers: dict[str, str] = {}
    question = by_key[key]
    while question.show_if is not None:
        parent = question.show_if.question
        answers[parent] = sorted(question.show_if.values)[0]
        question = by_key[parent]
    assert key in visible_keys(spec, answers), f"{key}: cannot be made visible"
    return answers


def _blocks(spec: InstrumentSpec, question: QuestionSpec, value: str) -> bool:
    answers = {**_showing(spec, question.key), question.key: value}
    return question.key in score_assessment(spec, answers).blockers


def _partial_and_best(spec: InstrumentSpec, question: QuestionSpec) -> tuple[list[str], list[str]]:
    """(values that mean "not fully done", values that mean "done") of a critical question."""
    if question.type == "scale":
        return ["0", "1", "2"], ["3", "4"]
    top = question.max_score
    best = [o.value for o in question.options if o.score == top]
    partial = [o.value for o in question.options if o.score < top]
    return partial, best


def test_both_instruments_1_1_set_the_threshold_to_three_quarters() -> None:
    for slug in SLUGS:
        assert _definition(slug).blocker_below == Fraction(3, 4)


def test_1_1_keeps_the_domain_keys_of_1_0_in_order() -> None:
    for slug in SLUGS:
        old = [d.key for d in _definition(slug, "1.0").domains]
        assert [d.key for d in _definition(slug).domains] == old


@pytest.mark.parametrize(("slug", "key"), CRITICAL)
@pytest.mark.django_db
def test_the_partial_answer_of_a_critical_question_blocks_and_the_best_does_not(
    specs, slug: str, key: str
) -> None:
    spec = specs[slug]
    question = next(q for q in spec.questions if q.key == key)
    assert spec.blocker_below == Fraction(3, 4)
    partial, best = _partial_and_best(spec, question)
    assert partial
    assert best
    for value in partial:
        assert _blocks(spec, question, value), f"{key} = {value!r} should block"
    for value in best:
        assert not _blocks(spec, question, value), f"{key} = {value!r} should not block"


@pytest.mark.parametrize(("slug", "key"), CRITICAL)
def test_a_critical_choice_has_no_option_between_blocking_and_done(slug: str, key: str) -> None:
    question = next(q for q in _critical(slug) if q.key == key)
    if question.type != "choice":
        return
    top = question.max_score
    for option in question.options:
        assert option.score == top or option.score < Fraction(3, 4) * top, option


@pytest.mark.parametrize("slug", SLUGS)
def test_the_data_flow_question_is_critical_without_na(slug: str) -> None:
    flow_key, _ = DATA_FLOW[slug]
    flow = next(q for q in _definition(slug).questions if q.key == flow_key)
    assert (flow.type, flow.critical, flow.allow_na) == ("choice", True, False)
    assert NO_PATIENT_DATA in [o.value for o in flow.options]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.django_db
def test_the_baa_question_shows_for_every_data_flow_answer_but_no_patient_data(
    specs, slug: str
) -> None:
    spec = specs[slug]
    flow_key, baa_key = DATA_FLOW[slug]
    flow = next(q for q in spec.questions if q.key == flow_key)
    baa = next(q for q in spec.questions if q.key == baa_key)
    assert baa.critical
    for option in flow.options:
        shown = baa_key in visible_keys(spec, {flow_key: option.value})
        assert shown == (option.value != NO_PATIENT_DATA), option.value
    # Unapproved or consumer tools score nothing: the data-flow answer itself blocks.
    for option in flow.options:
        if option.score == 0:
            assert _blocks(spec, flow, option.value)


def test_mental_health_crisis_test_and_part_2_records_are_critical() -> None:
    questions = {q.key: q for q in _definition("mental-health-ai").questions}
    crisis_test = questions["accuracy.q01a"]
    assert crisis_test.critical
    # Asked for every client-facing tool, not only when the crisis detection scored well.
    assert crisis_test.show_if is None or crisis_test.show_if.question != "accuracy.q01"
    part_2 = questions["privacy.q04"]
    assert part_2.critical
    assert part_2.allow_na


@pytest.mark.parametrize("slug", SLUGS)
def test_every_reference_of_1_1_belongs_to_a_named_framework(slug: str) -> None:
    frameworks = {f.key for f in FRAMEWORKS} - {"chai"}
    for question in _definition(slug).questions:
        for reference in question.references:
            assert reference_family(reference).key in frameworks, (question.key, reference)


# --- the instruments README -----------------------------------------------------------------

README = INSTRUMENTS_DIR / "README.md"
_KEY = re.compile(r"`([a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*)`")


def _sections() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    sections = {}
    for slug in SLUGS:
        match = re.search(rf"<!-- {slug}:start -->(.*)<!-- {slug}:end -->", text, re.S)
        assert match, f"README has no section for {slug}"
        sections[slug] = match.group(1)
    return sections


@pytest.mark.parametrize("slug", SLUGS)
def test_every_question_key_the_readme_names_exists(slug: str) -> None:
    section = _sections()[slug]
    head, _, change_log = section.partition("### Change log")
    current = {q.key for q in _definition(slug).questions} | {
        d.key for d in _definition(slug).domains
    }
    either = current | {q.key for q in _definition(slug, "1.0").questions}
    named = _KEY.findall(head)
    assert len(named) > 20, "the traceability table names the questions"
    assert sorted(set(named) - current) == []
    assert sorted(set(_KEY.findall(change_log)) - either) == []
    assert change_log.strip(), "a change log 1.0 -> 1.1"


@pytest.mark.parametrize("slug", SLUGS)
def test_the_readme_explains_every_critical_question(slug: str) -> None:
    section = _sections()[slug]
    safeguards = section.split("### Critical safeguards", 1)[1].split("### ", 1)[0]
    assert sorted(q.key for q in _critical(slug) if f"`{q.key}`" not in safeguards) == []
