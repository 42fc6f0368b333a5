"""The crosswalk and top-gap rules, on plain data (no database)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from reports.gaps import (
    COVERED,
    FRAMEWORKS,
    GAP,
    NOT_ASSESSED,
    OTHER_FAMILY,
    DomainGap,
    QuestionCoverage,
    coverage_rule,
    framework_crosswalk,
    natural_key,
    reference_family,
    top_gaps,
)


def _q(key: str, refs: list[str], s: Fraction | None, pending: bool = False) -> QuestionCoverage:
    return QuestionCoverage(key=key, references=tuple(refs), normalised=s, pending=pending)


def _status(crosswalk, reference: str) -> str:
    for framework in crosswalk:
        for ref in framework.references:
            if ref.reference == reference:
                return ref.status
    raise KeyError(reference)


def test_a_reference_is_covered_when_every_answered_citing_question_scores_at_least_half():
    crosswalk = framework_crosswalk(
        [
            _q("a.q1", ["HIPAA 45 CFR 164.308(a)(1)"], Fraction(1, 2)),
            _q("a.q2", ["HIPAA 45 CFR 164.308(a)(1)"], Fraction(1)),
            _q("a.q3", ["HIPAA 45 CFR 164.308(a)(1)"], None, pending=True),
        ]
    )
    ref = crosswalk[0].references[0]
    assert ref.status == COVERED
    assert ref.questions == ("a.q1", "a.q2", "a.q3")
    assert ref.gap_questions == ()
    assert ref.pending == 1


def test_one_answered_citing_question_below_half_makes_a_gap():
    crosswalk = framework_crosswalk(
        [
            _q("a.q1", ["NIST AI RMF GOVERN 1.1"], Fraction(1)),
            _q("a.q2", ["NIST AI RMF GOVERN 1.1"], Fraction(49, 100)),
        ]
    )
    ref = crosswalk[0].references[0]
    assert ref.status == GAP
    assert ref.gap_questions == ("a.q2",)


def test_a_reference_no_counted_question_cites_is_not_assessed():
    crosswalk = framework_crosswalk(
        [_q("a.q1", ["WHO AI ethics: Protect autonomy"], None, pending=True)]
    )
    assert _status(crosswalk, "WHO AI ethics: Protect autonomy") == NOT_ASSESSED
    assert crosswalk[0].not_assessed == 1


def test_frameworks_come_in_a_fixed_order_with_references_in_natural_order_and_short_labels():
    crosswalk = framework_crosswalk(
        [
            _q("a.q1", ["CHAI assurance: Safety", "Local policy 7"], Fraction(1)),
            _q("a.q2", ["NIST AI RMF GOVERN 1.10", "NIST AI RMF GOVERN 1.9"], Fraction(0)),
            _q("a.q3", ["HIPAA 45 CFR 164.312(b)"], Fraction(1)),
        ]
    )
    assert [f.key for f in crosswalk] == ["hipaa", "nist", "chai", "other"]
    nist = crosswalk[1]
    assert [r.label for r in nist.references] == ["GOVERN 1.9", "GOVERN 1.10"]
    assert (nist.covered, nist.gaps, nist.not_assessed) == (0, 2, 0)
    assert crosswalk[3].references[0].label == "Local policy 7"


def test_a_question_citing_a_reference_twice_counts_once():
    crosswalk = framework_crosswalk([_q("a.q1", ["CHAI assurance: Safety"] * 2, Fraction(1))])
    assert crosswalk[0].references[0].questions == ("a.q1",)


def test_reference_family_and_natural_key():
    assert reference_family("HIPAA 45 CFR 164.520")[0] == "hipaa"
    assert reference_family("Something else")[0] == "other"
    assert natural_key("164.308(a)(10)") > natural_key("164.308(a)(9)")


@pytest.mark.parametrize(
    ("reference", "family", "label"),
    [
        ("HIPAA 45 CFR 164.308(a)(1)(ii)(D)", "hipaa", "45 CFR 164.308(a)(1)(ii)(D)"),
        ("42 CFR 2.31", "part2", "2.31"),
        ("45 CFR 92.210", "section1557", "45 CFR 92.210"),
        ("45 CFR 170.315(g)(10)", "onc", "45 CFR 170.315(g)(10)"),
        ("NIST AI RMF MEASURE 2.3", "nist", "MEASURE 2.3"),
        ("WHO AI ethics: Protect autonomy", "who", "Protect autonomy"),
        ("WHO LMM guidance: Deployers", "who_lmm", "Deployers"),
        ("Joint Commission + CHAI 2025: Local validation", "jc_chai", "Local validation"),
        ("CHAI Blueprint 2023: Transparency", "chai_blueprint", "Transparency"),
        ("CHAI Assurance Standards Guide 2024: Safety", "chai_guide", "Safety"),
        ("CHAI assurance: Usefulness", "chai", "Usefulness"),
        ("FDA CDS guidance 2026: Criterion 3", "fda_cds", "Criterion 3"),
        ("APA 2025: Transparency", "apa", "Transparency"),
        ("State law: Illinois Public Act 104-0054", "state", "Illinois Public Act 104-0054"),
    ],
)
def test_each_framework_of_the_table_gets_its_own_section(reference, family, label):
    assert reference_family(reference).key == family
    (section,) = framework_crosswalk([_q("a.q1", [reference], Fraction(1))])
    assert (section.key, section.references[0].label) == (family, label)
    assert section.title != OTHER_FAMILY.title


def test_a_framework_title_names_document_issuer_and_version():
    joint = next(f for f in FRAMEWORKS if f.key == "jc_chai")
    assert joint.title == (
        "Guidance on the Responsible Use of AI in Healthcare "
        "(The Joint Commission and Coalition for Health AI, 2025)"
    )


def test_the_crosswalk_threshold_is_the_instruments():
    half = _q("a.q1", ["NIST AI RMF MAP 1.1"], Fraction(1, 2))
    assert framework_crosswalk([half])[0].references[0].status == COVERED
    at_075 = framework_crosswalk([half], threshold=Fraction(3, 4))
    assert at_075[0].references[0].status == GAP
    assert "at least three quarters of its top option" in coverage_rule(Fraction(3, 4))
    assert "at least half of its top option" in coverage_rule()


def _gap(key: str, order: int, gap: str | None) -> DomainGap:
    return DomainGap(
        key=key,
        title=key.title(),
        order=order,
        score=None if gap is None else Decimal(50),
        target=Decimal(60),
        gap=None if gap is None else Decimal(gap),
    )


def test_top_gaps_are_the_largest_first_ties_in_domain_order_and_leave_out_zero_and_none():
    domains = [
        _gap("a", 1, "5.0"),
        _gap("b", 2, "12.5"),
        _gap("c", 3, "0.0"),
        _gap("d", 4, None),
        _gap("e", 5, "12.5"),
        _gap("f", 6, "3.0"),
    ]
    assert [d.key for d in top_gaps(domains)] == ["b", "e", "a"]
    assert [d.key for d in top_gaps(domains, limit=10)] == ["b", "e", "a", "f"]
