"""Instrument files: read and validate YAML into frozen dataclasses, then sync them into models.

The file format is described in PRODUCT.md ("Instrument file format"). Reading and validating
is pure Python (Django is imported only by the functions that touch the database), so a file
can be checked without a database. Every problem found in a file is reported together, as
"FILE: KEY: reason" lines, because content authors fix files in one go, not one error per run.

A loaded version is immutable: loading it again with the same parsed content does nothing, and
loading it with different content is refused. The comparison uses a hash of the *parsed*
content, so editing comments or whitespace never counts as a change.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from assessments import scoring
    from assessments.models import Instrument, Organisation

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

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
# Keys end up in URLs, form field names and the assessment JSON: keep them plain.
_KEY_PART_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# Field limits follow the model columns, so a file that validates never fails (or is silently
# truncated) when it is written to the database.
_MAX_SLUG = 80
_MAX_VERSION = 40
_MAX_TITLE = 200
_MAX_DOMAIN_KEY = 80
_MAX_QUESTION_KEY = 120
_MAX_OPTION_VALUE = 80
_MAX_SOURCE_NAME = 255
_MAX_WEIGHT = Decimal("99999.999")
_WEIGHT_STEP = Decimal("0.001")
_TARGET_STEP = Decimal("0.1")
DEFAULT_TARGET = Decimal(60)
# PRODUCT.md, "Critical items": a counted critical item below this share of its top score blocks.
DEFAULT_BLOCKER_BELOW = Decimal("0.5")
_BLOCKER_STEP = Decimal("0.01")

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


# --- reading and validating -----------------------------------------------------------------


def read_instrument(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None
) -> InstrumentDef:
    """Read and validate one instrument file (a path, or the file's bytes) without a database.

    Raises InstrumentError listing every problem found. `name` is the file name used in
    messages; it defaults to the path's name.
    """
    display = _display_name(source, name)
    raw = source if isinstance(source, bytes) else _read_bytes(Path(source), display)
    return parse_instrument(raw, name=display)


def _display_name(source: str | os.PathLike[str] | bytes, name: str | None) -> str:
    if name:
        return name
    return "uploaded file" if isinstance(source, bytes) else Path(source).name


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        # Check the size before reading so that a huge file is never pulled into memory.
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InstrumentError([Problem(display, "", _too_big(size))])
        if not path.is_file():
            raise InstrumentError([Problem(display, "", "not a file")])
        return path.read_bytes()
    except FileNotFoundError:
        raise InstrumentError([Problem(display, "", f"file not found: {path}")]) from None
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
        raise InstrumentError([Problem(display, "", reason)]) from None


def _too_big(size: int) -> str:
    return f"the file is {size:,} bytes; instrument files are limited to {MAX_FILE_BYTES:,} bytes"


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
# No number an instrument needs (weights below 100000 with three decimals, targets, scores)
# comes near this many characters; longer ones are refused before Python converts them, as
# int() of a 5,000-digit text raises ValueError and 0x... with thousands of digits makes an
# integer too big to print.
_MAX_NUMBER_CHARS = 30


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load's loader, but a key given twice in one mapping is an error, and so is a
    number too long to be meant.

    PyYAML keeps the last value silently, so a question with two `text:` lines, or a second
    `domains:` further down the file, would load with half the file ignored.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Numbers first, naming the key, before any value of this mapping is converted.
        for key_node, value_node in node.value:
            if _too_long_number(value_node):
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the number given for {str(key)[:80]!r} has {len(value_node.value):,} "
                    f"characters; numbers in instrument files have at most {_MAX_NUMBER_CHARS}",
                    value_node.start_mark,
                )
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges are overridden by explicit keys, as YAML says
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {str(key)[:80]!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _check_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> None:
    if _too_long_number(node):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of {len(node.value):,} characters; numbers in instrument files have "
            f"at most {_MAX_NUMBER_CHARS}",
            node.start_mark,
        )


def _too_long_number(node: yaml.Node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag in _NUMBER_TAGS
        and len(node.value) > _MAX_NUMBER_CHARS
    )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _check_number(loader, node)  # a number in a list, where there is no key to name
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _check_number(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def parse_instrument(raw: bytes | str, *, name: str) -> InstrumentDef:
    """Parse and validate the text of one instrument file; raise InstrumentError on problems."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise InstrumentError([Problem(name, "", _too_big(len(raw)))])
        try:
            # utf-8-sig: Windows editors put a byte-order mark at the start; it is harmless.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            reason = (
                f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                "save it as UTF-8"
            )
            raise InstrumentError([Problem(name, f"line {line}", reason)]) from None
    else:
        text = raw
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no Python objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = "; ".join(part for part in (exc.context, exc.problem) if part)
        if mark is None:
            raise InstrumentError([Problem(name, "", f"invalid YAML: {detail}")]) from None
        reason = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {detail}"
        raise InstrumentError([Problem(name, f"line {mark.line + 1}", reason)]) from None
    except yaml.YAMLError as exc:
        raise InstrumentError([Problem(name, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise InstrumentError([Problem(name, "", "invalid YAML: nested too deeply")]) from None
    except ValueError as exc:
        # PyYAML raises plain ValueError for impossible dates such as 2024-13-45.
        raise InstrumentError([Problem(name, "", f"invalid YAML value: {exc}")]) from None
    return validate_instrument(data, name=name)


def validate_instrument(data: Any, *, name: str) -> InstrumentDef:
    """Turn the result of yaml.safe_load into an InstrumentDef, collecting every problem."""
    return _Validator(name).instrument(data)


class _Validator:
    """Walks one parsed file once, collecting problems instead of stopping at the first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, key: str, reason: str) -> None:
        self.problems.append(Problem(self.file, key, reason))

    # -- levels --

    def instrument(self, data: Any) -> InstrumentDef:
        if data is None:
            self.add("", "the file is empty; expected slug, version, title and domains")
            raise InstrumentError(self.problems)
        if not isinstance(data, dict):
            self.add(
                "", f"the top level must be a mapping (slug: ..., version: ...), not {_kind(data)}"
            )
            raise InstrumentError(self.problems)
        for unknown in _unknown_fields(data, _TOP_FIELDS):
            # The field name is the key here, so the reason need not repeat it.
            close = difflib.get_close_matches(str(unknown), _TOP_FIELDS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            self.add(str(unknown), f"unknown field at the top level{hint}")

        slug = self.slug(data.get("slug"))
        version = self.version(data.get("version"))
        title = self.text(data, "title", "title", required=True, max_length=_MAX_TITLE)
        description = self.text(data, "description", "description")
        source = self.text(data, "source", "source")
        licence = self.text(data, "licence", "licence")
        default_target = DEFAULT_TARGET
        if "default_target" in data:
            default_target = self.target(data["default_target"], "default_target", "default_target")
        blocker_below = DEFAULT_BLOCKER_BELOW
        if "blocker_below" in data:
            blocker_below = self.blocker_below(data["blocker_below"])

        domains = self.domains(data.get("domains"))
        if self.problems:
            raise InstrumentError(self.problems)
        return InstrumentDef(
            slug=slug,
            version=version,
            title=title,
            description=description,
            source=source,
            licence=licence,
            default_target=default_target,
            blocker_below=blocker_below,
            domains=domains,
        )

    def domains(self, raw: Any) -> tuple[DomainDef, ...]:
        if raw is None:
            self.add("domains", "missing: list at least one domain")
            return ()
        if not isinstance(raw, list):
            self.add("domains", f"must be a list of domains, not {_kind(raw)}")
            return ()
        if not raw:
            self.add("domains", "the list is empty: list at least one domain")
            return ()
        domains: list[DomainDef] = []
        domain_keys: dict[str, str] = {}
        # Every question seen so far, in file order, with its option values (None when the
        # question is free text or its options are invalid): show_if may only look back.
        earlier: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        all_keys = _all_question_keys(raw)
        for index, raw_domain in enumerate(raw):
            path = f"domains[{index}]"
            domain = self.domain(raw_domain, path, domain_keys, earlier, all_keys)
            if domain is not None:
                domains.append(domain)
        return tuple(domains)

    def domain(
        self,
        raw: Any,
        path: str,
        domain_keys: dict[str, str],
        earlier: dict[str, tuple[str, tuple[str, ...] | None]],
        all_keys: frozenset[str],
    ) -> DomainDef | None:
        if not isinstance(raw, dict):
            self.add(path, f"a domain must be a mapping (key: ..., title: ...), not {_kind(raw)}")
            return None
        key = self.domain_key(raw.get("key"), path)
        where = key or path
        if key:
            if key in domain_keys:
                self.add(key, f"duplicate domain key (also used by {domain_keys[key]})")
            else:
                domain_keys[key] = path
        for unknown in _unknown_fields(raw, _DOMAIN_FIELDS):
            self.add(where, _unknown_reason(unknown, _DOMAIN_FIELDS))
        title = self.text(raw, "title", where, required=True, max_length=_MAX_TITLE)
        description = self.text(raw, "description", where)
        weight = self.weight(raw["weight"], where) if "weight" in raw else Decimal(1)
        target = self.target(raw["target"], where, "target") if "target" in raw else None

        questions: list[QuestionDef] = []
        raw_questions = raw.get("questions")
        if raw_questions is None or raw_questions == []:
            self.add(where, "the domain has no questions")
        elif not isinstance(raw_questions, list):
            self.add(where, f"questions must be a list, not {_kind(raw_questions)}")
        else:
            for index, raw_question in enumerate(raw_questions):
                path = f"{where}.questions[{index}]"
                question = self.question(raw_question, path, key, earlier, all_keys)
                if question is not None:
                    questions.append(question)
        return DomainDef(
            key=key or "",
            title=title,
            description=description,
            weight=weight,
            target=target,
            questions=tuple(questions),
        )

    def question(
        self,
        raw: Any,
        path: str,
        domain_key: str | None,
        earlier: dict[str, tuple[str, tuple[str, ...] | None]],
        all_keys: frozenset[str],
    ) -> QuestionDef | None:
        if not isinstance(raw, dict):
            self.add(path, f"a question must be a mapping (key: ..., text: ...), not {_kind(raw)}")
            return None
        key = self.question_key(raw.get("key"), path, domain_key)
        where = key or path
        duplicate = bool(key) and key in earlier
        if duplicate:
            self.add(where, "duplicate question key")
        for unknown in _unknown_fields(raw, _QUESTION_FIELDS):
            self.add(where, _unknown_reason(unknown, _QUESTION_FIELDS))

        question_type = self.question_type(raw.get("type"), where)
        text = self.text(raw, "text", where, required=True)
        help_text = self.text(raw, "help", where)
        recommendation = self.text(raw, "recommendation", where)
        weight = self.weight(raw["weight"], where) if "weight" in raw else Decimal(1)
        critical = self.boolean(raw, "critical", where, default=False)
        allow_na = self.boolean(raw, "allow_na", where, default=True)
        references = self.references(raw.get("references"), where)

        scored = question_type != "text"
        # A recommendation of the wrong type was reported by text() already.
        written = raw.get("recommendation")
        if question_type is not None and scored and not recommendation and not _is_other(written):
            self.add(where, "recommendation is missing: scored questions need one")
        if question_type == "text" and critical:
            self.add(
                where, "critical: a free-text question is not scored, so it cannot be critical"
            )

        options: tuple[OptionDef, ...] = ()
        options_ok = question_type is not None
        if question_type is not None:
            options, options_ok = self.options(raw, question_type, where)

        show_if = None
        if raw.get("show_if") is not None:
            show_if = self.show_if(raw["show_if"], where, key, earlier, all_keys)

        if key and not duplicate:
            values = tuple(o.value for o in options) if scored and options_ok else None
            earlier[key] = (question_type or "", values)
        return QuestionDef(
            key=key or "",
            domain=domain_key or "",
            type=question_type or "",
            text=text,
            help=help_text,
            weight=weight,
            critical=critical,
            allow_na=allow_na,
            recommendation=recommendation,
            references=references,
            show_if=show_if,
            options=options,
        )

    def options(
        self, raw: dict[Any, Any], question_type: str, where: str
    ) -> tuple[tuple[OptionDef, ...], bool]:
        """The question's options (defaults expanded) and whether they are valid."""
        raw_options = raw.get("options")
        if raw_options is None:
            if question_type == "choice":
                self.add(where, "options are missing: a choice question lists at least two")
                return (), False
            return default_options(question_type), True
        if question_type in ("yes_no", "text"):
            what = "always yes and no" if question_type == "yes_no" else "free text"
            self.add(where, f"options are not allowed on a {question_type} question (it is {what})")
            return (), False
        if not isinstance(raw_options, list):
            self.add(where, f"options must be a list, not {_kind(raw_options)}")
            return (), False
        if len(raw_options) < 2:
            self.add(where, f"a {question_type} question needs at least two options")
            return (), False

        before = len(self.problems)
        options: list[OptionDef] = []
        seen: set[str] = set()
        for index, raw_option in enumerate(raw_options):
            at = f"options[{index}]"
            if not isinstance(raw_option, dict):
                self.add(where, f"{at} must be a mapping (value: ..., label: ..., score: ...)")
                continue
            for unknown in _unknown_fields(raw_option, _OPTION_FIELDS):
                self.add(where, f"{at}: {_unknown_reason(unknown, _OPTION_FIELDS)}")
            value = self.option_value(raw_option.get("value"), where, f"{at}: value")
            if value is not None:
                if value in seen:
                    self.add(where, f'{at}: duplicate option value "{value}"')
                seen.add(value)
            label = self.text(raw_option, "label", where, required=True, field_path=f"{at}: label")
            score = self.score(raw_option.get("score"), where, at)
            if value is not None and score is not None:
                options.append(OptionDef(value=value, label=label, score=score))
        ok = len(self.problems) == before
        if ok and max(option.score for option in options) <= 0:
            self.add(where, "the highest option score must be greater than 0")
            ok = False
        return tuple(options), ok

    def show_if(
        self,
        raw: Any,
        where: str,
        key: str | None,
        earlier: dict[str, tuple[str, tuple[str, ...] | None]],
        all_keys: frozenset[str],
    ) -> ShowIfDef | None:
        if not isinstance(raw, dict):
            self.add(where, 'show_if must be a mapping: {question: <key>, in: ["value", ...]}')
            return None
        ok = True
        for unknown in _unknown_fields(raw, _SHOW_IF_FIELDS):
            self.add(where, f"show_if: {_unknown_reason(unknown, _SHOW_IF_FIELDS)}")
            ok = False
        target = raw.get("question")
        if not isinstance(target, str) or not target.strip():
            self.add(where, "show_if: question is missing: name the key of an earlier question")
            return None
        target = target.strip()
        raw_values = raw.get("in")
        values: list[str] = []
        if not isinstance(raw_values, list) or not raw_values:
            self.add(
                where, 'show_if: in must be a non-empty list of option values, e.g. in: ["yes"]'
            )
            ok = False
        else:
            for raw_value in raw_values:
                value = self.option_value(raw_value, where, "show_if: in")
                if value is None:
                    ok = False
                else:
                    values.append(value)

        if target == key:
            self.add(where, "show_if refers to the question itself")
            return None
        if target not in earlier:
            if target in all_keys:
                self.add(
                    where,
                    f'show_if refers to "{target}", which comes later in the file; '
                    "it must refer to an earlier question",
                )
            else:
                self.add(
                    where, f'show_if refers to "{target}", which is not a question in this file'
                )
            return None
        target_type, target_values = earlier[target]
        if target_type == "text":
            self.add(
                where,
                f'show_if refers to "{target}", a free-text question; '
                "it must refer to a question with options",
            )
            return None
        if target_values is not None:
            for value in values:
                if value not in target_values:
                    allowed = ", ".join(f'"{v}"' for v in target_values)
                    self.add(
                        where, f'show_if: "{value}" is not an option of "{target}" ({allowed})'
                    )
                    ok = False
        if not ok:
            return None
        return ShowIfDef(question=target, values=tuple(values))

    # -- fields --

    def slug(self, raw: Any) -> str:
        if raw is None:
            self.add("slug", "missing")
            return ""
        if not isinstance(raw, str) or not _SLUG_RE.match(raw) or len(raw) > _MAX_SLUG:
            self.add(
                "slug",
                f"{_show(raw)} is not a valid slug: use lowercase letters, digits and dashes "
                f'(e.g. "clinical-ai"), at most {_MAX_SLUG} characters',
            )
            return ""
        return raw

    def version(self, raw: Any) -> str:
        if raw is None:
            self.add("version", 'missing: add e.g. version: "1.0"')
            return ""
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            # YAML reads 1.0 as a number (and 1.10 as 1.1), so an unquoted version would
            # silently change: insist on quotes.
            self.add(
                "version",
                f'must be a string: put it in quotes, e.g. version: "{raw}" '
                f"(YAML reads an unquoted {raw} as a number)",
            )
            return ""
        if not isinstance(raw, str):
            self.add(
                "version", f'must be a string in quotes, e.g. version: "1.0", not {_kind(raw)}'
            )
            return ""
        if not _VERSION_RE.match(raw) or len(raw) > _MAX_VERSION:
            self.add(
                "version",
                f"{_show(raw)} is not a valid version: use letters, digits, dots and dashes, "
                f"at most {_MAX_VERSION} characters",
            )
            return ""
        return raw

    def domain_key(self, raw: Any, path: str) -> str | None:
        if raw is None:
            self.add(path, "key is missing")
            return None
        if not isinstance(raw, str) or not _KEY_PART_RE.match(raw) or len(raw) > _MAX_DOMAIN_KEY:
            self.add(
                path,
                f"domain key {_show(raw)} is not valid: use lowercase letters, digits, dashes "
                "and underscores",
            )
            return None
        return raw

    def question_key(self, raw: Any, path: str, domain_key: str | None) -> str | None:
        if raw is None:
            self.add(path, "key is missing")
            return None
        if not isinstance(raw, str):
            self.add(path, f"key must be text, not {_kind(raw)}")
            return None
        domain_part, dot, name = raw.partition(".")
        if domain_key and (not dot or domain_part != domain_key):
            self.add(
                raw, f'question key must start with "{domain_key}." (its domain key and a dot)'
            )
            return None
        if not dot or not _KEY_PART_RE.match(name) or len(raw) > _MAX_QUESTION_KEY:
            self.add(
                raw,
                'question key must be "<domain key>.<name>", the name in lowercase letters, '
                "digits, dashes and underscores",
            )
            return None
        return raw

    def question_type(self, raw: Any, where: str) -> str | None:
        if raw is None:
            self.add(where, f"type is missing: use one of {', '.join(QUESTION_TYPES)}")
            return None
        if raw not in QUESTION_TYPES:
            self.add(where, f"type {_show(raw)} is not one of {', '.join(QUESTION_TYPES)}")
            return None
        return str(raw)

    def text(
        self,
        raw: Mapping[Any, Any],
        name: str,
        where: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        field_path: str | None = None,
    ) -> str:
        label = _label(where, field_path or name)
        value = raw.get(name)
        if value is None:
            if required:
                self.add(where, f"{label}is missing")
            return ""
        if not isinstance(value, str):
            self.add(where, f"{label}must be text, not {_kind(value)}; put it in quotes")
            return ""
        value = value.strip()
        if required and not value:
            self.add(where, f"{label}is empty")
        if max_length is not None and len(value) > max_length:
            self.add(where, f"{label}is longer than {max_length} characters")
        return value

    def boolean(self, raw: Mapping[Any, Any], name: str, where: str, *, default: bool) -> bool:
        value = raw.get(name, default)
        if not isinstance(value, bool):
            self.add(where, f"{name} must be true or false, not {_show(value)}")
            return default
        return value

    def references(self, raw: Any, where: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(
            isinstance(item, str) and item.strip() for item in raw
        ):
            self.add(where, 'references must be a list of text, e.g. ["NIST AI RMF GOVERN 1.1"]')
            return ()
        return tuple(item.strip() for item in raw)

    def weight(self, raw: Any, where: str) -> Decimal:
        number = _number(raw)
        if number is None:
            self.add(where, f"weight must be a number greater than 0, not {_show(raw)}")
        elif number <= 0:
            self.add(where, f"weight must be greater than 0, not {_show(raw)}")
        elif number > _MAX_WEIGHT or number != number.quantize(_WEIGHT_STEP):
            self.add(where, f"weight {_show(raw)} must be below 100000 with at most 3 decimals")
        else:
            return number
        return Decimal(1)

    def target(self, raw: Any, where: str, name: str) -> Decimal:
        number = _number(raw)
        label = _label(where, name)
        if number is None or not (0 <= number <= 100):
            self.add(where, f"{label}must be a number from 0 to 100, not {_show(raw)}")
        elif number != number.quantize(_TARGET_STEP):
            self.add(where, f"{label}may have at most one decimal, not {_show(raw)}")
        else:
            return number
        return DEFAULT_TARGET

    def blocker_below(self, raw: Any) -> Decimal:
        number = _number(raw)
        if number is None or not (0 < number <= 1):
            self.add(
                "blocker_below",
                f"must be a number greater than 0 and at most 1 (for example 0.75), not {_show(raw)}",
            )
        elif number != number.quantize(_BLOCKER_STEP):
            self.add("blocker_below", f"may have at most two decimals, not {_show(raw)}")
        else:
            return number
        return DEFAULT_BLOCKER_BELOW

    def score(self, raw: Any, where: str, at: str) -> Fraction | None:
        number = _number(raw)
        if number is None:
            self.add(where, f"{at}: score must be a number of 0 or more, not {_show(raw)}")
            return None
        if number < 0:
            self.add(where, f"{at}: score must not be negative ({_show(raw)})")
            return None
        if number > _MAX_WEIGHT:
            self.add(where, f"{at}: score must be below 100000, not {_show(raw)}")
            return None
        return Fraction(number)

    def option_value(self, raw: Any, where: str, label: str) -> str | None:
        if isinstance(raw, bool):
            # YAML 1.1 reads unquoted yes/no/on/off as booleans.
            self.add(
                where,
                f"{label}: {_show(raw)} is not text; YAML reads unquoted yes/no as true/false, "
                'so put the value in quotes, e.g. "yes"',
            )
            return None
        if raw is None:
            self.add(where, f"{label} is missing")
            return None
        if isinstance(raw, int):
            # Unquoted integers such as scale values 0..4 are unambiguous; accept them as text.
            return str(raw)
        if not isinstance(raw, str) or not raw.strip():
            self.add(where, f"{label} must be text, not {_show(raw)}")
            return None
        value = raw.strip()
        if value in RESERVED_VALUES:
            self.add(where, f'{label}: "{value}" is reserved for "not applicable"')
            return None
        if len(value) > _MAX_OPTION_VALUE:
            self.add(where, f"{label} is longer than {_MAX_OPTION_VALUE} characters")
            return None
        return value


def _label(where: str, name: str) -> str:
    """The field name to start a reason with, unless the problem's key already is that name."""
    return "" if where == name else f"{name} "


def _is_other(raw: Any) -> bool:
    """True for a value that is neither missing nor text."""
    return raw is not None and not isinstance(raw, str)


def _all_question_keys(raw_domains: list[Any]) -> frozenset[str]:
    """Every question key in the file, to tell a show_if to a later question from a typo."""
    keys: set[str] = set()
    for raw_domain in raw_domains:
        if isinstance(raw_domain, dict) and isinstance(raw_domain.get("questions"), list):
            for raw_question in raw_domain["questions"]:
                if isinstance(raw_question, dict) and isinstance(raw_question.get("key"), str):
                    keys.add(raw_question["key"])
    return frozenset(keys)


def _number(raw: Any) -> Decimal | None:
    """A finite int or float from YAML as an exact Decimal; None for anything else."""
    # bool is a subclass of int, but "weight: yes" is a mistake, not the number 1.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        # str() first: Decimal(0.1) would carry the binary error of the float into the scores.
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _unknown_fields(raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> list[Any]:
    return [name for name in raw if name not in allowed]


def _unknown_reason(name: Any, allowed: tuple[str, ...]) -> str:
    reason = f'unknown field "{name}"'
    close = difflib.get_close_matches(str(name), allowed, n=1)
    if close:
        reason += f' (did you mean "{close[0]}"?)'
    return reason


def _kind(raw: Any) -> str:
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, str):
        return "text"
    if isinstance(raw, bool):
        return "true/false"
    if isinstance(raw, int | float):
        return "a number"
    return f"{type(raw).__name__}"


def _show(raw: Any) -> str:
    """A short rendering of a value for messages (values can be anything YAML produces)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if raw is None:
        return "nothing"
    if isinstance(raw, str):
        text = f'"{raw}"'
    elif isinstance(raw, int | float):
        text = str(raw)
    else:
        text = _kind(raw)
    return text if len(text) <= 60 else text[:57] + "..."


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


# --- database -------------------------------------------------------------------------------


def _score_json(score: Fraction) -> int | float:
    # Scores come from YAML ints and short decimals, so the float is the number that was written.
    return int(score) if score.denominator == 1 else float(score)


def instrument_sync(
    *,
    definition: InstrumentDef,
    organisation: Organisation | None = None,
    source_name: str = "",
) -> tuple[Instrument, bool]:
    """Create the instrument version in the database, or confirm it is already there unchanged.

    Returns (instrument, created). Raises InstrumentError when the version is loaded with
    different content, or when its slug belongs to another owner (another organisation, or the
    instruments shipped with the app).
    """
    from django.db import IntegrityError, transaction

    from assessments.models import Domain, Instrument, Question

    file = source_name or f"{definition.slug}-{definition.version}"
    digest = content_hash(definition)
    with transaction.atomic():
        # A slug belongs to its first owner. Checking the slug, not only slug+version, stops an
        # organisation from taking the next version of a shipped instrument (or of another
        # organisation's). The message says no more than "taken", so nothing else leaks.
        others = Instrument.objects.filter(slug=definition.slug)
        if organisation is None:
            others = others.exclude(organisation__isnull=True)
        else:
            others = others.exclude(organisation=organisation)
        if others.exists():
            reason = f'the slug "{definition.slug}" is already taken; choose another slug'
            raise InstrumentError([Problem(file, "slug", reason)])

        existing = Instrument.objects.filter(
            slug=definition.slug, version=definition.version
        ).first()
        if existing is not None:
            return _unchanged(existing, definition, digest, file), False

        try:
            # A savepoint, so that losing a race with another process loading the same file
            # leaves this transaction usable for the comparison below.
            with transaction.atomic():
                instrument = Instrument.objects.create(
                    slug=definition.slug,
                    version=definition.version,
                    title=definition.title,
                    description=definition.description,
                    default_target=definition.default_target,
                    blocker_below=definition.blocker_below,
                    content_hash=digest,
                    source_name=source_name[:_MAX_SOURCE_NAME],
                    organisation=organisation,
                )
        except IntegrityError:
            existing = Instrument.objects.get(slug=definition.slug, version=definition.version)
            return _unchanged(existing, definition, digest, file), False

        domains = Domain.objects.bulk_create(
            Domain(
                instrument=instrument,
                key=domain.key,
                title=domain.title,
                description=domain.description,
                weight=domain.weight,
                target=domain.target,
                order=order,
            )
            for order, domain in enumerate(definition.domains)
        )
        domain_by_key = {domain.key: domain for domain in domains}
        if any(domain.pk is None for domain in domains):
            # Backends without RETURNING leave pks unset after bulk_create.
            domain_by_key = {d.key: d for d in Domain.objects.filter(instrument=instrument)}
        Question.objects.bulk_create(
            Question(
                instrument=instrument,
                domain=domain_by_key[question.domain],
                key=question.key,
                type=question.type,
                text=question.text,
                help=question.help,
                weight=question.weight,
                critical=question.critical,
                allow_na=question.allow_na,
                recommendation=question.recommendation,
                references=list(question.references),
                show_if_question=question.show_if.question if question.show_if else "",
                show_if_values=list(question.show_if.values) if question.show_if else [],
                options=[
                    {"value": o.value, "label": o.label, "score": _score_json(o.score)}
                    for o in question.options
                ],
                order=order,
            )
            for order, question in enumerate(definition.questions)
        )
    return instrument, True


def _unchanged(
    existing: Instrument, definition: InstrumentDef, digest: str, file: str
) -> Instrument:
    if existing.content_hash != digest:
        reason = (
            f'version {definition.version} of "{definition.slug}" is already loaded with '
            "different content; published versions are immutable: save your changes as a new "
            "version"
        )
        raise InstrumentError([Problem(file, "version", reason)])
    return existing


def load_file(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    organisation: Organisation | None = None,
) -> tuple[Instrument, bool]:
    """Read, validate and sync one file (a path, or an upload's bytes).

    Returns (instrument, created); raises InstrumentError with every problem.
    """
    display = _display_name(path_or_bytes, name)
    definition = read_instrument(path_or_bytes, name=display)
    return instrument_sync(definition=definition, organisation=organisation, source_name=display)


@dataclass(frozen=True)
class LoadSummary:
    loaded: int
    unchanged: int
    # "slug version" of every file, in the order loaded.
    instruments: tuple[str, ...] = ()

    def __str__(self) -> str:
        names = ", ".join(self.instruments) or "none"
        return f"Instruments: {self.loaded} loaded, {self.unchanged} unchanged ({names})"


def shipped_paths() -> list[Path]:
    return sorted(INSTRUMENTS_DIR.glob("*.yaml"))


def load_all(paths: list[Path] | None = None) -> LoadSummary:
    """Load the shipped instrument files (or the given ones) as the app's own instruments.

    Every file is validated before any is written, and all are written in one transaction,
    so a bad file leaves the database as it was. Raises InstrumentError with every problem.
    """
    from django.db import transaction

    paths = shipped_paths() if paths is None else [Path(path) for path in paths]
    problems: list[Problem] = []
    definitions: list[tuple[str, InstrumentDef]] = []
    seen: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            definition = read_instrument(path)
        except InstrumentError as exc:
            problems.extend(exc.problems)
            continue
        ident = (definition.slug, definition.version)
        if ident in seen:
            reason = f'version {definition.version} of "{definition.slug}" is also in {seen[ident]}'
            problems.append(Problem(path.name, "version", reason))
            continue
        seen[ident] = path.name
        definitions.append((path.name, definition))
    if problems:
        raise InstrumentError(problems)

    loaded = unchanged = 0
    with transaction.atomic():
        for name, definition in definitions:
            try:
                _, created = instrument_sync(definition=definition, source_name=name)
            except InstrumentError as exc:
                # Keep going to report every refused file; the raise below rolls all back.
                problems.extend(exc.problems)
                continue
            loaded += created
            unchanged += not created
        if problems:
            raise InstrumentError(problems)
    return LoadSummary(
        loaded=loaded,
        unchanged=unchanged,
        instruments=tuple(definition.label for _, definition in definitions),
    )


# --- scoring spec ---------------------------------------------------------------------------

_spec_cache: dict[tuple[int, str], scoring.InstrumentSpec] = {}
_spec_lock = threading.Lock()


def instrument_spec(instrument: Instrument) -> scoring.InstrumentSpec:
    """The scoring spec of a loaded instrument version, built once per process.

    A loaded version never changes, so (pk, content hash) identifies its content for good.
    Two queries on a cold cache (domains, questions), none after.
    """
    cache_key = (instrument.pk, instrument.content_hash)
    spec = _spec_cache.get(cache_key)
    if spec is None:
        spec = _build_spec(instrument)
        with _spec_lock:
            _spec_cache[cache_key] = spec
    return spec


def _build_spec(instrument: Instrument) -> scoring.InstrumentSpec:
    from assessments import scoring
    from assessments.models import Domain, Question

    domain_rows = list(
        Domain.objects.filter(instrument=instrument)
        .order_by("order")
        .values_list("pk", "key", "weight", "target")
    )
    domain_keys = {pk: key for pk, key, _, _ in domain_rows}
    domains = tuple(
        scoring.DomainSpec(
            key=key,
            # Decimal -> Fraction through str, so 0.1 stays exactly one tenth.
            weight=Fraction(str(weight)),
            target=target if target is not None else instrument.default_target,
        )
        for _, key, weight, target in domain_rows
    )
    rows = (
        Question.objects.filter(instrument=instrument)
        .order_by("order")
        .values_list(
            "key",
            "domain_id",
            "type",
            "weight",
            "critical",
            "allow_na",
            "options",
            "show_if_question",
            "show_if_values",
        )
    )
    questions = []
    for key, domain_id, type_, weight, critical, allow_na, options, show_q, show_values in rows:
        show_if = None
        if show_q:
            show_if = scoring.ShowIf(question=show_q, values=frozenset(show_values))
        questions.append(
            scoring.QuestionSpec(
                key=key,
                domain=domain_keys[domain_id],
                type=type_,
                weight=Fraction(str(weight)),
                critical=critical,
                allow_na=allow_na,
                # Scores are stored as JSON ints or short decimals: str() keeps them exact.
                options=tuple(
                    scoring.OptionSpec(value=str(o["value"]), score=Fraction(str(o["score"])))
                    for o in options
                ),
                show_if=show_if,
            )
        )
    return scoring.InstrumentSpec(
        domains=domains,
        questions=tuple(questions),
        # Decimal -> Fraction through str: 0.75 is exactly three quarters.
        blocker_below=Fraction(str(instrument.blocker_below)),
    )
