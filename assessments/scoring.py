"""Readiness scores of an assessment: the exact rules of PRODUCT.md, "Scoring".

Pure Python over plain data: no Django, no I/O, no floats. Arithmetic is done with `Fraction` and each
domain score, then the overall score, is rounded half up to one decimal as soon as it is computed;
everything after that (levels, gaps, verdict, priorities) uses the rounded value.

In short:
- An item is *visible* when it has no `show_if`, or the question it refers to is visible and answered
  with one of the listed values. Hidden items are ignored completely, even when they hold an answer.
- An item is *scored* unless it is free text, and *counted* when it is visible, scored, answered with
  one of its options, and not N/A. Its normalised score is `s_i = option score / highest option score`.
- Domain score = `100 * sum(w_i * s_i) / sum(w_i)` over counted items; no counted item, no score.
- A domain is *not applicable* when it has no visible scored item or all of them are answered N/A.
  It is left out of the overall score and the verdict. Any other domain without a score counts as
  level 1 for the verdict and makes the assessment provisional.
- Overall score = mean of the rounded domain scores, weighted by the domain weights `D_d`.
- A counted critical item with `s_i < b` is a blocker, where `b` is the instrument's `blocker_below`
  (default 1/2; 3/4 from version 1.1 of the shipped instruments): its domain is capped at level 2
  and the verdict is "Not ready".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from typing import Any

NA = "na"  # answer value meaning "not applicable"

LEVEL_NAMES = {1: "Initial", 2: "Developing", 3: "Defined", 4: "Managed", 5: "Optimising"}

VERDICT_READY = "Ready"
VERDICT_CONDITIONAL = "Conditionally ready"
VERDICT_NOT_READY = "Not ready"

_TEXT = "text"
_HALF = Fraction(1, 2)
# PRODUCT.md, "Critical items": the threshold when an instrument sets none.
DEFAULT_BLOCKER_BELOW = Fraction(1, 2)
_BLOCKED_LEVEL = 2
# "Conditionally ready" allows at most this many domains at level 2.
_MAX_CONDITIONAL_AT_2 = 2
# Overall completeness below this makes the verdict provisional (compared exactly, not rounded).
_PROVISIONAL_BELOW = Fraction(4, 5)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    value: str
    score: Fraction  # >= 0


@dataclass(frozen=True)
class ShowIf:
    question: str
    values: frozenset[str]


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    domain: str
    type: str  # "scale" | "yes_no" | "choice" | "text"
    weight: Fraction = Fraction(1)
    critical: bool = False
    allow_na: bool = True
    # Already expanded by the loader for scale and yes_no; empty for text.
    options: tuple[OptionSpec, ...] = ()
    show_if: ShowIf | None = None

    @property
    def scored(self) -> bool:
        return self.type != _TEXT

    @property
    def max_score(self) -> Fraction:
        return max((option.score for option in self.options), default=Fraction(0))


@dataclass(frozen=True)
class DomainSpec:
    key: str
    weight: Fraction = Fraction(1)
    target: Decimal = Decimal(60)


@dataclass(frozen=True)
class InstrumentSpec:
    domains: tuple[DomainSpec, ...]
    # In file order (domain order, then question order); show_if refers only to earlier questions.
    questions: tuple[QuestionSpec, ...]
    # A counted critical item with a normalised score below this is a blocker: 0 < b <= 1.
    blocker_below: Fraction = DEFAULT_BLOCKER_BELOW


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainScore:
    # Not DomainResult: that name belongs to the model that stores this result per assessment.
    key: str
    score: Decimal | None  # rounded to one decimal; None when no item is counted
    level: int | None  # already capped at 2 by a blocker; None when there is no score
    completeness: Decimal | None  # percent, one decimal; None when no visible scored item
    gap: Decimal | None
    target: Decimal
    applicable: bool
    blockers: tuple[str, ...]
    answered: int  # visible scored items answered, N/A included
    visible_scored: int
    counted: int

    @property
    def capped(self) -> bool:
        """True when a blocker holds the level below the one the score gives."""
        return level_capped(self.score, blocked=bool(self.blockers))


@dataclass(frozen=True)
class ActionItem:
    question: str
    domain: str
    priority: Fraction
    critical: bool
    blocker: bool
    normalised_score: Fraction

    @property
    def priority_display(self) -> Decimal:
        return round_half_up(self.priority, 4)


@dataclass(frozen=True)
class AssessmentResult:
    domains: tuple[DomainScore, ...]  # in instrument order
    overall_score: Decimal | None
    overall_level: int | None
    verdict: str | None
    provisional: bool
    completeness: Decimal | None
    action_plan: tuple[ActionItem, ...]
    still_to_answer: tuple[str, ...]
    blockers: tuple[str, ...]
    visible: frozenset[str]

    def domain(self, key: str) -> DomainScore:
        for result in self.domains:
            if result.key == key:
                return result
        raise KeyError(key)


# --- helpers --------------------------------------------------------------------------------


def round_half_up(value: Fraction | Decimal, places: int = 1) -> Decimal:
    """Round exactly, halves away from zero: 62.25 -> 62.3, and 0.41245 at 4 places -> 0.4125.

    Binary floats would turn 62.25-style sums into 62.2499..., hence Fraction all the way.
    """
    if places < 0:
        raise ValueError(f"places must be 0 or more, not {places}")
    exact = Fraction(value)
    units = floor(abs(exact) * 10**places + _HALF)
    sign = "-" if exact < 0 and units else ""
    # Built from a string so that no Decimal context precision can round it again.
    return Decimal(f"{sign}{units}e-{places}")


def level_for(score: Decimal | None) -> int | None:
    """Maturity level 1-5 of a rounded score: [0,20) 1, [20,40) 2, [40,60) 3, [60,80) 4, [80,100] 5."""
    if score is None:
        return None
    for level, upper in enumerate((20, 40, 60, 80), start=1):
        if score < upper:
            return level
    return 5


def domain_level(score: Decimal | None, *, blocked: bool) -> int | None:
    """The maturity level of a domain: the level of its rounded score, capped at 2 by a blocker."""
    level = level_for(score)
    if blocked and level is not None:
        return min(level, _BLOCKED_LEVEL)
    return level


def level_capped(score: Decimal | None, *, blocked: bool) -> bool:
    """True when a blocker holds a domain's level below the one its score gives."""
    uncapped = level_for(score)
    return blocked and uncapped is not None and uncapped > _BLOCKED_LEVEL


