"""Carrying answers over to another version of an instrument: the one rule, and the plan.

A next round on a newer version, moving an open draft to a newer version (versions.py), the
round page and the "new"/"changed" marks on the questionnaire all ask the same question,
`question_carries_over`, and read the same plan.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import User

from assessments.content import instrument_content
from assessments.models import Answer, Assessment, AuditEntry, Instrument, Question
from assessments.scoring import NA


def answer_label(question: Question | None, value: str) -> str:
    """An answer as people read it: its option label, "Not applicable", or the value itself."""
    if not value:
        return ""
    if value == NA:
        return "Not applicable"
    if question is None:
        return value
    return question.option_label(value)


# The one rule for "does an answer carry over to another version of the instrument?", used
# by the next round, by moving a draft to a newer version, by the round page and by the marks
# on the questionnaire. Keys are the codes of QuestionChange reasons; values are shown.
REASONS: dict[str, str] = {
    "new": "New question in this version",
    "removed": "No longer asked in this version",
    "type": "The type of answer changed",
    "options": "The answer options or their scores changed",
    "show_if": "The condition for showing the question changed",
    "critical": "The critical-safeguard flag changed",
    "na": "“Not applicable” is no longer allowed",
}


def _option_set(question: Question) -> frozenset[tuple[str, Fraction]]:
    return frozenset((str(o["value"]), Fraction(str(o["score"]))) for o in question.options)


def _show_if(question: Question) -> tuple[str, frozenset[str]]:
    return question.show_if_question, frozenset(str(v) for v in question.show_if_values or ())


def question_carries_over(
    old: Question | None, new: Question | None, value: str = ""
) -> str | None:
    """None when an answer to `old` stays valid as an answer to `new`; else why not (a REASONS key).

    It carries over when the key exists in the new version with the same type, the same
    options and scores (as a set of (value, score)), the same `show_if` and the same
    critical flag: edited text, help, labels, recommendation or references do not matter,
    since the answer means the same and scores the same. An N/A answer also needs N/A allowed.
    """
    if new is None:
        return "removed"
    if old is None:
        return "new"
    if old.type != new.type:
        return "type"
    if _option_set(old) != _option_set(new):
        return "options"
    if _show_if(old) != _show_if(new):
        return "show_if"
    if old.critical != new.critical:
        return "critical"
    if value == NA and not new.allow_na:
        return "na"
    return None


@dataclass(frozen=True)
class PlanItem:
    """A question the plan cannot carry an answer to, or a new one, for the round page."""

    key: str
    text: str
    domain_key: str
    domain_title: str
    reason: str  # a REASONS key
    old_answer: str = ""  # the answer left behind, as it was shown

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


@dataclass(frozen=True)
class CarryPlan:
    """What starting the next round on `instrument` would carry over and leave behind."""

    instrument: Instrument
    carried: tuple[tuple[Question, Answer], ...]  # (question of the new version, old answer)
    dropped: tuple[str, ...]  # question keys whose old answer cannot be carried
    new_questions: tuple[str, ...]  # keys only the new version has
    left_behind: tuple[PlanItem, ...] = ()  # the dropped answers, with the reason
    new_items: tuple[PlanItem, ...] = ()  # the new questions, with their domain
    changed_items: tuple[PlanItem, ...] = ()  # kept keys that start unanswered (any answer)
    from_version: str = ""

    @property
    def carried_count(self) -> int:
        return len(self.carried)

    @property
    def by_domain(self) -> list[tuple[str, list[PlanItem], list[PlanItem]]]:
        """(domain title, answers left behind, new questions) for each domain with either."""
        order: list[str] = []
        left: dict[str, list[PlanItem]] = {}
        new: dict[str, list[PlanItem]] = {}
        for item in (*self.new_items, *self.left_behind):
            if item.domain_title not in order:
                order.append(item.domain_title)
        for item in self.left_behind:
            left.setdefault(item.domain_title, []).append(item)
        for item in self.new_items:
            new.setdefault(item.domain_title, []).append(item)
        return [(title, left.get(title, []), new.get(title, [])) for title in order]


def plan_from_answers(
    *,
    old_instrument: Instrument,
    instrument: Instrument,
    answers: list[Answer],
) -> CarryPlan:
    """The carry-over plan of `answers` (of `old_instrument`) onto `instrument`; no queries
    beyond the instruments' cached content."""
    old_content = instrument_content(old_instrument)
    new_content = instrument_content(instrument)
    old_by_id = {q.pk: q for q in old_content.questions}
    new_by_key = new_content.by_key
    carried: list[tuple[Question, Answer]] = []
    left: list[tuple[Question, PlanItem]] = []
    for answer in answers:
        if not (answer.value or answer.comment or answer.evidence):
            continue
        old_q = old_by_id.get(answer.question_id)
        if old_q is None:
            continue
        question = new_by_key.get(old_q.key)
        reason = question_carries_over(old_q, question, answer.value)
        if question is not None and reason is None:
            carried.append((question, answer))
            continue
        # A removed question is listed under its old domain; a changed one under its new one.
        shown = question or old_q
        left.append(
            (
                old_q,
                PlanItem(
                    key=old_q.key,
                    text=shown.text,
                    domain_key=shown.domain.key,
                    domain_title=shown.domain.title,
                    reason=reason or "removed",
                    old_answer=answer_label(old_q, answer.value),
                ),
            )
        )
    old_by_key = old_content.by_key
    new_items = tuple(
        PlanItem(q.key, q.text, q.domain.key, q.domain.title, "new")
        for q in new_content.questions
        if q.key not in old_by_key
    )
    changed_items = tuple(
        PlanItem(q.key, q.text, q.domain.key, q.domain.title, reason)
        for q in new_content.questions
        if q.key in old_by_key
        and (reason := question_carries_over(old_by_key[q.key], q)) is not None
    )
    order = {q.key: i for i, q in enumerate(new_content.questions)}
    old_order = {q.key: i for i, q in enumerate(old_content.questions)}
    carried.sort(key=lambda pair: order[pair[0].key])
    left.sort(key=lambda pair: old_order[pair[0].key])
    return CarryPlan(
        instrument=instrument,
        carried=tuple(carried),
        dropped=tuple(item.key for _, item in left),
        new_questions=tuple(item.key for item in new_items),
        left_behind=tuple(item for _, item in left),
        new_items=new_items,
        changed_items=changed_items,
        from_version=old_instrument.version,
    )


