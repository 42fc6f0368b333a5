"""Load checked instrument files into the database: Instrument, Domain and Question rows.

A loaded version is immutable: loading it again with the same parsed content does nothing,
and loading it with different content is refused (the content hash of `instruments` is
compared, so comment and whitespace edits never count). A slug belongs to its first owner:
the app's shipped files, or one organisation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from django.db import IntegrityError, transaction

from assessments.instrument_reader import file_label, read_instrument
from assessments.instruments import (
    InstrumentDef,
    InstrumentError,
    Problem,
    content_hash,
    shipped_paths,
)
from assessments.models import Domain, Instrument, Organisation, Question

# Instrument.source_name's length.
MAX_SOURCE_NAME = 255


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
                    source_name=source_name[:MAX_SOURCE_NAME],
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
    display = file_label(path_or_bytes, name)
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


def load_all(paths: list[Path] | None = None) -> LoadSummary:
    """Load the shipped instrument files (or the given ones) as the app's own instruments.

    Every file is validated before any is written, and all are written in one transaction,
    so a bad file leaves the database as it was. Raises InstrumentError with every problem.
    """
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