def threshold_words(threshold: Fraction) -> str:
    """A blocker threshold in words, for sentences: 0.5 -> "half", 0.75 -> "three quarters",
    0.6 -> "0.6"."""
    named = {Fraction(1, 2): "half", Fraction(3, 4): "three quarters", Fraction(1, 4): "a quarter"}
    if threshold in named:
        return named[threshold]
    return format(Decimal(threshold.numerator) / Decimal(threshold.denominator), "f")


def _to_decimal(value: Decimal | int) -> Decimal:
    # Through str, so that a stray float target such as 62.5 stays exactly 62.5.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _percent(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else round_half_up(Fraction(100 * part, whole))


def _answer_value(question: QuestionSpec, raw: str | None) -> str | None:
    """The answer as it counts: an option value, NA, free text, or None when unanswered.

    A value that is not one of the options, and N/A where N/A is not allowed, count as unanswered.
    """
    if raw is None or raw == "":
        return None
    if raw == NA:
        return NA if question.allow_na else None
    if not question.scored:
        return raw
    return raw if any(option.value == raw for option in question.options) else None


def option_score(question: QuestionSpec, value: str) -> Fraction | None:
    """The score of the option with this value; None when `value` is not one of the options."""
    return next((option.score for option in question.options if option.value == value), None)


def normalised_score(question: QuestionSpec, value: str) -> Fraction | None:
    """`s_i = option score / highest option score`, in [0, 1]: the one home of that rule.

    None when the value is not one of the question's options (unanswered, N/A, free text)
    or when no option scores above 0, which the instrument loader rejects.
    """
    score = option_score(question, value)
    top = question.max_score
    if score is None or top <= 0:
        return None
    return score / top


