"""The assessment file format (the assessment JSON), declared once: pydantic models.

These models state what the format says (keys, types, lengths, ranges, the allowed statuses)
and are the source of the published JSON Schema, `assessment.schema.json`, which a script or an
editor can check a file against before importing it. `transfer_checks` runs them over a parsed
file, words their errors as `key: reason` and adds what only the database knows (is the
instrument loaded here, is the question or domain one of its own, is the value one of its
options). The shape is the contract of PRODUCT.md ("Data in and out"); more keys may be added.

To add a field to an answer, add it to `AnswerFormat` (a bool or a text field is worded
without further code), write it in `transfer_export` and read it in `transfer`. Regenerate the
published file with `manage.py assessment_schema` after changing a model; a test fails while it
is stale.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from assessments import format_base
from assessments.format_base import StrictFormat, absent
from assessments.instrument_format import MAX_QUESTION_KEY
from assessments.models import Assessment
from assessments.services import MAX_TEXT
from assessments.value_text import exact_decimal, has_decimals

FORMAT = "readiness-assessment/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "assessment.schema.json"

# Limits follow the model columns, so a file that validates is never truncated on write.
MAX_NAME = 200  # Organisation.name, Site.name
MAX_ROUND = 100  # Assessment.round_label
MAX_INSTRUMENT_REF = 80  # Instrument.slug; a longer version cannot be loaded either

# Text a database column can store: PostgreSQL refuses NUL characters.
STORABLE = r"^[^\x00]*$"
# The same, and somewhere a character that is not a space (names are stripped on import).
STORABLE_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TARGET_STEP = Decimal("0.1")


def _a_real_day(text: str) -> str:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date_invalid", "not a day of the calendar") from None
    return text


def _one_decimal(number: float) -> float:
    exact = exact_decimal(number)
    if exact is None or has_decimals(exact, _TARGET_STEP):
        raise PydanticCustomError("decimals", "at most one decimal")
    return number


# Text a database column can store; a name is that and not blank.
AnswerText = Annotated[str, StringConstraints(max_length=MAX_TEXT, pattern=STORABLE)]
NameText = Annotated[str, StringConstraints(max_length=MAX_NAME, pattern=STORABLE_NOT_BLANK)]
RoundText = Annotated[str, StringConstraints(max_length=MAX_ROUND, pattern=STORABLE_NOT_BLANK)]
RefText = Annotated[
    str, StringConstraints(max_length=MAX_INSTRUMENT_REF, pattern=STORABLE_NOT_BLANK)
]
# A question key as an instrument may write it (Question.key).
QuestionKey = Annotated[str, StringConstraints(max_length=MAX_QUESTION_KEY)]
RoundDate = Annotated[
    str,
    StringConstraints(pattern=DATE_PATTERN),
    AfterValidator(_a_real_day),
    Field(json_schema_extra={"format": "date"}),
]
Target = Annotated[
    float,
    Field(ge=0, le=100, description="A percentage with at most one decimal."),
    AfterValidator(_one_decimal),
]
# The statuses are the model's; a file writes their values ("draft"), so not strict.
Status = Annotated[Assessment.Status, Field(strict=False)]


def _a_moment(text: str) -> str:
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("datetime_invalid", "not a date and time") from None
    return text


MAX_FILE_NAME = 200  # EvidenceFile.name
MAX_FILES_PER_ANSWER = 20  # evidence/checks.py
FileName = Annotated[str, StringConstraints(max_length=MAX_FILE_NAME, pattern=STORABLE_NOT_BLANK)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Moment = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_a_moment),
    Field(json_schema_extra={"format": "date-time"}),
]


class EvidenceFileFormat(StrictFormat):
    """An evidence file attached to the answer (issue 14), listed in "files" of its answer.

    Its content travels only in an export with evidence: a ZIP holding this file as
    assessment.json and each file as evidence/<question key>/<name>. Importing that ZIP checks
    each file as an upload is checked and against its size and SHA-256 here; importing the JSON
    alone leaves the files out.
    """

    name: FileName = Field(description="The file's name as people see it (no folder).")
    size: int = Field(ge=1, description="In bytes.")
    content_type: Annotated[str, StringConstraints(max_length=100)] = Field(
        default="", description="Informative: on import the type is read from the content."
    )
    sha256: Sha256 = Field(description="SHA-256 of the content, 64 lowercase hex digits.")
    uploaded_by: Annotated[str, StringConstraints(max_length=200, pattern=STORABLE)] = ""
    uploaded_at: Moment = Field(
        default_factory=absent, description="When it was attached, ISO 8601 (UTC)."
    )


class AnswerFormat(StrictFormat):
    """One answer, keyed by its question key in "answers"."""

    value: AnswerText = Field(
        description='An option value of the question, "na" for not applicable, the text of a '
        'free-text question, or "" for not answered yet.'
    )
    comment: AnswerText = ""
    evidence: AnswerText = Field(default="", description="Where the evidence is kept.")
    carried_over: bool = Field(
        default=False,
        description="Copied from the previous round and not yet confirmed; written only when true.",
    )
    files: list[EvidenceFileFormat] = Field(
        default_factory=list,
        max_length=MAX_FILES_PER_ANSWER,
        description="Evidence files attached to the answer; written only when there are some.",
    )


class InstrumentRef(StrictFormat):
    """The instrument version the answers belong to; it must be loaded where the file goes."""

    model_config = ConfigDict(extra="allow")

    slug: RefText
    version: RefText


# Independent answers (issue 15): each respondent's own answers and the consensus notes.
MAX_EMAIL = 254  # User.email
MAX_RESPONDENTS = 200
EmailText = Annotated[str, StringConstraints(max_length=MAX_EMAIL, pattern=STORABLE_NOT_BLANK)]
PersonText = Annotated[str, StringConstraints(max_length=MAX_NAME, pattern=STORABLE)]


class RespondentAnswerFormat(StrictFormat):
    """A respondent's own answer, keyed by its question key in their "answers"."""

    value: AnswerText = Field(description='As an answer\'s "value"; "" for not answered yet.')
    comment: AnswerText = ""
    evidence: AnswerText = ""


