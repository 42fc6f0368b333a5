"""Check an assessment file: read its JSON, judge it by the declared format, and word each problem.

`assessment_format` declares the format; this module runs it over a parsed file and words each
error as `key: reason`, the key in the dotted form a person can find in the file:
`answers.access.q04.value: "7" is not an allowed option (allowed: 0, 1, 2, 3, 4, na)`. It adds
what only the database knows: whether the instrument version is loaded here, and whether each
domain, question and option value is one of its own. Reads the database, never writes to it;
`transfer.validate_import` puts the checks together.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from assessments.assessment_format import (
    ANSWER_FIELDS,
    FORMAT,
    MAX_FILES_PER_ANSWER,
    AnswerFormat,
    AssessmentFormat,
    EvidenceFileFormat,
    InstrumentRef,
)
from assessments.content import instrument_content
from assessments.models import Assessment, Instrument, Organisation, Question
from assessments.scoring import NA
from assessments.value_text import JSON_WORDS, clip, exact_decimal, kind_of, show_value

# Reported problems are capped: a badly broken file should not produce a page of thousands.
MAX_PROBLEMS = 20
_STATUSES = ", ".join(Assessment.Status.values)

Loc = tuple[str | int, ...]


class TransferError(Exception):
    """An assessment file that cannot be imported; `problems` are (key, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = self.lines()
        if len(lines) == 1:
            return lines[0]
        more = len(lines) - 1
        return f"{lines[0]} (and {more} more problem{'s' if more > 1 else ''})"

    def lines(self) -> list[str]:
        return [f"{key}: {reason}" for key, reason in self.problems]


def transfer_error(key: str, reason: str) -> TransferError:
    return TransferError([(key, reason)])


# --- parse ----------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f'the key "{clip(key)}" appears twice in one object')
        result[key] = value
    return result


def parse_assessment_json(raw: bytes | str) -> Any:
    """Decode the file's bytes into JSON data; raises TransferError (key "file") if it is not JSON.

    Duplicate keys and NaN/Infinity are refused rather than silently resolved.
    """
    if isinstance(raw, bytes):
        try:
            # utf-8-sig: editors on Windows like to start files with a byte order mark.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise transfer_error(
                "file", "is not a JSON text file (it is not UTF-8 encoded)"
            ) from None
    else:
        text = raw
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        reason = f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise transfer_error("file", reason) from None
    except RecursionError:
        raise transfer_error("file", "is nested too deeply to be an assessment file") from None
    except ValueError as exc:
        # Duplicate keys, NaN/Infinity, or an integer too long to convert.
        raise transfer_error("file", f"is not valid JSON: {exc}") from None


# --- the format's errors in words -----------------------------------------------------------


def show(raw: Any) -> str:
    """A value as a problem message quotes it: short, and on one line."""
    return show_value(raw, JSON_WORDS)


def _kind(raw: Any) -> str:
    return kind_of(raw, JSON_WORDS)


def _max_length(field: FieldInfo) -> int:
    return next(m.max_length for m in field.metadata if getattr(m, "max_length", None))


def _text_reason(error: Mapping[str, Any], limit: int) -> str:
    """Why a text field is refused, in the order a person fixes it: kind, length, characters."""
    kind, raw = error["type"], error["input"]
    if kind == "missing":
        return "is missing"
    if not isinstance(raw, str):
        return f"must be text, not {_kind(raw)}"
    # The format finds a lone surrogate before the length; the length is the first thing to say.
    if len(raw) > limit:
        return f"is too long ({len(raw)} characters; at most {limit})"
    if kind == "string_unicode":
        return "contains an invalid character (a lone surrogate)"
    if "\x00" in raw:
        # PostgreSQL text columns refuse NUL characters.
        return "contains a NUL character"
    return "must not be empty"


def _field_reason(field: FieldInfo, error: Mapping[str, Any]) -> str:
    if field.annotation is bool:
        return f"must be true or false, not {show(error['input'])}"
    return _text_reason(error, _max_length(field))


@dataclass(frozen=True)
class ValidAnswer:
    question: Question
    # Every field of the file's answer, checked (value, comment, evidence, carried_over, ...).
    entry: AnswerFormat