def _normalised(question: QuestionSpec, value: str) -> Fraction:
    normalised = normalised_score(question, value)
    if normalised is None:
        # Only counted items get here; a spec built by hand could still have a top of 0.
        raise ValueError(f"{question.key}: the highest option score must be greater than 0")
    return normalised


def _weighted_mean(pairs: Iterable[tuple[Fraction, Fraction]]) -> Fraction:
    weighted = list(pairs)
    total = sum((w * x for w, x in weighted), Fraction(0))
    return total / sum((w for w, _ in weighted), Fraction(0))


# --- rules ----------------------------------------------------------------------------------


def visible_keys(spec: InstrumentSpec, answers: Mapping[str, str]) -> frozenset[str]:
    """Keys of the questions shown for these answers, text questions included.

    A question with `show_if` is shown when the referred question is shown and its answer is one of
    the listed values; an unanswered or N/A referred question hides it, and so does one that is
    itself hidden, whatever answer it still holds. A reference to a later or unknown question hides it.
    """
    visible: set[str] = set()
    values: dict[str, str | None] = {}
    for question in spec.questions:
        condition = question.show_if
        if condition is None or (
            condition.question in visible
            and (value := values.get(condition.question)) is not None
            and value != NA
            and value in condition.values
        ):
            visible.add(question.key)
        values[question.key] = _answer_value(question, answers.get(question.key))
    return frozenset(visible)


@dataclass(frozen=True)
class _Item:
    """A visible scored question of a domain with its answer as it counts."""

    index: int  # position in the instrument, for tie-breaks
    question: QuestionSpec
    value: str | None  # option value, NA, or None when unanswered


def is_blocker(*, critical: bool, normalised: Fraction, blocker_below: Fraction) -> bool:
    """The one rule for a blocker: a counted critical item scoring below the threshold."""
    return critical and normalised < blocker_below


def _score_domain(
    domain: DomainSpec,
    domain_index: int,
    items: list[_Item],
    target: Decimal,
    blocker_below: Fraction,
    with_plan: bool = True,
) -> tuple[DomainScore, list[tuple[Fraction, int, int, ActionItem]]]:
    counted = [
        (item, _normalised(item.question, item.value))
        for item in items
        if item.value is not None and item.value != NA
    ]
    answered = sum(1 for item in items if item.value is not None)
    # An unanswered item keeps the domain applicable: it may still get a score.
    applicable = any(item.value != NA for item in items)
    blockers = tuple(
        item.question.key
        for item, s in counted
        if is_blocker(critical=item.question.critical, normalised=s, blocker_below=blocker_below)
    )

    score: Decimal | None = None
    gap: Decimal | None = None
    level: int | None = None
    plan: list[tuple[Fraction, int, int, ActionItem]] = []
    if counted:
        score = round_half_up(
            100 * _weighted_mean((item.question.weight, s) for item, s in counted)
        )
        level = domain_level(score, blocked=bool(blockers))
        # One decimal like the score; only a target set with more decimals is rounded here.
        gap = round_half_up(max(Decimal(0), target - score))
        total_weight = sum((item.question.weight for item, _ in counted), Fraction(0))
        gap_factor = 1 + Fraction(gap) / 100
        for item, s in counted if with_plan else ():
            if s >= 1:
                continue
            question = item.question
            priority = (
                (1 - s)
                * (question.weight / total_weight)
                * domain.weight
                * gap_factor
                * (2 if question.critical else 1)
            )
            action = ActionItem(
                question=question.key,
                domain=domain.key,
                priority=priority,
                critical=question.critical,
                blocker=question.key in blockers,
                normalised_score=s,
            )
            plan.append((priority, domain_index, item.index, action))

    result = DomainScore(
        key=domain.key,
        score=score,
        level=level,
        completeness=_percent(answered, len(items)),
        gap=gap,
        target=target,
        applicable=applicable,
        blockers=blockers,
        answered=answered,
        visible_scored=len(items),
        counted=len(counted),
    )
    return result, plan


