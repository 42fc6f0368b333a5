"""Check a parsed instrument file: the declared format first, then the rules no schema states.

The format (`instrument_format.InstrumentFormat`, also published as JSON Schema) judges fields,
types, patterns, lengths and ranges, and `instrument_wording` words its errors for a content
author. This module adds what a schema cannot say: duplicate keys, a question key under the
wrong domain, recommendations on scored questions, which question types take options, option
scores, show_if order and values, and the number of decimals (a float step such as 0.1 is not
exact in JSON Schema). Every problem is reported together, in file order; a file without
problems becomes an InstrumentDef. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import ValidationError

from assessments.instrument_format import InstrumentFormat
from assessments.instrument_wording import (
    DOMAIN_RANK,
    OPTION_RANK,
    QUESTION_RANK,
    SHOW_IF_RANK,
    TOP_RANK,
    FormatErrorWording,
    Position,
    option_text,
    show,
)
from assessments.instruments import (
    DEFAULT_BLOCKER_BELOW,
    DEFAULT_TARGET,
    DomainDef,
    InstrumentDef,
    InstrumentError,
    OptionDef,
    QuestionDef,
    ShowIfDef,
    default_options,
)
from assessments.value_text import YAML_WORDS, exact_decimal, has_decimals, kind_of

_LAST = 10**6
_WEIGHT_STEP = Decimal("0.001")
_TARGET_STEP = Decimal("0.1")
_BLOCKER_STEP = Decimal("0.01")


def validate_instrument(data: Any, *, name: str) -> InstrumentDef:
    """Turn the result of yaml.safe_load into an InstrumentDef, collecting every problem."""
    return InstrumentFileChecker(name).check(data)


class InstrumentFileChecker(FormatErrorWording):
    """Checks one parsed file, collecting problems instead of stopping at the first."""

    def check(self, data: Any) -> InstrumentDef:
        if data is None:
            self.add((), "", "the file is empty; expected slug, version, title and domains")
            raise InstrumentError(self._sorted())
        if not isinstance(data, dict):
            reason = (
                "the top level must be a mapping (slug: ..., version: ...), "
                f"not {kind_of(data, YAML_WORDS)}"
            )
            self.add((), "", reason)
            raise InstrumentError(self._sorted())
        try:
            InstrumentFormat.model_validate(data)
        except ValidationError as exc:
            self.errors = [dict(error) for error in exc.errors(include_url=False)]
        self._name_places(data)
        for error in self.errors:
            self._word(error, data)
        self._check_rules(data)
        if self.problems:
            raise InstrumentError(self._sorted())
        return _definition(data)

    # -- the rules no schema states --

    def _check_rules(self, data: dict[Any, Any]) -> None:
        top = TOP_RANK
        if self._too_precise(data, (), "default_target", _TARGET_STEP):
            reason = f"may have at most one decimal, not {show(data['default_target'])}"
            self.add((top["default_target"],), "default_target", reason)
        if self._too_precise(data, (), "blocker_below", _BLOCKER_STEP):
            reason = f"may have at most two decimals, not {show(data['blocker_below'])}"
            self.add((top["blocker_below"],), "blocker_below", reason)
        domains = data.get("domains")
        if not isinstance(domains, list):
            return
        first_use: dict[str, int] = {}
        # Every question seen so far, in file order, with its option values (None when the
        # question is free text or its options are invalid): show_if may only look back.
        earlier: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        all_keys = _all_question_keys(domains)
        for i, domain in enumerate(domains):
            if not isinstance(domain, dict):
                continue
            base = (top["domains"], i)
            key = self.domain_key.get(i)
            if key is not None:
                if key in first_use:
                    reason = f"duplicate domain key (also used by domains[{first_use[key]}])"
                    self.add((*base, DOMAIN_RANK["duplicate"]), key, reason)
                else:
                    first_use[key] = i
            self._check_numbers(domain, ("domains", i), self.domain_where[i], base, DOMAIN_RANK)
            questions = domain.get("questions")
            for j, question in enumerate(questions if isinstance(questions, list) else []):
                if isinstance(question, dict):
                    self._check_question(i, j, question, earlier, all_keys)

    def _check_numbers(
        self,
        raw: dict[Any, Any],
        loc: tuple[str | int, ...],
        where: str,
        base: Position,
        ranks: Mapping[str, int],
    ) -> None:
        """Weights have at most 3 decimals, targets 1: the columns' places (no float step)."""
        if self._too_precise(raw, loc, "weight", _WEIGHT_STEP):
            reason = f"weight {show(raw['weight'])} must be below 100000 with at most 3 decimals"
            self.add((*base, ranks["weight"]), where, reason)
        if self._too_precise(raw, loc, "target", _TARGET_STEP):
            reason = f"target may have at most one decimal, not {show(raw['target'])}"
            self.add((*base, ranks["target"]), where, reason)

    def _too_precise(
        self, raw: Mapping[Any, Any], loc: tuple[str | int, ...], name: str, step: Decimal
    ) -> bool:
        """True when the field passed the format but has more decimals than `step`."""
        if name not in raw or self.bad(*loc, name):
            return False
        number = exact_decimal(raw[name])
        return number is not None and has_decimals(number, step)

    def _check_question(
        self,
        i: int,
        j: int,
        question: dict[Any, Any],
        earlier: dict[str, tuple[str, tuple[str, ...] | None]],
        all_keys: frozenset[str],
    ) -> None:
        loc = ("domains", i, "questions", j)
        base = (TOP_RANK["domains"], i, DOMAIN_RANK["questions"], j)
        where, key = self.question_where[i, j], self.question_key.get((i, j))
        if (i, j) in self.misplaced:
            reason = (
                f'question key must start with "{self.domain_key[i]}." (its domain key and a dot)'
            )
            self.add((*base, QUESTION_RANK["key"]), str(question["key"]), reason)
        duplicate = key is not None and key in earlier
        if duplicate:
            self.add((*base, QUESTION_RANK["duplicate"]), where, "duplicate question key")
        self._check_numbers(question, loc, where, base, QUESTION_RANK)

        question_type = None if self.bad(*loc, "type") else question.get("type")
        written = question.get("recommendation")
        unwritten = written is None or (isinstance(written, str) and not written.strip())
        if question_type is not None and question_type != "text" and unwritten:
            reason = "recommendation is missing: scored questions need one"
            self.add((*base, QUESTION_RANK["recommendation_missing"]), where, reason)
        if question_type == "text" and question.get("critical") is True:
            reason = "critical: a free-text question is not scored, so it cannot be critical"
            self.add((*base, QUESTION_RANK["critical_text"]), where, reason)

        values = None
        if question_type is not None:
            values = self._check_options(loc, (*base, QUESTION_RANK["options"]), where, question)
        if question.get("show_if") is not None:
            position = (*base, QUESTION_RANK["show_if"], SHOW_IF_RANK["refers"])
            self._check_show_if(loc, position, where, key, question, earlier, all_keys)
        if key and not duplicate:
            earlier[key] = (question_type or "", None if question_type == "text" else values)

    def _check_options(
        self, loc: tuple[str | int, ...], position: Position, where: str, question: dict[Any, Any]
    ) -> tuple[str, ...] | None:
        """The question's option values when its options are valid, else None."""
        question_type, raw = question["type"], question.get("options")
        if raw is None:
            if question_type == "choice":
                reason = "options are missing: a choice question lists at least two"
                self.add(position, where, reason)
                return None
            return tuple(option.value for option in default_options(question_type))
        if question_type in ("yes_no", "text"):
            what = "always yes and no" if question_type == "yes_no" else "free text"
            reason = f"options are not allowed on a {question_type} question (it is {what})"
            self.add(position, where, reason)
            return None
        if not isinstance(raw, list):
            return None
        seen: list[str] = []
        ok = not self.bad(*loc, "options")
        for k, option in enumerate(raw):
            if not isinstance(option, dict) or self.bad(*loc, "options", k, "value"):
                continue
            value = option_text(option.get("value"))
            if value in seen:
                reason = f'options[{k}]: duplicate option value "{value}"'
                self.add((*position, k, OPTION_RANK["duplicate"]), where, reason)
                ok = False
            seen.append(value)
        if ok and max(exact_decimal(o["score"]) or 0 for o in raw) <= 0:
            self.add((*position, _LAST), where, "the highest option score must be greater than 0")
            ok = False
        return tuple(seen) if ok else None

    def _check_show_if(
        self,
        loc: tuple[str | int, ...],
        position: Position,
        where: str,
        key: str | None,
        question: dict[Any, Any],
        earlier: dict[str, tuple[str, tuple[str, ...] | None]],
        all_keys: frozenset[str],
    ) -> None:
        target = self._show_if_target(question)
        if target is None:
            return  # the format's message says the question is missing
        if target == key:
            self.add(position, where, "show_if refers to the question itself")
            return
        if target not in earlier:
            if target in all_keys:
                reason = (
                    f'show_if refers to "{target}", which comes later in the file; '
                    "it must refer to an earlier question"
                )
            else:
                reason = f'show_if refers to "{target}", which is not a question in this file'
            self.add(position, where, reason)
            return
        target_type, target_values = earlier[target]
        if target_type == "text":
            reason = (
                f'show_if refers to "{target}", a free-text question; '
                "it must refer to a question with options"
            )
            self.add(position, where, reason)
            return
        raw_values = question["show_if"].get("in")
        if target_values is None or not isinstance(raw_values, list):
            return
        allowed = ", ".join(f'"{v}"' for v in target_values)
        for index, raw in enumerate(raw_values):
            if self.bad(*loc, "show_if", "in", index):
                continue
            value = option_text(raw)
            if value not in target_values:
                reason = f'show_if: "{value}" is not an option of "{target}" ({allowed})'
                self.add(position, where, reason)


