"""The assessment JSON: export one assessment, and import one back, validated in full first.

The shape is the contract of PRODUCT.md ("Data in and out"):

    {"format": "readiness-assessment/1", "id": 12, "exported_at": "…",
     "instrument": {"slug": "clinical-ai", "version": "1.0"},
     "organisation": "…", "site": "…", "round": "2026 spring", "round_date": "2026-03-01",
     "status": "submitted", "targets": {"access": 60.0, …},
     "answers": {"access.q02": {"value": "3", "comment": "", "evidence": ""}, …},
     "results": {…}}

Export → import → export gives the same file apart from "id" and "exported_at": keys come in
a fixed order, answers in question order, and results are always recomputed from the answers
and targets (on import the file's results are ignored).

An import is checked completely before anything is written, and then written in one
transaction, so a bad file changes nothing. Every problem names the key it is about, in the
dotted form a person can find in the file: `answers.access.q04.value: "7" is not an allowed
option (allowed: 0, 1, 2, 3, 4, na)`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from assessments.content import instrument_content
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Organisation,
    Question,
    Site,
)
from assessments.scoring import NA, result_to_dict
from assessments.services import (
    MAX_TEXT,
    RoundTaken,
    assessment_create,
    assessment_reopen,
    assessment_round_taken,
    assessment_submit,
    round_taken_message,
)
from assessments.value_text import (
    JSON_WORDS,
    clip,
    exact_decimal,
    has_decimals,
    kind_of,
    show_value,
)

FORMAT = "readiness-assessment/1"

# Limits follow the model columns, so a file that validates is never truncated on write.
_MAX_NAME = 200  # Organisation.name, Site.name
_MAX_ROUND = 100  # Assessment.round_label
_ROUND_ADVICE = 'it was imported before; to keep both, change "round" in the file'
_MAX_SLUG = 80
# Reported problems are capped: a badly broken file should not produce a page of thousands.
_MAX_PROBLEMS = 20
_STATUSES = tuple(Assessment.Status.values)
_ANSWER_FIELDS = ("value", "comment", "evidence", "carried_over")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TARGET_STEP = Decimal("0.1")


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


def _error(key: str, reason: str) -> TransferError:
    return TransferError([(key, reason)])


# --- export ---------------------------------------------------------------------------------


def export_assessment(assessment: Assessment) -> dict[str, Any]:
    """The assessment as the JSON-ready dict of the assessment file (see the module docstring)."""
    content = instrument_content(assessment.instrument)
    answers = {a.question_id: a for a in Answer.objects.filter(assessment=assessment)}
    values = {q.key: answers[q.pk].value for q in content.questions if q.pk in answers}
    exported: dict[str, Any] = {}
    for question in content.questions:
        answer = answers.get(question.pk)
        # A comment or evidence note without an answer is still work to keep.
        if answer is None or not (answer.value or answer.comment or answer.evidence):
            continue
        entry: dict[str, Any] = {
            "value": answer.value,
            "comment": answer.comment,
            "evidence": answer.evidence,
        }
        if answer.carried_over:
            entry["carried_over"] = True
        exported[question.key] = entry
    site = assessment.site
    return {
        "format": FORMAT,
        "id": assessment.pk,
        "exported_at": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "instrument": {
            "slug": assessment.instrument.slug,
            "version": assessment.instrument.version,
        },
        "organisation": site.organisation.name,
        "site": site.name,
        "round": assessment.round_label,
        "round_date": assessment.round_date.isoformat(),
        "status": assessment.status,
        "targets": {d.key: float(assessment.target_for(d)) for d in content.domains},
        "answers": exported,
        # Recomputed even for a submitted assessment: its stored results are the same numbers,
        # and one code path keeps export → import → export identical.
        "results": result_to_dict(assessment.compute_results(values)),
    }


def dumps(data: Mapping[str, Any]) -> str:
    """The file's text: indented, UTF-8 characters kept as they are, ending in a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_filename(assessment: Assessment) -> str:
    parts = [slugify(assessment.site.name), slugify(assessment.round_label)]
    name = "-".join(part for part in parts if part) or "assessment"
    return f"assessment-{assessment.pk}-{name}.json"


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
            raise _error("file", "is not a JSON text file (it is not UTF-8 encoded)") from None
    else:
        text = raw
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        reason = f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise _error("file", reason) from None
    except RecursionError:
        raise _error("file", "is nested too deeply to be an assessment file") from None
    except ValueError as exc:
        # Duplicate keys, NaN/Infinity, or an integer too long to convert.
        raise _error("file", f"is not valid JSON: {exc}") from None


