"""The instrument file format, declared once: pydantic models that validate a parsed file.

These models state what a schema can state (fields, types, patterns, lengths, ranges) and
are the source of the published JSON Schema, `instruments/instrument.schema.json`, which lets
an author's editor check a file while it is typed. `instrument_checks` runs them over a parsed
file, words their errors as the loader's messages and adds the rules no schema states (show_if
order, option scores, duplicate keys, the number of decimals). Pure: no Django.

Regenerate the published file with `manage.py instrument_schema` after changing a model; a
test fails while it is stale.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from assessments import format_base
from assessments.format_base import StrictFormat, absent
from assessments.instruments import INSTRUMENTS_DIR

SCHEMA_PATH = INSTRUMENTS_DIR / "instrument.schema.json"

# Field limits follow the model columns, so a file that validates never fails (or is silently
# truncated) when it is written to the database.
MAX_SLUG = 80
MAX_VERSION = 40
MAX_TITLE = 200
MAX_DOMAIN_KEY = 80
MAX_QUESTION_KEY = 120
MAX_OPTION_VALUE = 80
MAX_WEIGHT = 99999.999

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
VERSION_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$"
# Keys end up in URLs, form field names and the assessment JSON: keep them plain.
DOMAIN_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
QUESTION_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*$"
# Not blank, and not "na", which an answer uses for "not applicable". Written to hold with or
# without the surrounding spaces the loader strips, so the schema and the loader agree.
OPTION_TEXT_PATTERN = r"^(?!\s*na\s*$)\s*\S[\s\S]*$"
# Somewhere a character that is not a space: the loader strips text, a schema cannot.
NOT_BLANK = r"\S"

RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NOT_BLANK)]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=NOT_BLANK, max_length=MAX_TITLE)
]
# YAML reads unquoted scale values 0..4 as integers; they are unambiguous, so they count as text.
OptionValue = (
    int
    | Annotated[str, StringConstraints(pattern=OPTION_TEXT_PATTERN, max_length=MAX_OPTION_VALUE)]
)
Weight = Annotated[float, Field(gt=0, le=MAX_WEIGHT, description="At most 3 decimals.")]
Target = Annotated[float, Field(ge=0, le=100, description="A percentage, at most 1 decimal.")]


class OptionFormat(StrictFormat):
    value: OptionValue
    label: RequiredText
    score: float = Field(ge=0, le=MAX_WEIGHT)


class ShowIfFormat(StrictFormat):
    question: RequiredText = Field(description="The key of an earlier question with options.")
    in_: list[OptionValue] = Field(alias="in", min_length=1)


class QuestionFormat(StrictFormat):
    key: str = Field(pattern=QUESTION_KEY_PATTERN, max_length=MAX_QUESTION_KEY)
    type: Literal["scale", "yes_no", "choice", "text"]
    text: RequiredText
    help: str | None = None
    weight: Weight = 1
    critical: bool = False
    allow_na: bool = True
    recommendation: str | None = Field(
        default=None, description="Required on scored questions (all but text)."
    )
    references: list[RequiredText] | None = None
    show_if: ShowIfFormat | None = None
    options: list[OptionFormat] | None = Field(
        default=None,
        min_length=2,
        description="Required on choice questions; not allowed on yes_no and text questions.",
    )


class DomainFormat(StrictFormat):
    key: str = Field(pattern=DOMAIN_KEY_PATTERN, max_length=MAX_DOMAIN_KEY)
    title: Title
    description: str | None = None
    weight: Weight = 1
    # Absent means the instrument's default_target.
    target: Target = Field(default_factory=absent)
    questions: list[QuestionFormat] = Field(min_length=1)


class InstrumentFormat(StrictFormat):
    """An instrument file, e.g. clinical-ai-1.0.yaml (PRODUCT.md, "Instrument file format")."""

    slug: str = Field(pattern=SLUG_PATTERN, max_length=MAX_SLUG)
    version: str = Field(
        pattern=VERSION_PATTERN,
        max_length=MAX_VERSION,
        description='In quotes, e.g. "1.0": YAML reads an unquoted 1.10 as the number 1.1.',
    )
    title: Title
    description: str | None = None
    source: str | None = None
    licence: str | None = None
    default_target: Target = 60
    blocker_below: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="A critical item scoring below this share of its top score blocks; "
        "at most 2 decimals.",
    )
    domains: list[DomainFormat] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an instrument file, as published."""
    return format_base.published_schema(InstrumentFormat)


def schema_text() -> str:
    """The published file's exact text."""
    return format_base.schema_text(InstrumentFormat)
