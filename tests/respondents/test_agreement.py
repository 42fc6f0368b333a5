"""The disagreement rules of independent answers (issue 15), every question type."""

from __future__ import annotations

from fractions import Fraction

import pytest

from assessments.scoring import (
    NA,
    DomainSpec,
    InstrumentSpec,
    OptionSpec,
    QuestionSpec,
    ShowIf,
)
from respondents.agreement import agreement, question_agreements

SCALE = QuestionSpec(
    key="s",
    domain="d",
    type="scale",
    options=tuple(OptionSpec(str(i), Fraction(i)) for i in range(5)),
)
YES_NO = QuestionSpec(
    key="y",
    domain="d",
    type="yes_no",
    options=(OptionSpec("yes", Fraction(1)), OptionSpec("no", Fraction(0))),
)
# Range 0..10: "more than half the range apart" means a difference above 5.
CHOICE = QuestionSpec(
    key="c",
    domain="d",
    type="choice",
    options=(
        OptionSpec("none", Fraction(0)),
        OptionSpec("some", Fraction(5)),
        OptionSpec("most", Fraction(6)),
        OptionSpec("all", Fraction(10)),
    ),
)
TEXT = QuestionSpec(key="t", domain="d", type="text")
NO_NA = QuestionSpec(key="n", domain="d", type="yes_no", allow_na=False, options=YES_NO.options)


@pytest.mark.parametrize(
    ("question", "values", "disagree"),
    [
        (SCALE, ["2", "2"], False),
        (SCALE, ["2", "3"], False),  # one point apart
        (SCALE, ["1", "3"], True),  # two points apart
        (SCALE, ["0", "4"], True),
        (SCALE, ["2", "3", "4"], True),  # the extremes of three
        (SCALE, ["2", NA], True),  # N/A against an answer
        (SCALE, [NA, NA], False),
        (SCALE, ["2", "", None], False),  # unanswered is not an answer
        (SCALE, ["2", "9"], False),  # not an option: counts as unanswered
        (YES_NO, ["yes", "yes"], False),
        (YES_NO, ["yes", "no"], True),
        (YES_NO, ["no", NA], True),
        (NO_NA, ["no", NA], False),  # N/A not allowed there: unanswered
        (CHOICE, ["none", "some"], False),  # exactly half: not more than half
        (CHOICE, ["none", "most"], True),
        (CHOICE, ["some", "all"], False),
        (CHOICE, ["none", "all"], True),
        (CHOICE, ["all", NA], True),
        (TEXT, ["one view", "another view"], False),
        (TEXT, ["one view", NA], True),
        (SCALE, [], False),
    ],
)
def test_disagreement_rules(question, values, disagree):
    assert agreement(question, values).disagree is disagree


def test_spread_and_unanimous_answer():
    result = agreement(SCALE, ["1", "3", NA, ""])
    assert result.answered == 3
    assert result.spread == (Fraction(1, 4), Fraction(3, 4))
    assert result.unanimous is None
    same = agreement(CHOICE, ["some", "some", None])
    assert (same.unanimous, same.answered, same.disagree) == ("some", 2, False)
    assert same.spread == (Fraction(1, 2), Fraction(1, 2))
    assert agreement(SCALE, [NA]).spread is None


def test_a_follow_up_is_compared_only_among_those_who_saw_it():
    follow_up = QuestionSpec(
        key="f",
        domain="d",
        type="scale",
        options=SCALE.options,
        show_if=ShowIf(question="y", values=frozenset({"yes"})),
    )
    other = QuestionSpec(key="o", domain="e", type="text")
    spec = InstrumentSpec(
        domains=(DomainSpec("d"), DomainSpec("e")), questions=(YES_NO, follow_up, other)
    )
    # B answered "no", so never saw the follow-up; a stale value there is not compared.
    a = {"y": "yes", "f": "4"}
    b = {"y": "no", "f": "0"}
    c = {"y": "yes", "f": "3"}
    result = question_agreements(spec, [a, b, c], "d")
    assert set(result) == {"y", "f"}
    assert result["y"].disagree is True
    assert result["f"].disagree is False
    assert result["f"].answered == 2
    assert question_agreements(spec, [a, b, {"y": "yes", "f": "1"}])["f"].disagree is True