class AssessmentFileChecker:
    """Judges one parsed assessment file, collecting problems (key, reason) in file order.

    The declared format is run once over the whole file; each part is then read in the order
    of the file's keys, and either its value (which the format accepted) is returned, or the
    format's error about it is worded and None returned.
    """

    def __init__(self, data: Any) -> None:
        self.data = data
        self.problems: list[tuple[str, str]] = []
        self.errors: dict[Loc, dict[str, Any]] = {}
        try:
            AssessmentFormat.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self.errors.setdefault(tuple(error["loc"]), dict(error))

    def add(self, key: str, reason: str) -> None:
        self.problems.append((key, reason))

    def raise_problems(self) -> None:
        if self.problems:
            raise TransferError(self.problems[:MAX_PROBLEMS])

    def _bad(self, *loc: str | int) -> bool:
        """True when the format found an error at `loc` or inside it."""
        return any(found[: len(loc)] == loc for found in self.errors)

    def check_format(self) -> None:
        """A file that is not an assessment file at all stops here, with one problem."""
        if () in self.errors:
            reason = f"must hold a JSON object (an assessment), not {_kind(self.data)}"
            raise transfer_error("file", reason)
        if ("format",) in self.errors:
            if self.errors["format",]["type"] == "missing":
                raise transfer_error(
                    "format", f'is missing; an assessment file says "format": "{FORMAT}"'
                )
            # A different format: checking its other keys would only produce noise.
            reason = f'{show(self.data["format"])} is not supported (expected "{FORMAT}")'
            raise transfer_error("format", reason)

    def text(self, name: str) -> str | None:
        """A top-level text field (organisation, site, round)."""
        error = self.errors.get((name,))
        if error is None:
            return str(self.data[name])
        self.add(name, _field_reason(AssessmentFormat.model_fields[name], error))
        return None

    def round_date(self) -> datetime.date:
        if "round_date" not in self.data:
            # Not in PRODUCT.md's minimal shape: a file without it gets the day of import.
            return timezone.localdate()
        if ("round_date",) in self.errors:
            self.add(
                "round_date",
                f"must be a date written YYYY-MM-DD, not {show(self.data['round_date'])}",
            )
            return timezone.localdate()
        return datetime.date.fromisoformat(self.data["round_date"])

    def status(self) -> str:
        error = self.errors.get(("status",))
        if error is None:
            return str(self.data["status"])
        if error["type"] == "missing":
            self.add("status", f"is missing (one of: {_STATUSES})")
        else:
            self.add("status", f"{show(self.data['status'])} is not one of: {_STATUSES}")
        return Assessment.Status.DRAFT

    def instrument(self, organisation: Organisation | None) -> Instrument | None:
        error = self.errors.get(("instrument",))
        if error is not None:
            if error["type"] == "missing" or error["input"] is None:
                self.add("instrument", "is missing")
            else:
                reason = f'must be an object with "slug" and "version", not {_kind(error["input"])}'
                self.add("instrument", reason)
            return None
        ref: dict[str, Any] = self.data["instrument"]
        for name in ("slug", "version"):
            if (error := self.errors.get(("instrument", name))) is not None:
                field = InstrumentRef.model_fields[name]
                self.add(f"instrument.{name}", _field_reason(field, error))
        if self._bad("instrument"):
            return None
        slug, version = ref["slug"], ref["version"]
        # Only instruments already loaded count (never one loaded on the fly from the file),
        # and only the shipped ones or the target organisation's own: another organisation's
        # instrument is reported exactly like one that does not exist.
        owners = Q(organisation__isnull=True)
        if organisation is not None:
            owners |= Q(organisation=organisation)
        found = Instrument.objects.filter(owners, slug=slug, version=version).first()
        if found is None:
            self.add(
                "instrument",
                f"no instrument {show(slug)} version {show(version)} is loaded here "
                "(load its file first with manage.py load_instruments or the instruments page)",
            )
        return found

    def targets(self, instrument: Instrument | None) -> dict[str, Decimal]:
        error = self.errors.get(("targets",))
        if error is not None:
            if error["type"] == "missing":
                self.add("targets", "is missing (an object of domain key: target, may be {})")
            else:
                reason = f"must be an object of domain key: target, not {_kind(error['input'])}"
                self.add("targets", reason)
            return {}
        domains = {d.key: d for d in instrument_content(instrument).domains} if instrument else None
        targets: dict[str, Decimal] = {}
        for key, value in self.data["targets"].items():
            where = f"targets.{clip(str(key), 80)}"
            if domains is not None and key not in domains:
                allowed = ", ".join(domains)
                self.add(where, f"is not a domain of this instrument (domains: {allowed})")
                continue
            error = self.errors.get(("targets", key))
            if error is None:
                targets[key] = exact_decimal(value) or Decimal(0)
            elif error["type"] == "decimals":
                self.add(where, f"may have at most one decimal, not {show(value)}")
            else:
                self.add(where, f"must be a number from 0 to 100, not {show(value)}")
        return targets

    def review(self, instrument: Instrument | None) -> tuple[str, ...]:
        """The question keys marked for review (optional; each a question of the instrument)."""
        if self._bad("review"):
            self.add("review", 'must be a list of question keys, e.g. ["access.q01"]')
            return ()
        keys = self.data.get("review", [])
        questions = instrument_content(instrument).by_key if instrument else None
        found: list[str] = []
        for index, key in enumerate(keys):
            if questions is not None and key not in questions:
                self.add(f"review[{index}]", f"{show(key)} is not a question of this instrument")
            elif key not in found:
                found.append(key)
        return tuple(found)

    def answers(self, instrument: Instrument | None) -> tuple[ValidAnswer, ...]:
        error = self.errors.get(("answers",))
        if error is not None:
            if error["type"] == "missing":
                self.add("answers", "is missing (an object of question key: answer, may be {})")
            else:
                reason = f"must be an object of question key: answer, not {_kind(error['input'])}"
                self.add("answers", reason)
            return ()
        questions = instrument_content(instrument).by_key if instrument else None
        valid: list[ValidAnswer] = []
        for key, entry in self.data["answers"].items():
            where = f"answers.{clip(str(key), 130)}"
            question = questions.get(key) if questions is not None else None
            if questions is not None and question is None:
                self.add(where, "is not a question of this instrument")
                continue
            answer = self.answer(key, entry, where, question)
            # An entry with nothing in it is the same as no entry.
            if answer is not None and (answer.value or answer.comment or answer.evidence):
                assert question is not None
                valid.append(ValidAnswer(question=question, entry=answer))
        if questions is not None:
            # Written in question order, whatever the order in the file.
            order = {key: i for i, key in enumerate(questions)}
            valid.sort(key=lambda a: order[a.question.key])
        return tuple(valid)

    def answer(
        self, key: str, entry: Any, where: str, question: Question | None
    ) -> AnswerFormat | None:
        loc: Loc = ("answers", key)
        if loc in self.errors:
            reason = f'must be an object with "value", "comment", "evidence", not {_kind(entry)}'
            self.add(where, reason)
            return None
        for name in entry:
            error = self.errors.get((*loc, name))
            if error is not None and error["type"] == "extra_forbidden":
                self.add(
                    f"{where}.{clip(str(name))}",
                    f"is not an answer field (fields: {', '.join(ANSWER_FIELDS)})",
                )
        for name, field in AnswerFormat.model_fields.items():
            if name == "files":
                self.file_problems((*loc, name), f"{where}.files")
            elif (error := self.errors.get((*loc, name))) is not None:
                self.add(f"{where}.{name}", _field_reason(field, error))
        if self._bad(*loc) or question is None:
            return None
        answer = AnswerFormat.model_validate(entry)
        if (
            answer.value
            and question.scored
            and not self.option_allowed(question, answer.value, where)
        ):
            return None
        return answer

    def file_problems(self, loc: Loc, where: str) -> None:
        """The format's errors about an answer's evidence files (issue 14), worded."""
        error = self.errors.get(loc)
        if error is not None:
            if error["type"] == "too_long":
                reason = f"may list at most {MAX_FILES_PER_ANSWER} files, not {len(error['input'])}"
            else:
                reason = f"must be a list of files, not {_kind(error['input'])}"
            self.add(where, reason)
            return
        fields = ", ".join(EvidenceFileFormat.model_fields)
        for found, error in self.errors.items():
            if found[: len(loc)] != loc or len(found) == len(loc):
                continue
            place = f"{where}[{found[len(loc)]}]"
            rest = found[len(loc) + 1 :]
            if not rest:
                self.add(place, f"must be an object with {fields}, not {_kind(error['input'])}")
                continue
            name = str(rest[0])
            place = f"{place}.{clip(name)}"
            if error["type"] == "extra_forbidden":
                self.add(place, f"is not a file field (fields: {fields})")
            elif error["type"] == "missing":
                self.add(place, "is missing")
            elif name == "size":
                self.add(
                    place,
                    f"must be a whole number of bytes, at least 1, not {show(error['input'])}",
                )
            elif name == "sha256":
                self.add(
                    place, "must be the SHA-256 of the content: 64 lowercase hexadecimal digits"
                )
            elif name == "uploaded_at" and isinstance(error["input"], str):
                self.add(
                    place, "must be a date and time in ISO 8601, e.g. 2026-03-01T09:30:00+00:00"
                )
            else:
                self.add(place, _field_reason(EvidenceFileFormat.model_fields[name], error))

    def option_allowed(self, question: Question, value: str, where: str) -> bool:
        allowed = [str(option["value"]) for option in question.options]
        if question.allow_na:
            allowed.append(NA)
        if value in allowed:
            return True
        listed = ", ".join(allowed)
        if value == NA:
            self.add(
                f"{where}.value",
                f'"na" is not allowed: this question cannot be answered not applicable '
                f"(allowed: {listed})",
            )
        else:
            reason = f"{show(value)} is not an allowed option (allowed: {listed})"
            self.add(f"{where}.value", reason)
        return False