# --- validate -------------------------------------------------------------------------------


def _show(raw: Any) -> str:
    """A value as a problem message quotes it: short, and on one line."""
    return show_value(raw, JSON_WORDS)


def _kind(raw: Any) -> str:
    return kind_of(raw, JSON_WORDS)


@dataclass(frozen=True)
class ValidAnswer:
    question: Question
    value: str
    comment: str
    evidence: str
    carried_over: bool


@dataclass(frozen=True)
class ValidImport:
    """Everything an import writes, checked: nothing in it can fail on the way to the database."""

    instrument: Instrument
    organisation: Organisation | None  # None: created on import, named organisation_name
    organisation_name: str
    site: Site | None  # None: created on import, named site_name
    site_name: str
    round_label: str
    round_date: datetime.date
    status: str
    targets: dict[str, Decimal]
    answers: tuple[ValidAnswer, ...]


def _storable(text: str) -> str | None:
    """Why the text cannot be stored as it is, or None when it can."""
    if "\x00" in text:
        # PostgreSQL text columns refuse NUL characters.
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an invalid character (a lone surrogate)"
    return None


class AssessmentFileChecker:
    """Checks one parsed assessment file, collecting problems (key, reason) as it goes."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, key: str, reason: str) -> None:
        self.problems.append((key, reason))

    def string(
        self, raw: Any, key: str, *, limit: int, required: bool, present: bool = True
    ) -> str | None:
        if not present:
            self.add(key, "is missing")
            return None
        if not isinstance(raw, str):
            self.add(key, f"must be text, not {_kind(raw)}")
            return None
        if len(raw) > limit:
            self.add(key, f"is too long ({len(raw)} characters; at most {limit})")
            return None
        if (why := _storable(raw)) is not None:
            self.add(key, why)
            return None
        if required and not raw.strip():
            self.add(key, "must not be empty")
            return None
        return raw

    def instrument(self, raw: Any, organisation: Organisation | None) -> Instrument | None:
        if not isinstance(raw, dict):
            if raw is None:
                self.add("instrument", "is missing")
            else:
                reason = f'must be an object with "slug" and "version", not {_kind(raw)}'
                self.add("instrument", reason)
            return None
        slug = self.string(
            raw.get("slug"),
            "instrument.slug",
            limit=_MAX_SLUG,
            required=True,
            present="slug" in raw,
        )
        version = self.string(
            raw.get("version"),
            "instrument.version",
            limit=_MAX_SLUG,
            required=True,
            present="version" in raw,
        )
        if slug is None or version is None:
            return None
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
                f"no instrument {_show(slug)} version {_show(version)} is loaded here "
                "(load its file first with manage.py load_instruments or the instruments page)",
            )
        return found

    def round_date(self, data: dict[str, Any]) -> datetime.date:
        if "round_date" not in data:
            # Not in PRODUCT.md's minimal shape: a file without it gets the day of import.
            return timezone.localdate()
        raw = data["round_date"]
        if isinstance(raw, str) and _DATE_RE.match(raw):
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                pass
        self.add("round_date", f"must be a date written YYYY-MM-DD, not {_show(raw)}")
        return timezone.localdate()

    def status(self, data: dict[str, Any]) -> str:
        if "status" not in data:
            self.add("status", f"is missing (one of: {', '.join(_STATUSES)})")
        elif not isinstance(data["status"], str) or data["status"] not in _STATUSES:
            self.add("status", f"{_show(data['status'])} is not one of: {', '.join(_STATUSES)}")
        else:
            return str(data["status"])
        return Assessment.Status.DRAFT

    def targets(self, raw: Any, instrument: Instrument | None, present: bool) -> dict[str, Decimal]:
        if not present:
            self.add("targets", "is missing (an object of domain key: target, may be {})")
            return {}
        if not isinstance(raw, dict):
            self.add("targets", f"must be an object of domain key: target, not {_kind(raw)}")
            return {}
        domains = {d.key: d for d in instrument_content(instrument).domains} if instrument else None
        targets: dict[str, Decimal] = {}
        for key, value in raw.items():
            where = f"targets.{clip(key, 80)}"
            if domains is not None and key not in domains:
                allowed = ", ".join(domains)
                self.add(where, f"is not a domain of this instrument (domains: {allowed})")
                continue
            number = exact_decimal(value)
            if number is None or not (0 <= number <= 100):
                self.add(where, f"must be a number from 0 to 100, not {_show(value)}")
            elif has_decimals(number, _TARGET_STEP):
                self.add(where, f"may have at most one decimal, not {_show(value)}")
            else:
                targets[key] = number
        return targets

    def answers(
        self, raw: Any, instrument: Instrument | None, present: bool
    ) -> tuple[ValidAnswer, ...]:
        if not present:
            self.add("answers", "is missing (an object of question key: answer, may be {})")
            return ()
        if not isinstance(raw, dict):
            self.add("answers", f"must be an object of question key: answer, not {_kind(raw)}")
            return ()
        questions = instrument_content(instrument).by_key if instrument else None
        valid: list[ValidAnswer] = []
        for key, entry in raw.items():
            where = f"answers.{clip(key, 130)}"
            question = questions.get(key) if questions is not None else None
            if questions is not None and question is None:
                self.add(where, "is not a question of this instrument")
                continue
            answer = self.answer(entry, where, question)
            # An entry with nothing in it is the same as no entry.
            if answer is not None and (answer.value or answer.comment or answer.evidence):
                valid.append(answer)
        if questions is not None:
            # Written in question order, whatever the order in the file.
            order = {key: i for i, key in enumerate(questions)}
            valid.sort(key=lambda a: order[a.question.key])
        return tuple(valid)

    def answer(self, entry: Any, where: str, question: Question | None) -> ValidAnswer | None:
        if not isinstance(entry, dict):
            self.add(
                where, f'must be an object with "value", "comment", "evidence", not {_kind(entry)}'
            )
            return None
        ok = True
        for name in entry:
            if name not in _ANSWER_FIELDS:
                self.add(
                    f"{where}.{clip(name)}",
                    f"is not an answer field (fields: {', '.join(_ANSWER_FIELDS)})",
                )
                ok = False
        value = self.string(
            entry.get("value"),
            f"{where}.value",
            limit=MAX_TEXT,
            required=False,
            present="value" in entry,
        )
        comment = self.string(
            entry.get("comment", ""), f"{where}.comment", limit=MAX_TEXT, required=False
        )
        evidence = self.string(
            entry.get("evidence", ""), f"{where}.evidence", limit=MAX_TEXT, required=False
        )
        carried_over = entry.get("carried_over", False)
        if not isinstance(carried_over, bool):
            self.add(f"{where}.carried_over", f"must be true or false, not {_show(carried_over)}")
            ok = False
        if value is None or comment is None or evidence is None or not ok:
            return None
        if question is None:
            return None
        if value and question.scored and not self.option_allowed(question, value, where):
            return None
        return ValidAnswer(
            question=question,
            value=value,
            comment=comment,
            evidence=evidence,
            carried_over=carried_over,
        )

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
            reason = f"{_show(value)} is not an allowed option (allowed: {listed})"
            self.add(f"{where}.value", reason)
        return False


def validate_import(
    data: Any, *, organisation: Organisation | None = None, allow_new_site: bool = True
) -> ValidImport:
    """Check a parsed assessment file completely; raises TransferError listing what is wrong.

    `organisation` is where the import goes (the app's current organisation): the file's
    organisation name is then not used. Without it, the organisation named in the file is looked
    up (it is created on import when missing); that decides which organisation-owned
    instruments may be used. Reads the database, never writes to it.
    """
    if not isinstance(data, dict):
        raise _error("file", f"must hold a JSON object (an assessment), not {_kind(data)}")
    if "format" not in data:
        raise _error("format", f'is missing; an assessment file says "format": "{FORMAT}"')
    if data["format"] != FORMAT:
        # A different format: checking its other keys would only produce noise.
        raise _error("format", f'{_show(data["format"])} is not supported (expected "{FORMAT}")')

    check = AssessmentFileChecker()
    organisation_name = check.string(
        data.get("organisation"),
        "organisation",
        limit=_MAX_NAME,
        required=True,
        present="organisation" in data,
    )
    site_name = check.string(
        data.get("site"), "site", limit=_MAX_NAME, required=True, present="site" in data
    )
    round_label = check.string(
        data.get("round"), "round", limit=_MAX_ROUND, required=True, present="round" in data
    )
    round_date = check.round_date(data)
    status = check.status(data)

    owner = organisation
    if owner is None and organisation_name is not None:
        owner = Organisation.objects.filter(name=organisation_name.strip()).first()
    site = None
    if owner is not None and site_name is not None:
        site = Site.objects.filter(organisation=owner, name=site_name.strip()).first()
        if site is None and not allow_new_site:
            check.add(
                "site",
                f"there is no site {_show(site_name.strip())} in {owner.name}; an organisation "
                'admin can add it, or change "site" in the file to an existing site\'s name',
            )
        elif site is not None and site.archived:
            check.add("site", f"{_show(site.name)} is archived: restore it before importing")
    instrument = check.instrument(data.get("instrument"), owner)
    if site is not None and instrument is not None and round_label is not None:
        # The same file twice, or a round the site already has for this instrument.
        taken = assessment_round_taken(
            site=site, instrument_slug=instrument.slug, round_label=round_label.strip()
        )
        if taken is not None:
            check.add("round", round_taken_message(taken, round_label.strip(), _ROUND_ADVICE))
    targets = check.targets(data.get("targets"), instrument, present="targets" in data)
    answers = check.answers(data.get("answers"), instrument, present="answers" in data)

    if check.problems:
        raise TransferError(check.problems[:_MAX_PROBLEMS])
    # No problem means every part was read; the asserts tell the type checker so.
    assert instrument is not None
    assert organisation_name is not None
    assert site_name is not None
    assert round_label is not None
    return ValidImport(
        instrument=instrument,
        organisation=owner,
        organisation_name=organisation_name.strip(),
        site=site,
        site_name=site_name.strip(),
        round_label=round_label.strip(),
        round_date=round_date,
        status=status,
        targets=targets,
        answers=answers,
    )


# --- import ---------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[: _MAX_SLUG - 8].strip("-") or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _site_for(valid: ValidImport) -> Site:
    """The site checked by validation, or a new one (and a new organisation) named by the file."""
    if valid.site is not None:
        return valid.site
    organisation = valid.organisation
    if organisation is None:
        organisation = Organisation.objects.create(
            name=valid.organisation_name, slug=_unique_slug(valid.organisation_name)
        )
    return Site.objects.create(organisation=organisation, name=valid.site_name)


def assessment_import(
    *,
    data: Any,
    user: User | None,
    organisation: Organisation | None = None,
    allow_new_site: bool = True,
) -> Assessment:
    """Create an assessment from a parsed assessment file; raises TransferError, writing nothing.

    With `organisation` (the app) the assessment goes into that organisation, whatever the file
    names, and its site is matched by name there (created only when `allow_new_site`). Without
    it (the command) organisation and site are found by name and created when missing.
    The file's results are ignored: a submitted assessment's results are computed and stored
    by the same code as a submission in the app.
    """
    valid = validate_import(data, organisation=organisation, allow_new_site=allow_new_site)
    with transaction.atomic():
        try:
            assessment = assessment_create(
                site=_site_for(valid),
                instrument=valid.instrument,
                round_label=valid.round_label,
                round_date=valid.round_date,
                user=user,
            )
        except RoundTaken as taken:  # imported by someone else since validation
            message = round_taken_message(taken.existing, valid.round_label, _ROUND_ADVICE)
            raise _error("round", message) from taken
        now = timezone.now()
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                question=a.question,
                value=a.value,
                comment=a.comment,
                evidence=a.evidence,
                answered_by=user,
                answered_at=now,
                carried_over=a.carried_over,
            )
            for a in valid.answers
        )
        source_id = data.get("id")
        entries = [
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.IMPORTED,
                subject="json",
                new={
                    "organisation": valid.organisation_name,
                    "site": valid.site_name,
                    "status": valid.status,
                    "answers": len(valid.answers),
                    # The id it had where it was exported, to trace the copy back.
                    "source_id": source_id if type(source_id) is int else None,
                },
            )
        ]
        entries.extend(
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.ANSWER,
                subject=a.question.key,
                old=None,
                new={"value": a.value, "comment": a.comment, "evidence": a.evidence},
            )
            for a in valid.answers
        )
        AuditEntry.objects.bulk_create(entries)
        # Only targets that differ from the instrument's are stored, as the targets page does.
        assessment.targets = {
            d.key: float(valid.targets[d.key])
            for d in instrument_content(valid.instrument).domains
            if d.key in valid.targets and valid.targets[d.key] != d.effective_target
        }
        assessment.revision = 1
        assessment.save(update_fields=["targets", "revision"])
        if valid.status in (Assessment.Status.SUBMITTED, Assessment.Status.REOPENED):
            assessment_submit(assessment=assessment, user=user)
        if valid.status == Assessment.Status.REOPENED:
            # A reopened assessment was submitted once and keeps those results, as in the app.
            assessment_reopen(assessment=assessment, user=user)  # type: ignore[arg-type]
    return assessment
