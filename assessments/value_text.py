"""How a checker quotes a value from a file in a problem message: short, one line, plain words.

The instrument checker (YAML, written by content authors) and the assessment-file checker
(JSON, written by the app) both name what they found, e.g. `weight must be greater than 0,
not -1` or `must be text, not a list`. They share these helpers; each passes its own words
(a YAML "mapping" is a JSON "object", YAML's empty value is "nothing", JSON's is "null").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class Wording:
    """The words of one file format for the kinds of value it can hold."""

    mapping: str
    null: str
    # Quoted text is cut to this many characters.
    text_limit: int
    # JSON quoting (escapes shown) or plain double quotes around the text.
    json_quotes: bool
    # What a value of a kind the format cannot produce is called.
    unknown: str | None = None


YAML_WORDS = Wording(mapping="a mapping", null="nothing", text_limit=58, json_quotes=False)
JSON_WORDS = Wording(
    mapping="an object",
    null="null",
    text_limit=40,
    json_quotes=True,
    unknown="a value of an unknown kind",
)


def clip(text: str, limit: int = 40) -> str:
    """Text from a file as a message may quote it: short, on one line, and encodable.

    Keys and values can hold anything the format allows (newlines, lone surrogates); a message
    must stay one printable line, for a command's one-line error and for the page.
    """
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def kind_of(raw: Any, words: Wording) -> str:
    """What sort of value `raw` is, as a message says it: "text", "a list", "a number"…"""
    if raw is None:
        return words.null
    if isinstance(raw, bool):
        return "true/false"
    if isinstance(raw, int | float):
        return "a number"
    if isinstance(raw, str):
        return "text"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return words.mapping
    return words.unknown or type(raw).__name__


def show_value(raw: Any, words: Wording) -> str:
    """The value itself as a message quotes it: "heavy", -1, true; a kind for containers."""
    if isinstance(raw, str):
        text = clip(raw, words.text_limit)
        return json.dumps(text, ensure_ascii=False) if words.json_quotes else f'"{text}"'
    if raw is None:
        return words.null
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return clip(repr(raw))
    return kind_of(raw, words)


def exact_decimal(raw: Any) -> Decimal | None:
    """A finite int or float read from a file as an exact Decimal; None for anything else."""
    # bool is a subclass of int, but "weight: yes" is a mistake, not the number 1.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        # Through repr, so that 0.1 is one tenth, not the binary error of the float.
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def has_decimals(number: Decimal, step: Decimal) -> bool:
    """True when `number` has more decimals than `step` allows (0.15 with a step of 0.1)."""
    return number != number.quantize(step)