def _verdict(levels: Iterable[int | None], has_blocker: bool) -> str | None:
    """The verdict from the levels of the applicable domains (PRODUCT.md, "Readiness verdict")."""
    # An applicable domain without a score (nothing answered yet) counts as level 1.
    counted = [level or 1 for level in levels]
    if not counted:
        return None
    if has_blocker:
        return VERDICT_NOT_READY
    if all(level >= 3 for level in counted):
        return VERDICT_READY
    if 1 not in counted and counted.count(_BLOCKED_LEVEL) <= _MAX_CONDITIONAL_AT_2:
        return VERDICT_CONDITIONAL
    return VERDICT_NOT_READY


def verdict_reasons(
    *, levels: Iterable[int | None], blockers: int, blocker_below: Fraction
) -> tuple[str, ...]:
    """Why the verdict is what it is, in words: the rule of `_verdict` that decided it.

    `levels` are those of the applicable domains (None, no score yet, counts as level 1) and
    `blockers` the number of blockers. Each reason is a clause, as `provisional_reasons` gives.
    """
    levels = list(levels)
    counted = [level or 1 for level in levels]
    verdict = _verdict(counted, blockers > 0)
    at_1, at_2 = counted.count(1), counted.count(2)
    if verdict is None:
        return ("no domain applies to this site, so there is no overall score and no verdict",)
    if blockers:
        return (
            f"{blockers} critical safeguard{'s' if blockers != 1 else ''} "
            f"{'score' if blockers != 1 else 'scores'} below {threshold_words(blocker_below)} "
            f"of the top answer, which rules out a “{VERDICT_READY}” or “{VERDICT_CONDITIONAL}” "
            "verdict whatever the scores",
        )
    if verdict == VERDICT_READY:
        return (
            f"every domain that counts is at level 3 ({LEVEL_NAMES[3]}) or above, with no blocker",
        )
    if verdict == VERDICT_CONDITIONAL:
        return (
            f"no blocker and no domain at level 1, but {at_2} domain"
            f"{'s are' if at_2 != 1 else ' is'} at level 2 ({LEVEL_NAMES[2]})",
        )
    reasons = []
    # A domain without a score shows "—", not level 1: say so, rather than count it silently.
    unscored = sum(1 for level in levels if level is None)
    scored_at_1 = at_1 - unscored
    if scored_at_1:
        reasons.append(
            f"{scored_at_1} domain{'s are' if scored_at_1 != 1 else ' is'} at level 1 "
            f"({LEVEL_NAMES[1]})"
        )
    if unscored:
        reasons.append(
            f"{unscored} domain{'s have' if unscored != 1 else ' has'} no score yet, which "
            f"counts as level 1 ({LEVEL_NAMES[1]})"
        )
    if at_2 > _MAX_CONDITIONAL_AT_2:
        reasons.append(f"{at_2} domains are at level 2 ({LEVEL_NAMES[2]}), more than two")
    return tuple(reasons)


PRIORITY_HIGH = "High"
PRIORITY_MEDIUM = "Medium"
PRIORITY_LOW = "Low"


def priority_band(
    priority: Fraction | Decimal, *, highest: Fraction | Decimal, blocker: bool
) -> str:
    """A recommendation's priority in words, relative to the plan it is in.

    High: a blocker, or at least half the plan's highest priority; Medium: at least a quarter
    of it; Low: the rest. Callers pass the priorities as shown (four decimals), so that the
    label and the number beside it never disagree.
    """
    if blocker or (highest > 0 and priority * 2 >= highest):
        return PRIORITY_HIGH
    if highest > 0 and priority * 4 >= highest:
        return PRIORITY_MEDIUM
    return PRIORITY_LOW


def provisional_reasons(
    *, answered: int, visible_scored: int, unscored_domains: Iterable[str] = ()
) -> tuple[str, ...]:
    """Why a verdict is provisional, in words; empty when it is not (PRODUCT.md, "Readiness verdict").

    The one home of the rule: overall completeness below 80 %, compared on the exact fraction
    (399 of 499 is 79.96 %, provisional, though it rounds to 80.0), or an applicable domain
    without a score yet. `unscored_domains` names those domains.
    """
    reasons = []
    if visible_scored > 0 and Fraction(answered, visible_scored) < _PROVISIONAL_BELOW:
        needed = ceil(_PROVISIONAL_BELOW * visible_scored)
        reasons.append(
            f"only {answered} of the {visible_scored} questions shown have been answered; "
            f"{needed} ({_PROVISIONAL_BELOW * 100}%) are needed"
        )
    unscored = list(unscored_domains)
    if unscored:
        reasons.append("no score yet in " + ", ".join(unscored))
    return tuple(reasons)


