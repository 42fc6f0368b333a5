"""The scoring rules of PRODUCT.md, "Scoring": golden cases worked out by hand, then properties.

Every expected number below is computed by hand in the comment next to it, so a change to the rules
shows up as a failing golden test rather than a silently different report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessments.answer_counts import count_answers
from assessments.scoring import (
    LEVEL_NAMES,
    NA,
    VERDICT_CONDITIONAL,
    VERDICT_NOT_READY,
    VERDICT_READY,
    ActionItem,
    AssessmentResult,
    DomainSpec,
    InstrumentSpec,
    OptionSpec,
    QuestionSpec,
    ShowIf,
    domain_level,
    level_capped,
    level_for,
    normalised_score,
    result_to_dict,
    round_half_up,
    score_assessment,
    verdict_reasons,
    visible_keys,
)

D = Decimal
F = Fraction

# --- building instruments by hand -------------------------------------------------------------

SCALE = tuple(OptionSpec(str(n), F(n)) for n in range(5))  # "0".."4", scores 0..4
YES_NO = (OptionSpec("yes", F(1)), OptionSpec("no", F(0)))


def _question(
    key: str,
    kind: str,
    options: tuple[OptionSpec, ...],
    *,
    weight: int | Fraction = 1,
    critical: bool = False,
    allow_na: bool = True,
    show_if: ShowIf | None = None,
) -> QuestionSpec:
    return QuestionSpec(
        key=key,
        domain=key.split(".")[0],  # "a.q1" belongs to domain "a"
        type=kind,
        weight=F(weight),
        critical=critical,
        allow_na=allow_na,
        options=options,
        show_if=show_if,
    )


def scale(
    key: str,
    *,
    weight: int | Fraction = 1,
    critical: bool = False,
    allow_na: bool = True,
    show_if: ShowIf | None = None,
) -> QuestionSpec:
    return _question(
        key, "scale", SCALE, weight=weight, critical=critical, allow_na=allow_na, show_if=show_if
    )


def yes_no(
    key: str,
    *,
    weight: int | Fraction = 1,
    critical: bool = False,
    allow_na: bool = True,
    show_if: ShowIf | None = None,
) -> QuestionSpec:
    return _question(
        key, "yes_no", YES_NO, weight=weight, critical=critical, allow_na=allow_na, show_if=show_if
    )


def choice(
    key: str,
    scores: Mapping[str, int],
    *,
    weight: int | Fraction = 1,
    critical: bool = False,
    show_if: ShowIf | None = None,
) -> QuestionSpec:
    options = tuple(OptionSpec(value, F(score)) for value, score in scores.items())
    return _question(key, "choice", options, weight=weight, critical=critical, show_if=show_if)


def percent(key: str) -> QuestionSpec:
    """A choice whose answer "n" gives a domain score of exactly n (options 0..100)."""
    return choice(key, {str(n): n for n in range(101)})


def text(key: str, *, show_if: ShowIf | None = None) -> QuestionSpec:
    return _question(key, "text", (), show_if=show_if)


def when(question: str, *values: str) -> ShowIf:
    return ShowIf(question=question, values=frozenset(values))


def instrument(*questions: QuestionSpec, domains: tuple[DomainSpec, ...] = ()) -> InstrumentSpec:
    """Domains named by the questions, in order of appearance, unless given explicitly."""
    if not domains:
        keys = dict.fromkeys(q.domain for q in questions)
        domains = tuple(DomainSpec(key=key) for key in keys)
    return InstrumentSpec(domains=domains, questions=questions)


def plan_of(result: AssessmentResult) -> list[tuple[str, Decimal]]:
    return [(item.question, item.priority_display) for item in result.action_plan]


# --- helpers: rounding and levels -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (F(6225, 100), 1, "62.3"),  # half up, where round-half-even would give 62.2
        (F(1245, 100), 1, "12.5"),  # float(12.45) is 12.4499..., exact arithmetic is not
        (F(1235, 100), 1, "12.4"),
        (F(41245, 100000), 4, "0.4125"),
        (D("2.675"), 2, "2.68"),  # float(2.675) would round to 2.67
        (D("58.25"), 1, "58.3"),
        (F(1, 3), 1, "0.3"),
        (F(2, 3), 1, "0.7"),
        (F(175, 3), 1, "58.3"),
        (F(0), 1, "0.0"),
        (F(100), 1, "100.0"),
        (F(5, 2), 0, "3"),
        (F(-1, 20), 1, "-0.1"),  # halves go away from zero
        (F(-1, 100), 1, "0.0"),  # no negative zero
    ],
)
def test_round_half_up_rounds_halves_away_from_zero(
    value: Fraction | Decimal, places: int, expected: str
) -> None:
    rounded = round_half_up(value, places)
    assert rounded == D(expected)
    assert str(rounded) == expected


def test_round_half_up_rejects_negative_places() -> None:
    with pytest.raises(ValueError, match="places must be 0 or more, not -1"):
        round_half_up(F(1), -1)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (None, None),
        ("0.0", 1),
        ("19.9", 1),
        ("20.0", 2),
        ("39.9", 2),
        ("40.0", 3),
        ("59.9", 3),
        ("60.0", 4),
        ("79.9", 4),
        ("80.0", 5),
        ("100.0", 5),
    ],
)
def test_each_score_band_gives_its_level(score: str | None, level: int | None) -> None:
    assert level_for(None if score is None else D(score)) == level


def test_the_five_levels_are_named_as_in_the_product_spec() -> None:
    assert [LEVEL_NAMES[n] for n in range(1, 6)] == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimising",
    ]


def test_a_domain_of_text_questions_only_is_not_applicable_and_unscored() -> None:
    assert scale("a.q1").scored
    assert scale("a.q1").max_score == 4
    assert yes_no("a.q1").max_score == 1
    assert choice("a.q1", {"x": 2, "y": 7, "z": 0}).max_score == 7
    assert not text("a.q1").scored
    assert text("a.q1").max_score == 0


# --- golden cases: one domain -----------------------------------------------------------------


def test_a_single_domain_of_scales() -> None:
    spec = instrument(scale("a.q1"), scale("a.q2"), scale("a.q3"))
    result = score_assessment(spec, {"a.q1": "4", "a.q2": "2", "a.q3": "1"})
    a = result.domain("a")
    # s = 1, 1/2, 1/4 -> 100 * 1.75 / 3 = 58.333... -> 58.3, level 3 (Defined)
    assert a.score == D("58.3")
    assert a.level == 3
    assert a.completeness == D("100.0")
    assert (a.answered, a.visible_scored, a.counted) == (3, 3, 3)
    # gap = 60 - 58.3 = 1.7 (from the rounded score)
    assert a.target == D(60)
    assert a.gap == D("1.7")
    assert a.applicable
    assert a.blockers == ()
    assert not a.capped
    # q3: (1 - 1/4) * (1/3) * 1 * (1 + 1.7/100) = 0.25 * 1.017 = 0.25425 -> 0.2543 (half up)
    # q2: (1 - 1/2) * (1/3) * 1 * 1.017 = 0.1695; q1 scores 1 and gets no recommendation.
    assert result.action_plan == (
        ActionItem("a.q3", "a", F(1017, 4000), critical=False, blocker=False,
                   normalised_score=F(1, 4)),
        ActionItem("a.q2", "a", F(1017, 6000), critical=False, blocker=False,
                   normalised_score=F(1, 2)),
    )  # fmt: skip
    assert plan_of(result) == [("a.q3", D("0.2543")), ("a.q2", D("0.1695"))]
    assert result.overall_score == D("58.3")
    assert result.overall_level == 3
    assert result.verdict == VERDICT_READY
    assert not result.provisional
    assert result.completeness == D("100.0")
    assert result.still_to_answer == ()
    assert result.blockers == ()
    assert result.visible == frozenset({"a.q1", "a.q2", "a.q3"})


@pytest.mark.parametrize(
    ("value", "score", "level"),
    [
        ("none", "0.0", 1),
        ("pilot", "16.7", 1),  # 1/6 = 16.666... -> 16.7
        ("partial", "50.0", 3),  # 3/6
        ("full", "100.0", 5),
    ],
)
def test_a_choice_with_non_linear_scores(value: str, score: str, level: int) -> None:
    spec = instrument(choice("a.q1", {"none": 0, "pilot": 1, "partial": 3, "full": 6}))
    a = score_assessment(spec, {"a.q1": value}).domain("a")
    assert (a.score, a.level) == (D(score), level)


@pytest.mark.parametrize("weights", [(3, 1), (F(3, 2), F(1, 2))])
def test_question_and_domain_weights(weights: tuple[int | Fraction, int | Fraction]) -> None:
    heavy, light = weights
    spec = instrument(
        scale("a.q1", weight=heavy),
        scale("a.q2", weight=light),
        yes_no("b.q1"),
        yes_no("b.q2"),
        domains=(DomainSpec("a"), DomainSpec("b", weight=F(2))),
    )
    result = score_assessment(spec, {"a.q1": "4", "a.q2": "0", "b.q1": "no", "b.q2": "yes"})
    # a: 100 * (3 * 1 + 1 * 0) / 4 = 75.0, level 4, gap max(0, 60 - 75) = 0
    # b: 100 * 1 / 2 = 50.0, level 3, gap 10.0
    assert (result.domain("a").score, result.domain("a").level) == (D("75.0"), 4)
    assert (result.domain("a").gap, result.domain("b").gap) == (D("0.0"), D("10.0"))
    assert (result.domain("b").score, result.domain("b").level) == (D("50.0"), 3)
    # overall = (1 * 75 + 2 * 50) / 3 = 58.333... -> 58.3 (unweighted it would be 62.5)
    assert result.overall_score == D("58.3")
    assert result.overall_level == 3
    assert result.verdict == VERDICT_READY
    # b.q1: (1 - 0) * (1/2) * D_b 2 * (1 + 10/100) = 1.1
    # a.q2: (1 - 0) * (1/4) * 1 * (1 + 0) = 0.25
    assert plan_of(result) == [("b.q1", D("1.1000")), ("a.q2", D("0.2500"))]
    assert [item.priority for item in result.action_plan] == [F(11, 10), F(1, 4)]


# --- golden cases: rounding -------------------------------------------------------------------


def test_a_domain_score_of_12_45_rounds_up_before_the_overall_mean() -> None:
    spec = instrument(yes_no("a.q1", weight=249), yes_no("a.q2", weight=1751), yes_no("b.q1"))
    result = score_assessment(spec, {"a.q1": "yes", "a.q2": "no", "b.q1": "no"})
    # a: 100 * 249 / 2000 = 12.45 exactly -> 12.5 (binary floats or half-even give 12.4)
    assert result.domain("a").score == D("12.5")
    assert result.domain("b").score == D("0.0")
    # overall from the rounded scores: (12.5 + 0) / 2 = 6.25 -> 6.3
    # (the unrounded 12.45 would have given 6.225 -> 6.2)
    assert result.overall_score == D("6.3")
    assert result.overall_level == 1


def test_an_overall_mean_of_62_25_rounds_to_62_3() -> None:
    spec = instrument(
        scale("a.q1"), scale("a.q2"), choice("b.q1", {"none": 0, "some": 31, "all": 50})
    )
    result = score_assessment(spec, {"a.q1": "4", "a.q2": "1", "b.q1": "some"})
    # a: (1 + 1/4) / 2 = 62.5; b: 31/50 = 62.0; overall (62.5 + 62.0) / 2 = 62.25 -> 62.3
    assert result.domain("a").score == D("62.5")
    assert result.domain("b").score == D("62.0")
    assert result.overall_score == D("62.3")
    assert result.overall_level == 4
    assert result_to_dict(result)["overall"]["score"] == 62.3


def test_the_exact_priority_orders_the_plan_not_the_displayed_one() -> None:
    spec = instrument(
        yes_no("a.q1"),
        yes_no("a.q2"),
        yes_no("a.q3"),
        yes_no("b.q1", weight=33334),
        yes_no("b.q2", weight=66666),
    )
    answers = {"a.q1": "no", "a.q2": "yes", "a.q3": "yes", "b.q1": "no", "b.q2": "yes"}
    result = score_assessment(spec, answers)
    # a: 66.7, gap 0, a.q1 priority 1/3 = 0.33333...
    # b: 66.666 -> 66.7, gap 0, b.q1 priority 33334/100000 = 0.33334: higher, so first,
    # although both show as 0.3333 and domain a comes first.
    assert plan_of(result) == [("b.q1", D("0.3333")), ("a.q1", D("0.3333"))]


# --- golden cases: ties -----------------------------------------------------------------------


def test_ties_in_priority_go_by_domain_order_then_question_order() -> None:
    spec = instrument(
        yes_no("b.q1"),
        yes_no("b.q2"),
        yes_no("a.q1"),
        yes_no("a.q2"),
        domains=(DomainSpec("b"), DomainSpec("a")),
    )
    answers = {"a.q2": "no", "a.q1": "no", "b.q2": "no", "b.q1": "no"}
    result = score_assessment(spec, answers)
    # Every item: (1 - 0) * (1/2) * 1 * (1 + 60/100) = 0.8; domain b is first in the file.
    assert plan_of(result) == [
        ("b.q1", D("0.8000")),
        ("b.q2", D("0.8000")),
        ("a.q1", D("0.8000")),
        ("a.q2", D("0.8000")),
    ]


# --- golden cases: not applicable, unanswered, provisional -------------------------------------


def test_an_all_na_domain_is_left_out() -> None:
    spec = instrument(scale("a.q1"), scale("a.q2"), scale("b.q1"))
    result = score_assessment(spec, {"a.q1": NA, "a.q2": NA, "b.q1": "3"})
    a = result.domain("a")
    assert not a.applicable
    assert (a.score, a.level, a.gap) == (None, None, None)
    assert a.completeness == D("100.0")  # N/A answers are answers
    assert (a.answered, a.visible_scored, a.counted) == (2, 2, 0)
    # b: 3/4 = 75.0; the overall score and verdict come from b alone.
    assert result.overall_score == D("75.0")
    assert result.overall_level == 4
    assert result.verdict == VERDICT_READY
    assert not result.provisional
    assert result.completeness == D("100.0")
    assert plan_of(result) == [("b.q1", D("0.2500"))]  # (1/4) * 1 * 1 * (1 + 0)


def test_when_every_domain_is_na_there_is_no_score_and_no_verdict() -> None:
    spec = instrument(scale("a.q1"), yes_no("b.q1"))
    result = score_assessment(spec, {"a.q1": NA, "b.q1": NA})
    assert [d.applicable for d in result.domains] == [False, False]
    assert result.overall_score is None
    assert result.overall_level is None
    assert result.verdict is None
    assert not result.provisional
    assert result.completeness == D("100.0")
    assert result.action_plan == ()


def test_domains_without_scored_questions_are_not_applicable() -> None:
    spec = instrument(text("a.q1"), domains=(DomainSpec("a"), DomainSpec("empty")))
    result = score_assessment(spec, {"a.q1": "Two tools"})
    for domain in result.domains:
        assert not domain.applicable
        assert (domain.score, domain.completeness, domain.visible_scored) == (None, None, 0)
    assert (result.overall_score, result.verdict, result.completeness) == (None, None, None)
    assert not result.provisional


def test_with_nothing_answered_no_domain_has_a_score_and_the_verdict_is_not_ready() -> None:
    spec = instrument(scale("a.q1"), scale("a.q2"), yes_no("b.q1"))
    result = score_assessment(spec, {})
    for domain in result.domains:
        assert domain.applicable
        assert (domain.score, domain.level, domain.gap) == (None, None, None)
        assert domain.completeness == D("0.0")
    assert result.overall_score is None
    assert result.overall_level is None
    # Applicable domains without a score count as level 1.
    assert result.verdict == VERDICT_NOT_READY
    assert result.provisional
    assert result.completeness == D("0.0")
    assert result.still_to_answer == ("a.q1", "a.q2", "b.q1")
    assert result.action_plan == ()


def test_an_applicable_domain_without_a_score_makes_it_provisional_and_not_ready() -> None:
    spec = instrument(scale("a.q1"), scale("a.q2"), *(scale(f"b.q{n}") for n in range(1, 5)))
    answers = {"a.q1": NA} | {f"b.q{n}": "4" for n in range(1, 5)}
    result = score_assessment(spec, answers)
    a = result.domain("a")
    # One N/A and one unanswered item: applicable, but nothing counted.
    assert a.applicable
    assert (a.score, a.level) == (None, None)
    assert a.completeness == D("50.0")
    assert result.domain("b").score == D("100.0")
    assert result.overall_score == D("100.0")
    # 5 of 6 answered = 83.3 % is enough; the unscored domain makes it provisional anyway.
    assert result.completeness == D("83.3")
    assert result.provisional
    assert result.verdict == VERDICT_NOT_READY
    assert result.still_to_answer == ("a.q2",)


@pytest.mark.parametrize(
    ("answered", "total", "completeness", "provisional"),
    [
        (4, 5, "80.0", False),  # exactly 80 % is not below 80 %
        (3, 4, "75.0", True),
        (399, 499, "80.0", True),  # 79.959...% shows as 80.0 but is below 80 %
        (5, 5, "100.0", False),
    ],
)
def test_provisional_below_80_percent_complete(
    answered: int, total: int, completeness: str, provisional: bool
) -> None:
    spec = instrument(*(yes_no(f"a.q{n}") for n in range(total)))
    result = score_assessment(spec, {f"a.q{n}": "yes" for n in range(answered)})
    assert result.completeness == D(completeness)
    assert result.domain("a").completeness == D(completeness)
    assert result.provisional is provisional
    assert result.verdict == VERDICT_READY  # a provisional verdict is still a verdict
    assert len(result.still_to_answer) == total - answered


def test_overall_completeness_counts_all_domains_together() -> None:
    spec = instrument(
        yes_no("a.q1"), yes_no("a.q2"), yes_no("b.q1"), yes_no("b.q2"), yes_no("b.q3")
    )
    result = score_assessment(spec, {"a.q1": "yes", "a.q2": NA, "b.q1": "yes"})
    # a: 2/2 = 100.0; b: 1/3 = 33.3; together 3/5 = 60.0 (not the mean of the two, 66.7)
    assert result.domain("a").completeness == D("100.0")
    assert result.domain("b").completeness == D("33.3")
    assert result.completeness == D("60.0")
    assert result.provisional


# --- golden cases: verdict --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        (["40", "60", "80"], VERDICT_READY),  # levels 3, 4, 5
        (["40"], VERDICT_READY),
        (["80", "20", "39"], VERDICT_CONDITIONAL),  # exactly two at level 2
        (["100", "39"], VERDICT_CONDITIONAL),
        (["80", "20", "20", "20"], VERDICT_NOT_READY),  # three at level 2
        (["80", "20", NA, "20"], VERDICT_CONDITIONAL),  # the N/A domain is left out
        (["80", "19"], VERDICT_NOT_READY),  # one at level 1
        (["80", ""], VERDICT_NOT_READY),  # unanswered domain counts as level 1
        ([NA, NA], None),
    ],
)
def test_the_verdict_follows_how_many_domains_are_at_levels_1_and_2(
    answers: list[str], verdict: str | None
) -> None:
    # One domain per answer, each with one question whose answer "n" scores exactly n.
    spec = instrument(*(percent(f"d{n}.q1") for n in range(len(answers))))
    result = score_assessment(spec, {f"d{n}.q1": value for n, value in enumerate(answers)})
    assert result.verdict == verdict


# --- golden cases: critical items -------------------------------------------------------------


def test_a_blocker_caps_a_high_domain_at_level_2_and_the_verdict_at_not_ready() -> None:
    spec = instrument(scale("a.q1", critical=True), scale("a.q2"), scale("a.q3"), scale("a.q4"))
    result = score_assessment(spec, {"a.q1": "1", "a.q2": "4", "a.q3": "4", "a.q4": "4"})
    a = result.domain("a")
    # (1/4 + 3) / 4 = 81.25 -> 81.3, level 5 by score, capped at 2 by the blocker a.q1 (s = 1/4)
    assert a.score == D("81.3")
    assert a.level == 2
    assert a.capped
    assert a.blockers == ("a.q1",)
    assert result.blockers == ("a.q1",)
    assert result.overall_score == D("81.3")
    assert result.overall_level == 5  # the overall level follows the score alone
    assert result.verdict == VERDICT_NOT_READY
    # (1 - 1/4) * (1/4) * 1 * (1 + 0) * 2 = 0.375
    assert result.action_plan == (
        ActionItem("a.q1", "a", F(3, 8), critical=True, blocker=True, normalised_score=F(1, 4)),
    )


def test_a_critical_item_at_exactly_one_half_is_no_blocker() -> None:
    spec = instrument(scale("a.q1", critical=True), scale("a.q2"), scale("a.q3"), scale("a.q4"))
    result = score_assessment(spec, {"a.q1": "2", "a.q2": "4", "a.q3": "4", "a.q4": "4"})
    a = result.domain("a")
    # (1/2 + 3) / 4 = 87.5, level 5, no blocker
    assert (a.score, a.level, a.blockers, a.capped) == (D("87.5"), 5, (), False)
    assert result.verdict == VERDICT_READY
    # (1 - 1/2) * (1/4) * 1 * 1 * 2 = 0.25: critical doubles the priority without a blocker
    assert result.action_plan == (
        ActionItem("a.q1", "a", F(1, 4), critical=True, blocker=False, normalised_score=F(1, 2)),
    )


def test_a_blocker_in_a_low_domain_does_not_count_as_capped() -> None:
    spec = instrument(yes_no("a.q1", critical=True))
    a = score_assessment(spec, {"a.q1": "no"}).domain("a")
    assert (a.score, a.level, a.blockers) == (D("0.0"), 1, ("a.q1",))
    assert not a.capped


@pytest.mark.parametrize(
    "answers",
    [
        {"a.q1": NA, "a.q2": "yes"},  # N/A: not counted
        {"a.q2": "yes"},  # unanswered
        {"a.q1": "4", "a.q2": "no", "a.q3": "no"},  # a.q3 hidden: its "no" is ignored
    ],
)
def test_critical_items_that_are_not_counted_are_no_blockers(answers: dict[str, str]) -> None:
    spec = instrument(
        scale("a.q1", critical=True),
        yes_no("a.q2"),
        yes_no("a.q3", critical=True, show_if=when("a.q2", "yes")),
    )
    result = score_assessment(spec, answers)
    assert result.blockers == ()
    assert result.domain("a").blockers == ()


def test_blockers_are_listed_in_question_order() -> None:
    spec = instrument(
        yes_no("a.q1", critical=True),
        yes_no("a.q2", critical=True),
        yes_no("b.q1", critical=True),
    )
    result = score_assessment(spec, {"a.q1": "no", "a.q2": "yes", "b.q1": "no"})
    assert result.blockers == ("a.q1", "b.q1")
    assert result.domain("b").blockers == ("b.q1",)


# --- golden cases: show_if --------------------------------------------------------------------

FOLLOW_UPS = instrument(
    yes_no("a.q1"),
    scale("a.q2", show_if=when("a.q1", "yes")),
    yes_no("a.q3", show_if=when("a.q2", "3", "4")),  # a chain: a.q1 -> a.q2 -> a.q3
    scale("b.q1", show_if=when("a.q1", "yes")),  # across domains
)


def test_a_hidden_follow_up_is_ignored_even_with_an_answer() -> None:
    answers = {"a.q1": "no", "a.q2": "0", "a.q3": "no", "b.q1": "0"}
    result = score_assessment(FOLLOW_UPS, answers)
    assert result.visible == frozenset({"a.q1"})
    a, b = result.domains
    # Only a.q1 counts: 0.0, complete; b has no visible scored item at all.
    assert (a.score, a.completeness, a.visible_scored) == (D("0.0"), D("100.0"), 1)
    assert not b.applicable
    assert (b.score, b.completeness, b.visible_scored) == (None, None, 0)
    assert [item.question for item in result.action_plan] == ["a.q1"]
    assert result.still_to_answer == ()
    assert result.completeness == D("100.0")


def test_follow_ups_appear_when_the_trigger_answer_matches() -> None:
    answers = {"a.q1": "yes", "a.q2": "4", "a.q3": "yes", "b.q1": "2"}
    result = score_assessment(FOLLOW_UPS, answers)
    assert result.visible == frozenset({"a.q1", "a.q2", "a.q3", "b.q1"})
    assert result.domain("a").score == D("100.0")  # (1 + 1 + 1) / 3
    assert result.domain("b").score == D("50.0")  # 2/4


def test_the_second_link_of_a_chain_hides_its_follow_up() -> None:
    answers = {"a.q1": "yes", "a.q2": "2", "a.q3": "yes"}
    result = score_assessment(FOLLOW_UPS, answers)
    # a.q3 needs a.q2 in {3, 4}: hidden. a = (1 + 1/2) / 2 = 75.0
    assert result.visible == frozenset({"a.q1", "a.q2", "b.q1"})
    assert result.domain("a").score == D("75.0")
    assert result.still_to_answer == ("b.q1",)


def test_a_hidden_trigger_hides_its_follow_up_whatever_it_holds() -> None:
    # a.q2 holds "4", which would show a.q3, but a.q2 itself is hidden.
    answers = {"a.q1": "no", "a.q2": "4", "a.q3": "yes"}
    assert visible_keys(FOLLOW_UPS, answers) == frozenset({"a.q1"})


@pytest.mark.parametrize(
    ("answers", "still_to_answer"),
    [
        ({"a.q1": NA, "a.q2": "4"}, ()),  # an N/A trigger hides
        ({"a.q2": "4"}, ("a.q1",)),  # an unanswered trigger hides
        ({"a.q1": "maybe", "a.q2": "4"}, ("a.q1",)),  # so does an unknown value
        ({"a.q1": "yes"}, ("a.q2", "b.q1")),
    ],
)
def test_still_to_answer_lists_only_visible_items(
    answers: dict[str, str], still_to_answer: tuple[str, ...]
) -> None:
    assert score_assessment(FOLLOW_UPS, answers).still_to_answer == still_to_answer


def test_a_free_text_answer_can_show_a_follow_up() -> None:
    spec = instrument(text("a.q1"), yes_no("a.q2", show_if=when("a.q1", "yes")))
    assert visible_keys(spec, {"a.q1": "yes"}) == frozenset({"a.q1", "a.q2"})
    assert visible_keys(spec, {"a.q1": "no"}) == frozenset({"a.q1"})
    assert visible_keys(spec, {}) == frozenset({"a.q1"})


def test_a_show_if_on_a_later_question_hides() -> None:
    spec = instrument(yes_no("a.q1", show_if=when("a.q2", "yes")), yes_no("a.q2"))
    assert visible_keys(spec, {"a.q1": "yes", "a.q2": "yes"}) == frozenset({"a.q2"})


# --- golden cases: answers that count as unanswered, text -------------------------------------


def test_na_where_na_is_not_allowed_counts_as_unanswered() -> None:
    spec = instrument(scale("a.q1", allow_na=False), scale("a.q2"), scale("b.q1", allow_na=False))
    result = score_assessment(spec, {"a.q1": NA, "a.q2": "4", "b.q1": NA})
    a, b = result.domains
    assert (a.score, a.answered, a.completeness) == (D("100.0"), 1, D("50.0"))
    # b is not "all N/A": its only item is unanswered, so it stays applicable without a score.
    assert b.applicable
    assert b.score is None
    assert result.still_to_answer == ("a.q1", "b.q1")
    assert result.verdict == VERDICT_NOT_READY


def test_unknown_option_values_count_as_unanswered() -> None:
    spec = instrument(
        scale("a.q1"),
        yes_no("a.q2"),
        scale("a.q3"),
        choice("a.q4", {"none": 0, "full": 2}),
        scale("a.q5"),
    )
    answers = {"a.q1": "5", "a.q2": "maybe", "a.q3": "", "a.q4": "FULL", "a.q5": "2"}
    result = score_assessment(spec, answers)
    a = result.domain("a")
    assert (a.score, a.counted, a.answered) == (D("50.0"), 1, 1)
    assert a.completeness == D("20.0")  # 1 of 5
    assert result.still_to_answer == ("a.q1", "a.q2", "a.q3", "a.q4")


def test_text_questions_are_never_scored() -> None:
    spec = instrument(text("a.q1"), scale("a.q2"), text("a.q3"))
    result = score_assessment(spec, {"a.q1": "Three tools, listed in the register", "a.q2": "4"})
    a = result.domain("a")
    assert (a.score, a.visible_scored, a.counted, a.completeness) == (D("100.0"), 1, 1, D("100.0"))
    assert result.still_to_answer == ()  # the unanswered text question is not waited for
    assert result.action_plan == ()
    assert result.visible == frozenset({"a.q1", "a.q2", "a.q3"})


# --- golden cases: targets and gaps -----------------------------------------------------------

TARGETED = instrument(
    scale("a.q1"), scale("a.q2"), domains=(DomainSpec("a", target=D(70)),)
)  # answers "2" and "4": a = (1/2 + 1) / 2 = 75.0


@pytest.mark.parametrize(
    ("targets", "target", "gap", "priority"),
    [
        (None, "70", "0.0", F(1, 4)),  # the instrument's 70 < 75: gap clamped at 0
        ({"a": 80}, "80", "5.0", F(21, 80)),  # (1/2) * (1/2) * 1 * 1.05 = 0.2625
        ({"a": D("75.5")}, "75.5", "0.5", F(201, 800)),  # 0.25 * 1.005 = 0.25125
        ({"a": 50}, "50", "0.0", F(1, 4)),  # never negative
        ({"other": 90}, "70", "0.0", F(1, 4)),  # targets of unknown domains are ignored
    ],
)
def test_targets_override_the_instrument_and_the_gap_is_clamped(
    targets: dict[str, Decimal | int] | None, target: str, gap: str, priority: Fraction
) -> None:
    result = score_assessment(TARGETED, {"a.q1": "2", "a.q2": "4"}, targets)
    a = result.domain("a")
    assert a.score == D("75.0")
    assert a.target == D(target)
    assert isinstance(a.target, Decimal)
    assert a.gap == D(gap)
    assert [item.priority for item in result.action_plan] == [priority]


# --- the results object of the assessment JSON ------------------------------------------------


def test_result_to_dict_writes_the_overall_result_each_domain_and_the_action_plan() -> None:
    spec = instrument(scale("a.q1"), scale("a.q2"), scale("a.q3"), scale("b.q1"), yes_no("c.q1"))
    answers = {"a.q1": "4", "a.q2": "2", "a.q3": "1", "b.q1": NA}
    result = score_assessment(spec, answers, {"c": 75})
    # a as in test_a_single_domain_of_scales; b all N/A; c unanswered (applicable, no score).
    assert result_to_dict(result) == {
        "overall": {
            "score": 58.3,
            "level": 3,
            "verdict": VERDICT_NOT_READY,  # c counts as level 1
            "provisional": True,  # c has no score; completeness 4/5 = 80.0 would not be enough
            "completeness": 80.0,
        },
        "domains": {
            "a": {
                "score": 58.3,
                "level": 3,
                "completeness": 100.0,
                "gap": 1.7,
                "target": 60.0,
                "applicable": True,
                "blockers": [],
            },
            "b": {
                "score": None,
                "level": None,
                "completeness": 100.0,
                "gap": None,
                "target": 60.0,
                "applicable": False,
                "blockers": [],
            },
            "c": {
                "score": None,
                "level": None,
                "completeness": 0.0,
                "gap": None,
                "target": 75.0,
                "applicable": True,
                "blockers": [],
            },
        },
        "action_plan": [
            {"question": "a.q3", "domain": "a", "priority": 0.2543},  # 0.25425 half up
            {"question": "a.q2", "domain": "a", "priority": 0.1695},
        ],
        "still_to_answer": ["c.q1"],
    }
    assert json.loads(json.dumps(result_to_dict(result))) == result_to_dict(result)


def test_result_to_dict_lists_blockers() -> None:
    spec = instrument(yes_no("a.q1", critical=True), yes_no("a.q2"))
    data = result_to_dict(score_assessment(spec, {"a.q1": "no", "a.q2": "yes"}))
    assert data["domains"]["a"]["blockers"] == ["a.q1"]
    assert data["domains"]["a"]["level"] == 2  # 50.0 is level 3, capped at 2
    # (1 - 0) * (1/2) * 1 * (1 + 10/100) * 2 = 1.1
    assert data["action_plan"] == [{"question": "a.q1", "domain": "a", "priority": 1.1}]


def test_a_domain_is_found_by_its_key_and_an_unknown_key_raises() -> None:
    result = score_assessment(instrument(yes_no("a.q1")), {})
    assert result.domain("a").key == "a"
    with pytest.raises(KeyError, match="nope"):
        result.domain("nope")


def test_a_question_of_an_unknown_domain_is_rejected() -> None:
    spec = InstrumentSpec(domains=(DomainSpec("a"),), questions=(yes_no("b.q1"),))
    with pytest.raises(ValueError, match="b.q1: unknown domain 'b'"):
        score_assessment(spec, {})


# --- properties -------------------------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None)
KINDS = ("scale", "yes_no", "choice", "text")
weights = st.builds(F, st.integers(1, 6), st.integers(1, 3))


@st.composite
def instruments(draw: st.DrawFn) -> InstrumentSpec:
    domains = tuple(
        DomainSpec(key=f"d{n}", weight=draw(weights), target=D(draw(st.integers(0, 100))))
        for n in range(draw(st.integers(1, 3)))
    )
    questions: list[QuestionSpec] = []
    for domain in domains:
        for n in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(KINDS))
            if kind == "scale":
                options = SCALE
            elif kind == "yes_no":
                options = YES_NO
            elif kind == "choice":
                scores = draw(st.lists(st.integers(0, 6), min_size=2, max_size=4))
                assume(max(scores) > 0)
                options = tuple(OptionSpec(f"c{i}", F(s)) for i, s in enumerate(scores))
            else:
                options = ()
            show_if = None
            if questions and draw(st.integers(0, 2)) == 0:
                trigger = draw(st.sampled_from(questions))
                values = [o.value for o in trigger.options] or ["yes", "free text"]
                show_if = ShowIf(
                    trigger.key, frozenset(draw(st.lists(st.sampled_from(values), min_size=1)))
                )
            questions.append(
                QuestionSpec(
                    key=f"{domain.key}.q{n}",
                    domain=domain.key,
                    type=kind,
                    weight=draw(weights),
                    critical=draw(st.booleans()),
                    allow_na=draw(st.booleans()),
                    options=options,
                    show_if=show_if,
                )
            )
    return InstrumentSpec(domains=domains, questions=tuple(questions))


def answer_sets(spec: InstrumentSpec) -> st.SearchStrategy[dict[str, str]]:
    """Any mix of options, N/A, blanks, unknown values and missing keys."""
    per_question = {
        q.key: st.sampled_from(
            [o.value for o in q.options] + [NA, "", "bogus"] + ([] if q.scored else ["yes"])
        )
        for q in spec.questions
    }
    return st.fixed_dictionaries({}, optional=per_question)


def _in_range(value: Decimal | None) -> bool:
    return value is None or (D(0) <= value <= D(100) and value == round_half_up(value))


@FAST
@given(st.data())
def test_scores_levels_and_the_plan_stay_in_range(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    answers = data.draw(answer_sets(spec))
    targets = data.draw(st.dictionaries(st.sampled_from([d.key for d in spec.domains]),
                                        st.integers(0, 100)))  # fmt: skip
    result = score_assessment(spec, answers, targets)

    for domain in result.domains:
        assert _in_range(domain.score)
        assert _in_range(domain.completeness)
        assert (domain.level is None) == (domain.score is None)
        assert domain.level is None or 1 <= domain.level <= 5
        if domain.blockers:
            assert domain.level is not None
            assert domain.level <= 2
        assert domain.gap is None or domain.gap >= 0
        assert domain.applicable or domain.score is None
        assert domain.counted <= domain.answered <= domain.visible_scored
    assert _in_range(result.overall_score)
    assert _in_range(result.completeness)
    assert result.overall_level == level_for(result.overall_score)
    assert (result.verdict is None) == (not any(d.applicable for d in result.domains))
    if result.blockers:
        assert result.verdict == VERDICT_NOT_READY

    priorities = [item.priority for item in result.action_plan]
    assert priorities == sorted(priorities, reverse=True)
    assert all(p > 0 for p in priorities)
    planned = {item.question for item in result.action_plan}
    assert planned <= result.visible
    assert set(result.still_to_answer) <= result.visible
    assert not planned & set(result.still_to_answer)
    json.dumps(result_to_dict(result))


@FAST
@given(st.data())
def test_counting_answers_agrees_with_scoring_them(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    answers = data.draw(answer_sets(spec))
    result = score_assessment(spec, answers, with_plan=False)
    counts = count_answers(spec, answers)
    assert counts.visible == result.visible
    assert counts.answered == sum(d.answered for d in result.domains)
    assert counts.visible_scored == sum(d.visible_scored for d in result.domains)


def _domain_scores(result: AssessmentResult) -> list[Decimal | None]:
    return [d.score for d in result.domains]


@FAST
@given(st.data())
def test_answering_na_to_an_unanswered_question_changes_no_score(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    answers = data.draw(answer_sets(spec))
    unanswered = [q.key for q in spec.questions if q.key not in answers]
    assume(unanswered)
    key = data.draw(st.sampled_from(unanswered))
    before = score_assessment(spec, answers)
    after = score_assessment(spec, answers | {key: NA})
    assert _domain_scores(after) == _domain_scores(before)
    assert after.overall_score == before.overall_score
    assert after.visible == before.visible


@FAST
@given(st.data())
def test_raising_one_answer_never_lowers_its_domain_score(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    answers = data.draw(answer_sets(spec))
    # A trigger's answer may show follow-ups that lower the score, so leave triggers out.
    triggers = {q.show_if.question for q in spec.questions if q.show_if}
    candidates = [q for q in spec.questions if q.scored and q.key not in triggers]
    assume(candidates)
    question = data.draw(st.sampled_from(candidates))
    low, high = sorted(
        data.draw(st.lists(st.sampled_from(question.options), min_size=2, max_size=2)),
        key=lambda option: option.score,
    )
    lower = score_assessment(spec, answers | {question.key: low.value}).domain(question.domain)
    higher = score_assessment(spec, answers | {question.key: high.value}).domain(question.domain)
    assert (lower.score is None) == (higher.score is None)
    if lower.score is not None and higher.score is not None:
        assert higher.score >= lower.score


@FAST
@given(st.data())
def test_answers_to_hidden_questions_change_nothing(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    answers = data.draw(answer_sets(spec))
    result = score_assessment(spec, answers)
    hidden = [q for q in spec.questions if q.key not in result.visible]
    assume(hidden)
    question = data.draw(st.sampled_from(hidden))
    other = data.draw(answer_sets(spec)).get(question.key, "")
    assert score_assessment(spec, answers | {question.key: other}) == result


@FAST
@given(
    st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False, allow_infinity=False),
    st.integers(0, 4),
)
def test_round_half_up_agrees_with_decimal_round_half_up(value: Decimal, places: int) -> None:
    expected = value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert round_half_up(value, places) == expected
    assert round_half_up(F(value), places) == expected


# --- the rules other modules call (one home each) --------------------------------------------

_SCALE = QuestionSpec(
    key="d.q1",
    domain="d",
    type="scale",
    options=tuple(OptionSpec(str(n), F(n)) for n in range(5)),
)
_CHOICE = QuestionSpec(
    key="d.q2",
    domain="d",
    type="choice",
    options=(OptionSpec("none", F(0)), OptionSpec("some", F(1)), OptionSpec("all", F(3))),
)


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        (_SCALE, "3", F(3, 4)),
        (_SCALE, "0", F(0)),
        (_SCALE, "4", F(1)),
        (_CHOICE, "some", F(1, 3)),
        (_SCALE, NA, None),
        (_SCALE, "", None),
        (_SCALE, "7", None),
        (QuestionSpec(key="d.q3", domain="d", type="text"), "free words", None),
        (
            QuestionSpec(key="d.q4", domain="d", type="choice", options=(OptionSpec("a", F(0)),)),
            "a",
            None,
        ),
    ],
)
def test_the_normalised_score_is_the_option_score_over_the_highest(
    question: QuestionSpec, value: str, expected: Fraction | None
) -> None:
    assert normalised_score(question, value) == expected


@pytest.mark.parametrize(
    ("score", "blocked", "level", "capped"),
    [
        (D("81.3"), True, 2, True),
        (D("40.0"), True, 2, True),
        (D("39.9"), True, 2, False),
        (D("10.0"), True, 1, False),
        (D("81.3"), False, 5, False),
        (None, True, None, False),
    ],
)
def test_a_blocker_caps_the_level_at_2_and_says_so_only_when_it_lowered_it(
    score: Decimal | None, blocked: bool, level: int | None, capped: bool
) -> None:
    assert domain_level(score, blocked=blocked) == level
    assert level_capped(score, blocked=blocked) is capped


@pytest.mark.parametrize(
    ("levels", "blockers", "threshold", "expected"),
    [
        (
            [],
            0,
            F(1, 2),
            ("no domain applies to this site, so there is no overall score and no verdict",),
        ),
        (
            [5, 4],
            1,
            F(1, 2),
            (
                "1 critical safeguard scores below half of the top answer, which rules out a "
                "“Ready” or “Conditionally ready” verdict whatever the scores",
            ),
        ),
        (
            [5],
            2,
            F(3, 4),
            (
                "2 critical safeguards score below three quarters of the top answer, which rules "
                "out a “Ready” or “Conditionally ready” verdict whatever the scores",
            ),
        ),
        (
            [3, 4, 5],
            0,
            F(1, 2),
            ("every domain that counts is at level 3 (Defined) or above, with no blocker",),
        ),
        (
            [2, 4],
            0,
            F(1, 2),
            ("no blocker and no domain at level 1, but 1 domain is at level 2 (Developing)",),
        ),
        (
            [2, 2, 4],
            0,
            F(1, 2),
            ("no blocker and no domain at level 1, but 2 domains are at level 2 (Developing)",),
        ),
        # A domain without a score yet (None) counts as level 1, and is called what it is:
        # the table shows "—" for it, not level 1 (issue 11).
        ([None, 4], 0, F(1, 2), ("1 domain has no score yet, which counts as level 1 (Initial)",)),
        (
            [None, None, 1, 4],
            0,
            F(1, 2),
            (
                "1 domain is at level 1 (Initial)",
                "2 domains have no score yet, which counts as level 1 (Initial)",
            ),
        ),
        (
            [1, 1, 2, 2, 2],
            0,
            F(1, 2),
            (
                "2 domains are at level 1 (Initial)",
                "3 domains are at level 2 (Developing), more than two",
            ),
        ),
    ],
)
def test_the_verdict_reasons_name_the_rule_that_decided(
    levels: list[int | None], blockers: int, threshold: Fraction, expected: tuple[str, ...]
) -> None:
    assert verdict_reasons(levels=levels, blockers=blockers, blocker_below=threshold) == expected


_REASON_OF = {
    None: "no domain applies",
    VERDICT_READY: "every domain that counts",
    VERDICT_CONDITIONAL: "no blocker and no domain at level 1",
}


@FAST
@given(st.data())
def test_the_verdict_reasons_always_explain_the_verdict_scoring_gave(data: st.DataObject) -> None:
    spec = data.draw(instruments())
    result = score_assessment(spec, data.draw(answer_sets(spec)))
    reasons = verdict_reasons(
        levels=[d.level for d in result.domains if d.applicable],
        blockers=len(result.blockers),
        blocker_below=spec.blocker_below,
    )
    assert reasons
    if result.blockers:
        assert "critical safeguard" in reasons[0]
    elif result.verdict in _REASON_OF:
        assert reasons[0].startswith(_REASON_OF[result.verdict])
    else:
        assert result.verdict == VERDICT_NOT_READY
        assert all("domain" in reason and "level" in reason for reason in reasons)
