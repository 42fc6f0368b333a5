"""What an instrument is: its parsed content, its problems, its defaults and its content hash.

An instrument file (PRODUCT.md, "Instrument file format") is read by `instrument_reader`
(YAML, no database), checked against the declared format of `instrument_format` plus the
rules no schema states (`instrument_checks`), and loaded into the database by
`instrument_loading`. All of them speak the frozen dataclasses of this module, so a file can be
checked, compared and hashed without Django.

A loaded version is immutable: the content hash below is taken over the *parsed* content, so
editing comments or whitespace never counts as a change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

# A real instrument is a few dozen kilobytes; refusing big files early keeps a careless or
# hostile upload from tying up a worker in the YAML parser.
MAX_FILE_BYTES = 1_000_000

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"

QUESTION_TYPES = ("scale", "yes_no", "choice", "text")
# "na" is how an answer says "not applicable" (see the assessment JSON), so no option may use it.
RESERVED_VALUES = frozenset({"na"})

SCALE_LABELS = (
    "Not started",
    "Planned",
    "Partially in place",
    "Largely in place",
    "In place and monitored",
)

DEFAULT_TARGET = Decimal(60)
# PRODUCT.md, "Critical items": a counted critical item below this share of its top score blocks.
DEFAULT_BLOCKER_BELOW = Decimal("0.5")


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument file.

    `key` is the question key, the domain key, or a field path such as "domains[2]" (counted
    from 0) where no key exists; it is empty for problems with the file as a whole.
    """

    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        if self.key:
            return f"{self.file}: {self.key}: {self.reason}"
        return f"{self.file}: {self.reason}"


class InstrumentError(Exception):
    """One or more problems with instrument files; nothing was loaded."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# --- parsed content -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionDef:
    value: str
    label: str
    score: Fraction


@dataclass(frozen=True)
class ShowIfDef:
    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class QuestionDef:
    key: str
    domain: str
    type: str
    text: str
    help: str = ""
    weight: Decimal = Decimal(1)
    critical: bool = False
    allow_na: bool = True
    recommendation: str = ""
    references: tuple[str, ...] = ()
    show_if: ShowIfDef | None = None
    options: tuple[OptionDef, ...] = ()

    @property
    def scored(self) -> bool:
        return self.type != "text"

    @property
    def max_score(self) -> Fraction:
        return max((option.score for option in self.options), default=Fraction(0))


@dataclass(frozen=True)
class DomainDef:
    key: str
    title: str
    description: str = ""
    weight: Decimal = Decimal(1)
    # None means "the instrument's default target", as on the Domain model.
    target: Decimal | None = None
    questions: tuple[QuestionDef, ...] = ()


@dataclass(frozen=True)
class InstrumentDef:
    slug: str
    version: str
    title: str
    description: str = ""
    source: str = ""
    licence: str = ""
    default_target: Decimal = DEFAULT_TARGET
    blocker_below: Decimal = DEFAULT_BLOCKER_BELOW
    domains: tuple[DomainDef, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.slug} {self.version}"

    @property
    def questions(self) -> tuple[QuestionDef, ...]:
        return tuple(question for domain in self.domains for question in domain.questions)


def default_options(question_type: str) -> tuple[OptionDef, ...]:
    """The options a question of this type has when the file lists none."""
    if question_type == "scale":
        return tuple(
            OptionDef(value=str(score), label=label, score=Fraction(score))
            for score, label in enumerate(SCALE_LABELS)
        )
    if question_type == "yes_no":
        return (
            OptionDef(value="yes", label="Yes", score=Fraction(1)),
            OptionDef(value="no", label="No", score=Fraction(0)),
        )
    return ()


# --- content hash ---------------------------------------------------------------------------


def _canonical(number: Decimal | Fraction) -> str:
    # As a fraction so that 1, 1.0 and 1.00 hash the same: they are the same weight.
    return str(Fraction(number))


def content_dict(defn: InstrumentDef) -> dict[str, Any]:
    """The parsed content as plain JSON-ready data, defaults expanded."""
    return {
        "slug": defn.slug,
        "version": defn.version,
        "title": defn.title,
        "description": defn.description,
        "source": defn.source,
        "licence": defn.licence,
        "default_target": _canonical(defn.default_target),
        # Only when set, so that files written before the key existed keep their hash.
        **(
            {}
            if defn.blocker_below == DEFAULT_BLOCKER_BELOW
            else {"blocker_below": _canonical(defn.blocker_below)}
        ),
        "domains": [
            {
                "key": domain.key,
                "title": domain.title,
                "description": domain.description,
                "weight": _canonical(domain.weight),
                "target": None if domain.target is None else _canonical(domain.target),
                "questions": [
                    {
                        "key": q.key,
                        "type": q.type,
                        "text": q.text,
                        "help": q.help,
                        "weight": _canonical(q.weight),
                        "critical": q.critical,
                        "allow_na": q.allow_na,
                        "recommendation": q.recommendation,
                        "references": list(q.references),
                        "show_if": None
                        if q.show_if is None
                        else {"question": q.show_if.question, "in": list(q.show_if.values)},
                        "options": [
                            {"value": o.value, "label": o.label, "score": _canonical(o.score)}
                            for o in q.options
                        ],
                    }
                    for q in domain.questions
                ],
            }
            for domain in defn.domains
        ],
    }


def content_hash(defn: InstrumentDef) -> str:
    """sha256 of the parsed content, so that comment and whitespace edits are not changes."""
    canonical = json.dumps(
        content_dict(defn), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shipped_paths() -> list[Path]:
    """The instrument files shipped with the app, in name order."""
    return sorted(INSTRUMENTS_DIR.glob("*.yaml"))