def score_assessment(
    spec: InstrumentSpec,
    answers: Mapping[str, str],
    targets: Mapping[str, Decimal | int] | None = None,
    *,
    with_plan: bool = True,
) -> AssessmentResult:
    """Score one assessment: domains, overall score and level, verdict, action plan.

    `answers` maps question keys to option values, `"na"` or free text; anything else counts as
    unanswered. `targets` overrides the instrument's target of a domain by key. Without
    `with_plan` the action plan is left empty (a page that shows no plan, such as the
    questionnaire, saves its exact arithmetic: most of the scoring time).
    """
    targets = targets or {}
    visible = visible_keys(spec, answers)
    items: dict[str, list[_Item]] = {domain.key: [] for domain in spec.domains}
    for index, question in enumerate(spec.questions):
        if question.domain not in items:
            raise ValueError(f"{question.key}: unknown domain {question.domain!r}")
        if question.scored and question.key in visible:
            value = _answer_value(question, answers.get(question.key))
            items[question.domain].append(_Item(index, question, value))

    results: list[DomainScore] = []
    plan: list[tuple[Fraction, int, int, ActionItem]] = []
    for domain_index, domain in enumerate(spec.domains):
        target = _to_decimal(targets.get(domain.key, domain.target))
        result, domain_plan = _score_domain(
            domain, domain_index, items[domain.key], target, spec.blocker_below, with_plan
        )
        results.append(result)
        plan.extend(domain_plan)
    # Highest priority first; ties by domain order, then question order.
    plan.sort(key=lambda entry: (-entry[0], entry[1], entry[2]))

    scored = [
        (domain.weight, Fraction(result.score))
        for domain, result in zip(spec.domains, results, strict=True)
        if result.score is not None
    ]
    overall_score = round_half_up(_weighted_mean(scored)) if scored else None

    ordered = sorted(
        (item for domain_items in items.values() for item in domain_items),
        key=lambda item: item.index,
    )
    answered = sum(result.answered for result in results)
    total = sum(result.visible_scored for result in results)
    provisional = bool(
        provisional_reasons(
            answered=answered,
            visible_scored=total,
            unscored_domains=[r.key for r in results if r.applicable and r.score is None],
        )
    )
    blocker_keys = {key for result in results for key in result.blockers}
    blockers = tuple(item.question.key for item in ordered if item.question.key in blocker_keys)
    return AssessmentResult(
        domains=tuple(results),
        overall_score=overall_score,
        overall_level=level_for(overall_score),
        verdict=_verdict((r.level for r in results if r.applicable), bool(blockers)),
        provisional=provisional,
        completeness=_percent(answered, total),
        action_plan=tuple(action for *_, action in plan),
        still_to_answer=tuple(item.question.key for item in ordered if item.value is None),
        blockers=blockers,
        visible=visible,
    )


# --- export ---------------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def result_to_dict(result: AssessmentResult) -> dict[str, Any]:
    """The "results" object of the assessment JSON: one-decimal numbers, priorities to four."""
    return {
        "overall": {
            "score": _number(result.overall_score),
            "level": result.overall_level,
            "verdict": result.verdict,
            "provisional": result.provisional,
            "completeness": _number(result.completeness),
        },
        "domains": {
            d.key: {
                "score": _number(d.score),
                "level": d.level,
                "completeness": _number(d.completeness),
                "gap": _number(d.gap),
                "target": float(d.target),
                "applicable": d.applicable,
                "blockers": list(d.blockers),
            }
            for d in result.domains
        },
        "action_plan": [
            {
                "question": item.question,
                "domain": item.domain,
                "priority": float(item.priority_display),
            }
            for item in result.action_plan
        ],
        "still_to_answer": list(result.still_to_answer),
    }
