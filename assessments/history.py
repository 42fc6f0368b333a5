"""The History page's lines: the audit trail as people read it.

The audit keeps every saved change (PRODUCT.md). Read one by one, a person trying three
options or correcting a comment fills the page with steps nobody meant as a decision, so
one person's consecutive changes to one answer, each within `GROUP_WINDOW` of the one
before and made the same way (the pages, or the API), are one line: the value before the
first and after the last, with every step a click away. Pure: works on the entries and
questions the view has already fetched.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assessments.audit_source import Via
from assessments.models import AuditEntry, Question

GROUP_WINDOW = datetime.timedelta(minutes=2)


@dataclass(frozen=True)
class HistoryStep:
    entry: AuditEntry
    question: Question | None


@dataclass
class HistoryLine:
    """One line of the History page: one entry, or a run of one person's changes to one answer."""

    steps: list[HistoryStep] = field(default_factory=list)  # newest first, as the page

    @property
    def entry(self) -> AuditEntry:
        return self.steps[0].entry

    @property
    def question(self) -> Question | None:
        return self.steps[0].question

    @property
    def first_question(self) -> Question | None:
        return self.steps[-1].question

    @property
    def old(self) -> Any:
        return self.steps[-1].entry.old

    @property
    def new(self) -> Any:
        return self.steps[0].entry.new

    @property
    def grouped(self) -> bool:
        return len(self.steps) > 1

    @property
    def via_api(self) -> bool:
        """Made through the REST API (assessments/audit_source.py), not the app's pages."""
        return self.entry.via == Via.API

    @property
    def started_at(self) -> datetime.datetime:
        return self.steps[-1].entry.at

    @property
    def in_order(self) -> list[HistoryStep]:
        """The steps oldest first, as they happened."""
        return self.steps[::-1]

    def takes(self, step: HistoryStep) -> bool:
        """Whether `step`, the next older entry of the same answer, continues this run."""
        entry, first = step.entry, self.steps[-1]
        return (
            entry.user_id is not None
            and entry.user_id == first.entry.user_id
            # A script's writes and the person's own clicks are told apart.
            and entry.via == first.entry.via
            # A move to another version in between: its labels are another question's.
            and step.question is first.question
            and first.entry.at - entry.at <= GROUP_WINDOW
        )


def history_lines(
    entries: Sequence[AuditEntry], questions: Mapping[int, Question | None]
) -> list[HistoryLine]:
    """The entries (newest first) as lines, each run of changes to one answer folded into one.

    A run is broken by anyone else changing that answer, or by a pause of more than
    `GROUP_WINDOW`; changes to other answers in between do not break it, and the line stands
    where its latest change is.
    """
    lines: list[HistoryLine] = []
    # The line each answer's next older change may join: the latest line about it so far.
    open_runs: dict[str, HistoryLine] = {}
    for entry in entries:
        step = HistoryStep(entry=entry, question=questions.get(entry.pk))
        if entry.action != AuditEntry.Action.ANSWER:
            lines.append(HistoryLine(steps=[step]))
            continue
        run = open_runs.get(entry.subject)
        if run is not None and run.takes(step):
            run.steps.append(step)
            continue
        line = HistoryLine(steps=[step])
        lines.append(line)
        open_runs[entry.subject] = line
    return lines