def carry_over_plan(*, previous: Assessment, instrument: Instrument) -> CarryPlan:
    """Map an assessment's answers onto `instrument` by question key (1 query).

    `previous` is the round before for a next round, or the draft itself when it moves to
    a newer version; `question_carries_over` decides each answer.
    """
    answers = list(Answer.objects.filter(assessment=previous).order_by("pk"))
    return plan_from_answers(
        old_instrument=previous.instrument, instrument=instrument, answers=answers
    )


# The audit entry that records an assessment changing instrument version (a next round on a
# newer version, or a draft moved to one). The history and the questionnaire's marks read it.
VERSION_SUBJECT = "version"


def carried_answers(*, assessment: Assessment, plan: CarryPlan, new_round: bool) -> list[Answer]:
    """The plan's carried answers as rows of `assessment`, on the new version's questions.

    A new round starts each at revision 1, marked carried over until someone confirms it; a
    draft moved to another version keeps each answer's revision and mark.
    """
    return [
        Answer(
            assessment=assessment,
            question=question,
            value=old.value,
            comment=old.comment,
            evidence=old.evidence,
            answered_by_id=old.answered_by_id,
            answered_at=old.answered_at,
            revision=1 if new_round else old.revision,
            carried_over=True if new_round else old.carried_over,
        )
        for question, old in plan.carried
    ]


def version_entry(
    *,
    assessment: Assessment,
    user: User | None,
    at: datetime.datetime,
    old: Instrument,
    new: Instrument,
    plan: CarryPlan,
) -> AuditEntry:
    return AuditEntry(
        assessment=assessment,
        user=user,
        at=at,
        action=AuditEntry.Action.STATUS,
        subject=VERSION_SUBJECT,
        old={"instrument": old.title, "version": old.version},
        new={
            "instrument": new.title,
            "version": new.version,
            "carried over": plan.carried_count,
            "not carried over": len(plan.left_behind),
            "new questions": len(plan.new_items),
        },
    )