class RespondentDomainFormat(StrictFormat):
    """A domain assigned to the respondent, keyed by its domain key in their "domains"."""

    done_at: Moment | None = Field(
        default=None,
        description="When they marked their answers to the domain done (ISO 8601, UTC); null "
        "while they still answer it. Nobody else sees their answers before.",
    )
    removed: bool = Field(
        default=False,
        description="No longer assigned: their answers stay in the record, marked.",
    )
    due_date: RoundDate | None = None


class RespondentFormat(StrictFormat):
    """One respondent of an assessment in independent mode (a member of the organisation)."""

    email: EmailText = Field(
        description="Who answered: on import, the member of the organisation with this e-mail."
    )
    name: PersonText = Field(default="", description="Informative; not used on import.")
    role: PersonText = Field(
        default="",
        description="Their role in the organisation when exported (org_admin, site_admin, "
        'consultant, viewer; "" for a former member); informative, not changed on import.',
    )
    domains: dict[str, RespondentDomainFormat] = Field(
        min_length=1, description="Domain key: the respondent's assignment to that domain."
    )
    answers: dict[str, RespondentAnswerFormat] = Field(
        default_factory=dict,
        description="Question key: their own answer, to questions of their domains only.",
    )


class AssessmentFormat(StrictFormat):
    """An assessment file as `manage.py export_assessment` writes it and the import reads it."""

    # More keys may be added (PRODUCT.md): an older app ignores what it does not know.
    model_config = ConfigDict(extra="allow")

    format: Literal["readiness-assessment/1"]
    id: Any = Field(
        default_factory=absent,
        description="The assessment's id where it was exported; recorded on import, not used.",
    )
    exported_at: Any = Field(
        default_factory=absent, description="When the file was written (UTC); not used."
    )
    instrument: InstrumentRef
    organisation: NameText = Field(
        description="Found by name (or created) by the import command; the app's import puts "
        "the assessment into the organisation whose page it is."
    )
    site: NameText
    round: RoundText
    round_date: RoundDate = Field(
        default_factory=absent, description="YYYY-MM-DD; the day of import when left out."
    )
    status: Status
    targets: dict[str, Target] = Field(
        description="Domain key: target percentage; a domain left out keeps the instrument's."
    )
    answers: dict[str, AnswerFormat] = Field(description="Question key: answer.")
    review: list[QuestionKey] = Field(
        default_factory=list,
        max_length=1000,
        description="Question keys someone marked for review: a note for the editors, "
        "not part of the results; each a question of the instrument.",
    )
    mode: Literal["single", "independent"] = Field(
        default="single",
        description='"independent": each respondent answered on their own and "answers" holds '
        'the consensus, the only answers that score; "single" (the default): one set of answers.',
    )
    respondents: list[RespondentFormat] = Field(
        default_factory=list,
        max_length=MAX_RESPONDENTS,
        description="In independent mode, each respondent's assignments and own answers. An "
        "export made by a respondent still answering a domain leaves out the others' answers "
        "to it (and its consensus notes).",
    )
    consensus_notes: dict[str, AnswerText] = Field(
        default_factory=dict,
        description="In independent mode, question key: the coordinator's note on its consensus.",
    )
    results: Any = Field(
        default_factory=absent,
        description="The computed results; ignored on import and recomputed from the answers.",
    )


# The answer fields in the order a file writes them and a problem lists them.
ANSWER_FIELDS = tuple(AnswerFormat.model_fields)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an assessment file, as published."""
    return format_base.published_schema(AssessmentFormat)


def schema_text() -> str:
    """The published file's exact text."""
    return format_base.schema_text(AssessmentFormat)
