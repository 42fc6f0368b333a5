"""What changed between two rounds of an assessment: per domain and per question, and who.

The round page (assessments/rounds_views.py) shows it. Scores are the stored results of a
submitted round and live ones of a draft (assessments/results.py); whether an answer
improved or slipped is decided on the normalised score of scoring.py.

In independent mode the blind rule (respondents/blind.py) holds for whoever reads it: the
current answers of a domain the reader still answers are hidden ("Hidden while you answer
this domain": no value, direction, author or carried-over mark), until they mark their part
done. The previous round's answers and the scores stay, as on the results page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from django.db import models

from assessments.carry_over import CarryPlan, answer_label, plan_from_answers
from assessments.content import instrument_content
from assessments.display import display_name
from assessments.models import Answer, Assessment, AuditEntry, Question
from assessments.results import AssessmentResults, assessment_results, to_decimal
from assessments.rounds import RoundError
from assessments.scoring import LEVEL_NAMES, QuestionSpec, normalised_score


@dataclass
class DomainChange:
    key: str
    title: str
    old_score: Decimal | None
    old_level: int | None
    new_score: Decimal | None
    new_level: int | None
    only_in: str = ""  # "previous" or "current" when the domain is in one version only

    @property
    def change(self) -> Decimal | None:
        if self.old_score is None or self.new_score is None:
            return None
        return self.new_score - self.old_score

    @property
    def direction(self) -> str:
        change = self.change
        if change is None:
            return ""
        return "up" if change > 0 else "down" if change < 0 else "same"

    @property
    def old_level_name(self) -> str:
        return LEVEL_NAMES.get(self.old_level or 0, "")

    @property
    def new_level_name(self) -> str:
        return LEVEL_NAMES.get(self.new_level or 0, "")


class ChangeStatus(models.TextChoices):
    """What happened to an answer since the previous round; the round page groups by it."""

    IMPROVED = "improved", "Improved"
    SLIPPED = "slipped", "Slipped"
    OTHER = "other", "Other changes"
    UNCHANGED = "unchanged", "Unchanged"


@dataclass
class QuestionChange:
    key: str
    text: str
    domain_title: str
    old_value: str
    old_label: str
    new_value: str
    new_label: str
    status: ChangeStatus
    note: str = ""
    changed_by: str = ""
    changed_at: datetime.datetime | None = None
    carried_unconfirmed: bool = False
    number: str = ""  # "7.4", in the version that asks it (InstrumentContent.numbers)


HIDDEN = "Hidden while you answer this domain"

GROUPS = tuple((status.value, status.label) for status in ChangeStatus)


@dataclass
class RoundDiff:
    # For templates: {% if key == diff.Status.UNCHANGED %}.
    Status: ClassVar[type[ChangeStatus]] = ChangeStatus

    previous: Assessment
    current: Assessment
    old_overall: Decimal | None
    new_overall: Decimal | None
    old_level: int | None
    new_level: int | None
    old_verdict: str
    new_verdict: str
    current_is_live: bool  # scored from the draft's answers, not from a submission
    domains: list[DomainChange]
    groups: dict[str, list[QuestionChange]] = field(default_factory=dict)
    # Across versions: what could not be carried over and why, and the new questions.
    plan: CarryPlan | None = None

    @property
    def overall_change(self) -> Decimal | None:
        if self.old_overall is None or self.new_overall is None:
            return None
        return self.new_overall - self.old_overall

    @property
    def carried_unconfirmed(self) -> int:
        return sum(1 for items in self.groups.values() for q in items if q.carried_unconfirmed)

    @property
    def grouped(self) -> list[tuple[str, str, list[QuestionChange]]]:
        return [(key, title, self.groups.get(key, [])) for key, title in GROUPS]


def _points(question: QuestionSpec | None, value: str) -> Fraction | None:
    """The normalised score of an answer, or None where it is not comparable."""
    return None if question is None else normalised_score(question, value)


def _domain_results(results: AssessmentResults) -> dict[str, tuple[Decimal | None, int | None]]:
    return {
        key: (to_decimal(domain.get("score")), domain.get("level"))
        for key, domain in results.domains.items()
    }


def round_diff(*, assessment: Assessment, viewer_id: int | None = None) -> RoundDiff:
    """Per domain the change in score and level, per question what changed and who did it.

    Two queries whatever the size: the answers of both rounds (with who answered) and the
    current round's answer changes in the audit trail (a third in independent mode for a
    `viewer_id`: the assignments, for the blind rule). Results come from
    assessments/results.py: stored for a submitted round, live for a draft.
    """
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.blind import blind_rule

    blind = blind_rule(assessment, viewer_id=viewer_id) if viewer_id is not None else None
    previous = assessment.previous
    if previous is None:
        raise RoundError("This assessment has no previous round.")
    old_content = instrument_content(previous.instrument)
    new_content = instrument_content(assessment.instrument)
    old_by_id = {q.pk: q for q in old_content.questions}
    new_by_id = {q.pk: q for q in new_content.questions}
    old_answers: dict[str, Answer] = {}
    new_answers: dict[str, Answer] = {}
    for answer in Answer.objects.filter(
        assessment_id__in=[previous.pk, assessment.pk]
    ).select_related("answered_by"):
        if answer.assessment_id == previous.pk and answer.question_id in old_by_id:
            old_answers[old_by_id[answer.question_id].key] = answer
        elif answer.assessment_id == assessment.pk and answer.question_id in new_by_id:
            new_answers[new_by_id[answer.question_id].key] = answer
    old_results = assessment_results(previous, {k: a.value for k, a in old_answers.items()})
    new_results = assessment_results(assessment, {k: a.value for k, a in new_answers.items()})
    old_domains = _domain_results(old_results)
    new_domains = _domain_results(new_results)

    domains: list[DomainChange] = []
    old_domain_keys = {d.key for d in old_content.domains}
    for domain in new_content.domains:
        old = old_domains.get(domain.key, (None, None))
        new = new_domains.get(domain.key, (None, None))
        domains.append(
            DomainChange(
                key=domain.key,
                title=domain.title,
                old_score=old[0],
                old_level=old[1],
                new_score=new[0],
                new_level=new[1],
                only_in="" if domain.key in old_domain_keys else "current",
            )
        )
    new_domain_keys = {d.key for d in new_content.domains}
    for domain in old_content.domains:
        if domain.key not in new_domain_keys:
            old = old_domains.get(domain.key, (None, None))
            domains.append(
                DomainChange(domain.key, domain.title, old[0], old[1], None, None, "previous")
            )

    # The latest change of each answer in this round, and who made it.
    last_change: dict[str, AuditEntry] = {}
    entries = (
        AuditEntry.objects.filter(assessment=assessment, action=AuditEntry.Action.ANSWER)
        .select_related("user")
        .order_by("-at", "-pk")
    )
    for entry in entries:
        last_change.setdefault(entry.subject, entry)

    diff = RoundDiff(
        previous=previous,
        current=assessment,
        old_overall=old_results.overall_score,
        new_overall=new_results.overall_score,
        old_level=old_results.overall_level,
        new_level=new_results.overall_level,
        old_verdict=old_results.verdict or "",
        new_verdict=new_results.verdict or "",
        current_is_live=new_results.live,
        domains=domains,
        groups={key: [] for key, _ in GROUPS},
    )
    if previous.instrument_id != assessment.instrument_id:
        diff.plan = plan_from_answers(
            old_instrument=previous.instrument,
            instrument=assessment.instrument,
            answers=sorted(old_answers.values(), key=lambda a: a.pk),
        )
    old_by_key = old_content.by_key
    old_specs = {q.key: q for q in previous.instrument.spec().questions}
    new_specs = {q.key: q for q in assessment.instrument.spec().questions}
    questions: list[tuple[str, Question | None, Question | None]] = [
        (q.key, old_by_key.get(q.key), q) for q in new_content.questions
    ]
    questions += [
        (q.key, q, None) for q in old_content.questions if q.key not in new_content.by_key
    ]
    for key, old_q, new_q in questions:
        old_answer, new_answer = old_answers.get(key), new_answers.get(key)
        hidden = (
            blind is not None and new_q is not None and not blind.shows_consensus(new_q.domain.key)
        )
        if hidden:
            new_answer = None  # nothing of it: not even whether there is one
        old_value = old_answer.value if old_answer else ""
        new_value = new_answer.value if new_answer else ""
        if not old_value and not new_value:
            continue
        shown = new_q or old_q
        assert shown is not None
        change = QuestionChange(
            key=key,
            number=(new_content if new_q else old_content).numbers[key],
            text=shown.text,
            domain_title=shown.domain.title,
            old_value=old_value,
            old_label=answer_label(old_q, old_value),
            new_value=new_value,
            new_label=answer_label(new_q, new_value),
            status=ChangeStatus.UNCHANGED,
            carried_unconfirmed=bool(new_answer and new_answer.carried_over),
        )
        if hidden:
            change.status, change.note, change.new_label = ChangeStatus.OTHER, HIDDEN, HIDDEN
        elif new_q is None:
            change.status, change.note = ChangeStatus.OTHER, "No longer asked in this version"
        elif old_q is None:
            change.status, change.note = ChangeStatus.OTHER, "New question in this version"
        elif old_value != new_value:
            before = _points(old_specs.get(key), old_value)
            after = _points(new_specs.get(key), new_value)
            if before is not None and after is not None and before != after:
                change.status = ChangeStatus.IMPROVED if after > before else ChangeStatus.SLIPPED
            elif before is not None and after is not None:
                change.status = ChangeStatus.UNCHANGED
            else:
                change.status = ChangeStatus.OTHER
                if not new_value:
                    change.note = "Not answered in this round"
                elif not old_value:
                    change.note = "Not answered in the previous round"
        if new_answer is not None and (old_value != new_value or not new_answer.carried_over):
            latest = last_change.get(key)
            if latest is not None:
                change.changed_by, change.changed_at = display_name(latest.user), latest.at
            else:
                change.changed_by = display_name(new_answer.answered_by)
                change.changed_at = new_answer.answered_at
        diff.groups[change.status].append(change)
    return diff