# --- the checked file as dataclasses --------------------------------------------------------


def _definition(data: dict[str, Any]) -> InstrumentDef:
    """The InstrumentDef of a file that passed every check (so every field has its type)."""
    return InstrumentDef(
        slug=data["slug"],
        version=data["version"],
        title=_text(data, "title"),
        description=_text(data, "description"),
        source=_text(data, "source"),
        licence=_text(data, "licence"),
        default_target=_number(data, "default_target", DEFAULT_TARGET),
        blocker_below=_number(data, "blocker_below", DEFAULT_BLOCKER_BELOW),
        domains=tuple(_domain(domain) for domain in data["domains"]),
    )


def _domain(raw: dict[str, Any]) -> DomainDef:
    return DomainDef(
        key=raw["key"],
        title=_text(raw, "title"),
        description=_text(raw, "description"),
        weight=_number(raw, "weight", Decimal(1)),
        target=_number(raw, "target", None),
        questions=tuple(_question(question, raw["key"]) for question in raw["questions"]),
    )


def _question(raw: dict[str, Any], domain: str) -> QuestionDef:
    question_type = raw["type"]
    show_if = raw.get("show_if")
    options = raw.get("options")
    return QuestionDef(
        key=raw["key"],
        domain=domain,
        type=question_type,
        text=_text(raw, "text"),
        help=_text(raw, "help"),
        weight=_number(raw, "weight", Decimal(1)),
        critical=raw.get("critical", False),
        allow_na=raw.get("allow_na", True),
        recommendation=_text(raw, "recommendation"),
        references=tuple(item.strip() for item in raw.get("references") or ()),
        show_if=None
        if show_if is None
        else ShowIfDef(
            question=show_if["question"].strip(),
            values=tuple(option_text(value) for value in show_if["in"]),
        ),
        options=default_options(question_type)
        if options is None
        else tuple(
            OptionDef(
                value=option_text(option["value"]),
                label=_text(option, "label"),
                score=Fraction(exact_decimal(option["score"]) or 0),
            )
            for option in options
        ),
    )


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(raw: Mapping[str, Any], name: str, default: Any) -> Any:
    return exact_decimal(raw[name]) if name in raw else default


def _all_question_keys(raw_domains: list[Any]) -> frozenset[str]:
    """Every question key in the file, to tell a show_if to a later question from a typo."""
    keys: set[str] = set()
    for raw_domain in raw_domains:
        if isinstance(raw_domain, dict) and isinstance(raw_domain.get("questions"), list):
            for raw_question in raw_domain["questions"]:
                if isinstance(raw_question, dict) and isinstance(raw_question.get("key"), str):
                    keys.add(raw_question["key"])
    return frozenset(keys)
