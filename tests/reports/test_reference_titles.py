"""Every bare citation of a shipped instrument has a plain-language title (database-free)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reports.gaps import QuestionCoverage, framework_crosswalk, reference_family
from reports.reference_titles import REFERENCE_TITLES, is_bare_citation, reference_title

SHIPPED = sorted((Path(__file__).parents[2] / "assessments" / "instruments").glob("*.yaml"))


def _references() -> set[str]:
    found: set[str] = set()
    for path in SHIPPED:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for domain in data["domains"]:
            for question in domain["questions"]:
                found.update(question.get("references") or [])
    return found


def test_every_bare_citation_of_a_shipped_instrument_has_a_title():
    assert SHIPPED
    missing = [
        ref
        for ref in _references()
        if is_bare_citation(reference_family(ref).label(ref)) and not reference_title(ref)
    ]
    assert missing == []


def test_the_table_has_no_title_for_a_reference_no_instrument_cites():
    assert set(REFERENCE_TITLES) - _references() == set()


@pytest.mark.parametrize(
    ("label", "bare"),
    [
        ("45 CFR 164.312(e)(1)", True),
        ("GOVERN 1.6", True),
        ("Criterion 4", True),
        ("Fairness", False),
        ("AI policies and governance structures", False),
    ],
)
def test_a_bare_citation_is_numbers_and_citation_words_only(label, bare):
    assert is_bare_citation(label) is bare


def test_the_crosswalk_carries_the_title_beside_the_citation():
    (framework,) = framework_crosswalk(
        [QuestionCoverage("a.q1", ("HIPAA 45 CFR 164.312(e)(1)",), None)]
    )
    (reference,) = framework.references
    assert (reference.label, reference.title) == ("45 CFR 164.312(e)(1)", "Transmission security")
