"""The questions of an instrument version, held in memory.

A loaded instrument version never changes (instruments.py refuses to), so its domains and
questions can be read once per process and shared by every page that shows them. This
keeps the number of queries per page independent of the number of questions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from assessments.models import Domain, Instrument, Question

_cache: dict[tuple[int, str], InstrumentContent] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class InstrumentContent:
    domains: tuple[Domain, ...]
    questions: tuple[Question, ...]

    def domain(self, key: str) -> Domain | None:
        return next((d for d in self.domains if d.key == key), None)

    def questions_of(self, domain_key: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.domain.key == domain_key)

    @cached_property
    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}


def instrument_content(instrument: Instrument) -> InstrumentContent:
    key = (instrument.pk, instrument.content_hash)
    content = _cache.get(key)
    if content is None:
        domains = tuple(Domain.objects.filter(instrument=instrument).order_by("order"))
        by_id = {d.pk: d for d in domains}
        questions = []
        for question in Question.objects.filter(instrument=instrument).order_by("order"):
            question.domain = by_id[question.domain_id]
            question.instrument = instrument
            questions.append(question)
        for domain in domains:
            domain.instrument = instrument
        content = InstrumentContent(domains=domains, questions=tuple(questions))
        with _lock:
            _cache[key] = content
    return content
