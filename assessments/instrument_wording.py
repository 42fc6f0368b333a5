"""The instrument format's errors in a content author's words.

`instrument_format` judges a parsed file with pydantic; its errors name a location such as
("domains", 0, "questions", 2, "weight") and a type such as "greater_than". A content author
needs "FILE: KEY: reason" instead, the key being the question or domain key, or a path such as
"domains[2]" where no valid key exists, and a reason that says what to write:
`gov.q02: weight must be greater than 0, not 0`. This module gives every error that wording
and the order of the file; `instrument_checks` adds the rules no schema states. Pure: no Django.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from assessments.instrument_format import MAX_OPTION_VALUE, MAX_SLUG, MAX_TITLE, MAX_VERSION
from assessments.instruments import QUESTION_TYPES, RESERVED_VALUES, Problem
from assessments.value_text import YAML_WORDS, kind_of, show_value

# The fields of each level in the order problems are reported (the order of PRODUCT.md).
_TOP_FIELDS = (
    "slug",
    "version",
    "title",
    "description",
    "source",
    "licence",
    "default_target",
    "blocker_below",
    "domains",
)
_DOMAIN_FIELDS = ("key", "title", "description", "weight", "target", "questions")
_QUESTION_FIELDS = (
    "key",
    "type",
    "text",
    "help",
    "weight",
    "critical",
    "allow_na",
    "recommendation",
    "references",
    "show_if",
    "options",
)
_OPTION_FIELDS = ("value", "label", "score")
_SHOW_IF_FIELDS = ("question", "in")

# Where in a level a problem sorts; "unknown" and the checks in code have slots of their own.
TOP_RANK = {name: rank for rank, name in enumerate(("unknown", *_TOP_FIELDS))}
DOMAIN_RANK = {
    name: rank
    for rank, name in enumerate(
        ("key", "duplicate", "unknown", "title", "description", "weight", "target", "questions")
    )
}
QUESTION_RANK = {
    name: rank
    for rank, name in enumerate(
        (
            "key",
            "duplicate",
            "unknown",
            "type",
            "text",
            "help",
            "recommendation",
            "weight",
            "critical",
            "allow_na",
            "references",
            "recommendation_missing",
            "critical_text",
            "options",
            "show_if",
        )
    )
}
OPTION_RANK = {"unknown": 0, "value": 1, "duplicate": 2, "label": 3, "score": 4}
SHOW_IF_RANK = {"unknown": 0, "question": 1, "in": 2, "refers": 3}
_NUMBER_ERRORS = frozenset({"float_type", "finite_number", "missing"})
# Errors that say "this key is not one of the fields".
_UNKNOWN_ERRORS = frozenset({"extra_forbidden", "invalid_key"})

Position = tuple[int, ...]


class FormatErrorWording:
    """Collects the problems of one file, starting with the format's errors in plain words."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[tuple[Position, Problem]] = []
        self.errors: list[dict[str, Any]] = []
        # Question positions (domain index, question index) -> its key, or its path while
        # the key is not valid; the same for domains.
        self.domain_where: dict[int, str] = {}
        self.domain_key: dict[int, str] = {}
        self.question_where: dict[tuple[int, int], str] = {}
        self.question_key: dict[tuple[int, int], str] = {}
        # Questions whose key starts with another domain's key: that message replaces the
        # format's message about the key.
        self.misplaced: set[tuple[int, int]] = set()

    def add(self, position: Position, key: str, reason: str) -> None:
        self.problems.append((position, Problem(self.file, key, reason)))

    def bad(self, *loc: str | int) -> bool:
        """True when the format found an error at `loc` or inside it."""
        return any(tuple(error["loc"][: len(loc)]) == loc for error in self.errors)

    def _sorted(self) -> list[Problem]:
        unique: dict[tuple[Position, Problem], None] = dict.fromkeys(self.problems)
        return [problem for _, problem in sorted(unique, key=lambda item: item[0])]

    # -- where each domain and question is named --

    def _name_places(self, data: dict[Any, Any]) -> None:
        domains = data.get("domains")
        if not isinstance(domains, list):
            return
        for i, domain in enumerate(domains):
            self.domain_where[i] = f"domains[{i}]"
            if not isinstance(domain, dict):
                continue
            key = domain.get("key")
            if isinstance(key, str) and not self.bad("domains", i, "key"):
                self.domain_where[i] = self.domain_key[i] = key
            questions = domain.get("questions")
            for j, question in enumerate(questions if isinstance(questions, list) else []):
                self.question_where[i, j] = f"{self.domain_where[i]}.questions[{j}]"
                raw_key = question.get("key") if isinstance(question, dict) else None
                if not isinstance(raw_key, str):
                    continue
                domain_part, dot, _ = raw_key.partition(".")
                if i in self.domain_key and (not dot or domain_part != self.domain_key[i]):
                    self.misplaced.add((i, j))
                elif not self.bad("domains", i, "questions", j, "key"):
                    self.question_where[i, j] = self.question_key[i, j] = raw_key

    # -- the format's errors, in the author's words --

    def _word(self, error: dict[str, Any], data: dict[Any, Any]) -> None:
        loc = tuple(error["loc"])
        if error["type"] == "invalid_key":
            # A key that is not text (YAML allows `1:` or `null:`); pydantic names it last.
            loc = (*loc[:-1], str(error["input"]))
            error = {**error, "type": "extra_forbidden"}
        if loc[0] != "domains" or len(loc) == 1:
            self._word_top(loc[0], error)
        elif len(loc) == 2 or loc[2] != "questions" or len(loc) == 3:
            self._word_domain(loc[1], loc[2:], error)
        else:
            i, j = loc[1], loc[3]
            question = data["domains"][i]["questions"][j]
            self._word_question(i, j, loc[4:], error, question)

    def _word_top(self, field: Any, error: dict[str, Any]) -> None:
        kind, raw = error["type"], error["input"]
        if kind in _UNKNOWN_ERRORS:
            close = difflib.get_close_matches(str(field), _TOP_FIELDS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            self.add((0,), str(field), f"unknown field at the top level{hint}")
            return
        position = (TOP_RANK[field],)
        if field == "slug":
            reason = "missing" if kind == "missing" or raw is None else _slug_reason(raw)
        elif field == "version":
            reason = _version_reason(kind, raw)
        elif field in ("title", "description", "source", "licence"):
            reason = _text_reason(error, "", max_length=MAX_TITLE)
        elif field == "default_target":
            reason = f"must be a number from 0 to 100, not {show(raw)}"
        elif field == "blocker_below":
            reason = (
                f"must be a number greater than 0 and at most 1 (for example 0.75), not {show(raw)}"
            )
        elif kind == "missing" or raw is None:
            reason = "missing: list at least one domain"
        elif kind == "list_type":
            reason = f"must be a list of domains, not {_kind(raw)}"
        else:
            reason = "the list is empty: list at least one domain"
        self.add(position, str(field), reason)

    def _word_domain(self, i: int, rest: tuple[Any, ...], error: dict[str, Any]) -> None:
        kind, raw = error["type"], error["input"]
        path, where = f"domains[{i}]", self.domain_where[i]
        if not rest:
            reason = f"a domain must be a mapping (key: ..., title: ...), not {_kind(raw)}"
            self.add((TOP_RANK["domains"], i), path, reason)
            return
        field = rest[0]
        position: Position = (TOP_RANK["domains"], i, DOMAIN_RANK.get(field, 2))
        if kind in _UNKNOWN_ERRORS and len(rest) == 1:
            self.add(position, where, _unknown_reason(field, _DOMAIN_FIELDS))
        elif field == "key":
            if kind == "missing" or raw is None:
                self.add(position, path, "key is missing")
            else:
                reason = (
                    f"domain key {show(raw)} is not valid: use lowercase letters, digits, "
                    "dashes and underscores"
                )
                self.add(position, path, reason)
        elif field in ("title", "description"):
            self.add(position, where, _text_reason(error, f"{field} ", max_length=MAX_TITLE))
        elif field == "weight":
            self.add(position, where, _weight_reason(kind, raw))
        elif field == "target":
            self.add(position, where, f"target must be a number from 0 to 100, not {show(raw)}")
        elif kind == "list_type" and raw is not None:
            self.add(position, where, f"questions must be a list, not {_kind(raw)}")
        else:
            self.add(position, where, "the domain has no questions")

    def _word_question(
        self, i: int, j: int, rest: tuple[Any, ...], error: dict[str, Any], question: Any
    ) -> None:
        kind, raw = error["type"], error["input"]
        path, where = f"{self.domain_where[i]}.questions[{j}]", self.question_where[i, j]
        base: Position = (TOP_RANK["domains"], i, DOMAIN_RANK["questions"], j)
        if not rest:
            reason = f"a question must be a mapping (key: ..., text: ...), not {_kind(raw)}"
            self.add(base, path, reason)
            return
        field = rest[0]
        position = (*base, QUESTION_RANK.get(field, 2))
        if kind in _UNKNOWN_ERRORS and len(rest) == 1:
            self.add(position, where, _unknown_reason(field, _QUESTION_FIELDS))
        elif field == "key":
            if kind == "missing" or raw is None:
                self.add(position, path, "key is missing")
            elif not isinstance(raw, str):
                self.add(position, path, f"key must be text, not {_kind(raw)}")
            elif (i, j) not in self.misplaced:
                reason = (
                    'question key must be "<domain key>.<name>", the name in lowercase '
                    "letters, digits, dashes and underscores"
                )
                self.add(position, raw, reason)
        elif field == "type":
            types = ", ".join(QUESTION_TYPES)
            if kind == "missing" or raw is None:
                self.add(position, where, f"type is missing: use one of {types}")
            else:
                self.add(position, where, f"type {show(raw)} is not one of {types}")
        elif field in ("text", "help", "recommendation"):
            self.add(position, where, _text_reason(error, f"{field} "))
        elif field == "weight":
            self.add(position, where, _weight_reason(kind, raw))
        elif field in ("critical", "allow_na"):
            self.add(position, where, f"{field} must be true or false, not {show(raw)}")
        elif field == "references":
            reason = 'references must be a list of text, e.g. ["NIST AI RMF GOVERN 1.1"]'
            self.add(position, where, reason)
        elif field == "show_if":
            self._word_show_if(position, where, rest[1:], error, question)
        else:
            self._word_options(position, where, rest[1:], error, question)

    def _word_show_if(
        self,
        position: Position,
        where: str,
        rest: tuple[Any, ...],
        error: dict[str, Any],
        question: dict[Any, Any],
    ) -> None:
        kind, raw = error["type"], error["input"]
        if not rest:
            self.add(
                position, where, 'show_if must be a mapping: {question: <key>, in: ["value", ...]}'
            )
            return
        field = rest[0]
        at = (*position, SHOW_IF_RANK.get(field, 0))
        if kind in _UNKNOWN_ERRORS:
            self.add(at, where, f"show_if: {_unknown_reason(field, _SHOW_IF_FIELDS)}")
        elif field == "question":
            self.add(at, where, "show_if: question is missing: name the key of an earlier question")
        elif self._show_if_target(question) is None:
            return  # without a question to look at, its values say nothing
        elif len(rest) == 1:
            reason = 'show_if: in must be a non-empty list of option values, e.g. in: ["yes"]'
            self.add(at, where, reason)
        else:
            self.add(at, where, _option_value_reason(raw, "show_if: in"))

    def _word_options(
        self,
        position: Position,
        where: str,
        rest: tuple[Any, ...],
        error: dict[str, Any],
        question: dict[Any, Any],
    ) -> None:
        kind, raw = error["type"], error["input"]
        question_type = question.get("type")
        # Options are judged only for a known type that takes them; _check_options says
        # why a yes_no or text question may not have any.
        if question_type not in ("scale", "choice") or not isinstance(question_type, str):
            return
        if not rest:
            if kind == "list_type":
                self.add(position, where, f"options must be a list, not {_kind(raw)}")
            else:
                self.add(position, where, f"a {question_type} question needs at least two options")
            return
        k, at = rest[0], f"options[{rest[0]}]"
        if len(rest) == 1:
            reason = f"{at} must be a mapping (value: ..., label: ..., score: ...)"
            self.add((*position, k), where, reason)
            return
        field = rest[1]
        spot = (*position, k, OPTION_RANK.get(field, 0))
        if kind in _UNKNOWN_ERRORS:
            self.add(spot, where, f"{at}: {_unknown_reason(field, _OPTION_FIELDS)}")
        elif field == "value":
            self.add(
                spot,
                where,
                _option_value_reason(raw if kind != "missing" else None, f"{at}: value"),
            )
        elif field == "label":
            self.add(spot, where, _text_reason(error, f"{at}: label "))
        elif kind in _NUMBER_ERRORS:
            shown = show(None if kind == "missing" else raw)
            self.add(spot, where, f"{at}: score must be a number of 0 or more, not {shown}")
        elif kind == "greater_than_equal":
            self.add(spot, where, f"{at}: score must not be negative ({show(raw)})")
        else:
            self.add(spot, where, f"{at}: score must be below 100000, not {show(raw)}")

    def _show_if_target(self, question: dict[Any, Any]) -> str | None:
        show_if = question.get("show_if")
        target = show_if.get("question") if isinstance(show_if, dict) else None
        return target.strip() if isinstance(target, str) and target.strip() else None


def show(raw: Any) -> str:
    return show_value(raw, YAML_WORDS)


def _kind(raw: Any) -> str:
    return kind_of(raw, YAML_WORDS)


def _unknown_reason(name: Any, allowed: tuple[str, ...]) -> str:
    reason = f'unknown field "{name}"'
    close = difflib.get_close_matches(str(name), allowed, n=1)
    if close:
        reason += f' (did you mean "{close[0]}"?)'
    return reason


def _text_reason(error: Mapping[str, Any], label: str, max_length: int | None = None) -> str:
    """`label` starts the reason unless the problem's key already is the field's name."""
    kind, raw = error["type"], error["input"]
    if kind == "missing" or raw is None:
        return f"{label}is missing"
    if kind == "string_type":
        return f"{label}must be text, not {_kind(raw)}; put it in quotes"
    if kind == "string_too_long":
        return f"{label}is longer than {error['ctx']['max_length']} characters"
    return f"{label}is empty"


def _slug_reason(raw: Any) -> str:
    return (
        f"{show(raw)} is not a valid slug: use lowercase letters, digits and dashes "
        f'(e.g. "clinical-ai"), at most {MAX_SLUG} characters'
    )


def _version_reason(kind: str, raw: Any) -> str:
    if kind == "missing" or raw is None:
        return 'missing: add e.g. version: "1.0"'
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # YAML reads 1.0 as a number (and 1.10 as 1.1), so an unquoted version would
        # silently change: insist on quotes.
        return (
            f'must be a string: put it in quotes, e.g. version: "{raw}" '
            f"(YAML reads an unquoted {raw} as a number)"
        )
    if not isinstance(raw, str):
        return f'must be a string in quotes, e.g. version: "1.0", not {_kind(raw)}'
    return (
        f"{show(raw)} is not a valid version: use letters, digits, dots and dashes, "
        f"at most {MAX_VERSION} characters"
    )


def _weight_reason(kind: str, raw: Any) -> str:
    if kind in _NUMBER_ERRORS:
        return f"weight must be a number greater than 0, not {show(raw)}"
    if kind == "greater_than":
        return f"weight must be greater than 0, not {show(raw)}"
    return f"weight {show(raw)} must be below 100000 with at most 3 decimals"


def _option_value_reason(raw: Any, label: str) -> str:
    if isinstance(raw, bool):
        # YAML 1.1 reads unquoted yes/no/on/off as booleans.
        return (
            f"{label}: {show(raw)} is not text; YAML reads unquoted yes/no as true/false, "
            'so put the value in quotes, e.g. "yes"'
        )
    if raw is None:
        return f"{label} is missing"
    if isinstance(raw, str) and raw.strip() in RESERVED_VALUES:
        return f'{label}: "{raw.strip()}" is reserved for "not applicable"'
    if isinstance(raw, str) and raw.strip() and len(raw) > MAX_OPTION_VALUE:
        return f"{label} is longer than {MAX_OPTION_VALUE} characters"
    return f"{label} must be text, not {show(raw)}"


def option_text(raw: Any) -> str:
    # Unquoted integers such as scale values 0..4 are unambiguous; they count as text.
    return str(raw) if isinstance(raw, int) else str(raw).strip()
