"""The questions of an instrument version, held in memory, and its scoring spec.

A loaded instrument version never changes (instrument_loading refuses to), so its domains
and questions can be read once per process and shared by every page that shows them, and the
scoring spec is built from those same rows. This keeps the number of queries per page
independent of the number of questions: two on a cold cache (domains, questions), none after.

The rows are read through the instrument's related managers, so this module needs the models
only for type checking: models.py can call it without an import circle.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from assessments import scoring

if TYPE_CHECKING:
    from assessments.models import Domain, Instrument, Question

VersionKey = tuple[int, str, datetime.datetime]
_cache: dict[VersionKey, InstrumentContent] = {}
_lock = threading.Lock()


def version_key(instrument: Instrument) -> VersionKey:
    """What identifies a loaded version's rows for good, as a key of the caches that hold them.

    Its pk and content hash are not enough: a pk comes back after a rolled-back transaction (as
    between tests) or a restored backup, and the same file loaded again then has other question
    rows. When the version was loaded tells those apart.
    """
    return (instrument.pk, instrument.content_hash, instrument.loaded_at)


@dataclass(frozen=True)
class InstrumentContent:
    instrument: Instrument
    domains: tuple[Domain, ...]
    questions: tuple[Question, ...]

    def domain(self, key: str) -> Domain | None:
        return next((d for d in self.domains if d.key == key), None)

    def questions_of(self, domain_key: str) -> tuple[Question, ...]:
        return self._by_domain.get(domain_key, ())

    @cached_property
    def _by_domain(self) -> dict[str, tuple[Question, ...]]:
        # Grouped once: the navigation's counts ask for every domain's questions on each
        # page and autosave, and a scan of all questions per domain was a tenth of an autosave.
        grouped: dict[str, list[Question]] = {d.key: [] for d in self.domains}
        for question in self.questions:
            grouped.setdefault(question.domain.key, []).append(question)
        return {key: tuple(questions) for key, questions in grouped.items()}

    @cached_property
    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    @cached_property
    def numbers(self) -> dict[str, str]:
        """Question key -> its number ("7.4"), as every page, report and export shows it."""
        return question_numbers(
            [d.key for d in self.domains], [(q.key, q.domain.key) for q in self.questions]
        )

    @cached_property
    def spec(self) -> scoring.InstrumentSpec:
        """The scoring spec of these rows (pure data for scoring.py)."""
        return _build_spec(self)


def question_numbers(
    domain_keys: Sequence[str], questions: Iterable[tuple[str, str]]
) -> dict[str, str]:
    """Number every question "<domain>.<question>" from the order of the instrument file.

    The domain's place among the domains, then the question's place among its domain's
    questions, counting every question, free text and follow-ups included. A follow-up keeps
    its number while an earlier answer hides it, so a number never moves with the answers:
    it is fixed per instrument version, and 7.4 in a report is 7.4 on the questionnaire.
    (`questions` are (key, domain key) pairs in file order.)
    """
    domain_number = {key: index for index, key in enumerate(domain_keys, start=1)}
    counts: dict[str, int] = {}
    numbers = {}
    for key, domain_key in questions:
        counts[domain_key] = counts.get(domain_key, 0) + 1
        numbers[key] = f"{domain_number[domain_key]}.{counts[domain_key]}"
    return numbers


def instrument_content(instrument: Instrument) -> InstrumentContent:
    key = version_key(instrument)
    content = _cache.get(key)
    if content is None:
        domains = tuple(instrument.domains.order_by("order"))
        by_id = {d.pk: d for d in domains}
        questions = []
        for question in instrument.questions.order_by("order"):
            question.domain = by_id[question.domain_id]
            question.instrument = instrument
            questions.append(question)
        for domain in domains:
            domain.instrument = instrument
        content = InstrumentContent(
            instrument=instrument, domains=domains, questions=tuple(questions)
        )
        with _lock:
            _cache[key] = content
    return content


def loaded_content(key: VersionKey) -> InstrumentContent | None:
    """The content of the version `key` when this process has read it already (no query)."""
    return _cache.get(key)


def instrument_spec(instrument: Instrument) -> scoring.InstrumentSpec:
    """The scoring spec of a loaded instrument version, built once per process."""
    return instrument_content(instrument).spec


def _build_spec(content: InstrumentContent) -> scoring.InstrumentSpec:
    instrument = content.instrument
    domains = tuple(
        scoring.DomainSpec(
            key=domain.key,
            # Decimal -> Fraction through str, so 0.1 stays exactly one tenth.
            weight=Fraction(str(domain.weight)),
            target=domain.target if domain.target is not None else instrument.default_target,
        )
        for domain in content.domains
    )
    questions = tuple(
        scoring.QuestionSpec(
            key=question.key,
            domain=question.domain.key,
            type=question.type,
            weight=Fraction(str(question.weight)),
            critical=question.critical,
            allow_na=question.allow_na,
            # Scores are stored as JSON ints or short decimals: str() keeps them exact.
            options=tuple(
                scoring.OptionSpec(value=str(o["value"]), score=Fraction(str(o["score"])))
                for o in question.options
            ),
            show_if=scoring.ShowIf(
                question=question.show_if_question, values=frozenset(question.show_if_values)
            )
            if question.show_if_question
            else None,
        )
        for question in content.questions
    )
    return scoring.InstrumentSpec(
        domains=domains,
        questions=questions,
        # Decimal -> Fraction through str: 0.75 is exactly three quarters.
        blocker_below=Fraction(str(instrument.blocker_below)),
    )
