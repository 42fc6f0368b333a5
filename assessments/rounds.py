"""Reassessment rounds: the next round prefilled from a submitted one, and what changed.

The next round starts as a copy of the previous round's answers, each marked carried over
until someone confirms or changes it (answers_save and answers_confirm_carried_over clear the
mark). On a newer version of the same instrument the answers are mapped by question key: a
question the new version no longer has, or a value it no longer allows, is left behind, and
new questions start unanswered.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from assessments.content import instrument_content
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    Instrument,
    Question,
)
from assessments.scoring import LEVEL_NAMES, NA
from assessments.services import RoundTaken, assessment_round_taken


class RoundError(Exception):
    """The next round cannot be started as asked; the message says why."""


class RoundAlreadyStarted(RoundError):
    """A draft next round of this assessment exists already (`assessment`)."""

    def __init__(self, assessment: Assessment) -> None:
        super().__init__(f"The next round was already started: {assessment.round_label}.")
        self.assessment = assessment


# --- versions ---------------------------------------------------------------------------------


def version_key(version: str) -> tuple[Any, ...]:
    """Order "1.10" after "1.9": numeric parts compare as numbers, others as text."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", version))


def next_round_instruments(previous: Assessment) -> list[Instrument]:
    """The versions of the previous round's instrument its organisation may use, from the
    previous version on, newest last (1 query)."""
    organisation_id = previous.site.organisation_id
    candidates = Instrument.objects.filter(slug=previous.instrument.slug).filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id)
    )
    floor = version_key(previous.instrument.version)
    usable = [i for i in candidates if version_key(i.version) >= floor]
    return sorted(usable, key=lambda i: version_key(i.version))


# --- carrying answers over ----------------------------------------------------------------------


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
                    old_answer=_label(old_q, answer.value),
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


_SEASONS = {"spring": "autumn", "autumn": "spring"}


def suggest_round_label(label: str) -> str:
    """A name for the round after `label`: "2026 spring" -> "2026 autumn", "Round 2" -> "Round 3"."""
    season = re.fullmatch(r"(\d{4}) (spring|autumn)", label.strip(), flags=re.IGNORECASE)
    if season:
        year, name = int(season.group(1)), season.group(2).lower()
        return f"{year + 1 if name == 'autumn' else year} {_SEASONS[name]}"
    numbered = re.fullmatch(r"(.*?)(\d+)", label.strip())
    if numbered:
        return f"{numbered.group(1)}{int(numbered.group(2)) + 1}"
    return f"{label.strip()} (next round)"[:100]


def assessment_start_next_round(
    *,
    previous: Assessment,
    user: User | None,
    instrument: Instrument | None = None,
    round_label: str | None = None,
    round_date: datetime.date | None = None,
) -> Assessment:
    """Start the round after a submitted one: a draft on the same site, prefilled.

    Every copied answer is marked carried over (revision 1, its original author kept) and
    audited as imported; the new round points back at `previous`. `instrument` may be a
    newer version of the same instrument that the organisation can use; answers are then
    mapped by question key (see `carry_over_plan`). Targets are kept for domains that remain.
    """
    if previous.status != Assessment.Status.SUBMITTED:
        raise RoundError("Only a submitted assessment can start the next round.")
    instrument = instrument or previous.instrument
    if instrument.pk not in {i.pk for i in next_round_instruments(previous)}:
        raise RoundError(
            "The next round must use the same instrument, in the same or a newer version "
            "that the organisation can use."
        )
    label = (round_label or suggest_round_label(previous.round_label)).strip()[:100]
    date = round_date or max(timezone.localdate(), previous.round_date)
    plan = carry_over_plan(previous=previous, instrument=instrument)
    domain_keys = {d.key for d in instrument_content(instrument).domains}
    now = timezone.now()
    with transaction.atomic():
        # One next round at a time: two clicks (or two people) must not start two drafts.
        Assessment.objects.select_for_update().filter(pk=previous.pk).first()
        pending = previous.next_rounds.exclude(status=Assessment.Status.SUBMITTED).first()
        if pending is not None:
            raise RoundAlreadyStarted(pending)
        try:
            # A savepoint: the same round started another way a moment ago breaks the
            # one-round-per-site constraint; say so instead of failing.
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    site=previous.site,
                    instrument=instrument,
                    round_label=label,
                    round_date=date,
                    previous=previous,
                    created_by=user,
                    targets={k: v for k, v in (previous.targets or {}).items() if k in domain_keys},
                    revision=1,
                )
        except IntegrityError as exc:
            taken = assessment_round_taken(
                site=previous.site, instrument_slug=instrument.slug, round_label=label
            )
            raise RoundTaken(taken, label) from exc
        answers = [
            Answer(
                assessment=assessment,
                question=question,
                value=old.value,
                comment=old.comment,
                evidence=old.evidence,
                answered_by_id=old.answered_by_id,
                answered_at=old.answered_at,
                revision=1,
                carried_over=True,
            )
            for question, old in plan.carried
        ]
        Answer.objects.bulk_create(answers)
        note = f"Carried over from {previous.round_label}"
        audit = []
        if instrument.pk != previous.instrument_id:
            # First, so that the history reads every later entry with the new version.
            audit.append(
                version_entry(
                    assessment=assessment,
                    user=user,
                    at=now,
                    old=previous.instrument,
                    new=instrument,
                    plan=plan,
                )
            )
        audit += [
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.CREATED,
                new={
                    "round": label,
                    "instrument": f"{instrument.slug} {instrument.version}",
                    "previous round": previous.round_label,
                    "carried over": len(answers),
                    "left behind": ", ".join(plan.dropped) or "none",
                },
            )
        ]
        audit.extend(
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.IMPORTED,
                subject=answer.question.key,
                old=None,
                new={**answer.snapshot(), "note": note},
            )
            for answer in answers
        )
        AuditEntry.objects.bulk_create(audit)
    return assessment


# --- what changed between two rounds ------------------------------------------------------------


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


@dataclass
class QuestionChange:
    key: str
    text: str
    domain_title: str
    old_value: str
    old_label: str
    new_value: str
    new_label: str
    status: str  # improved | slipped | other | unchanged
    note: str = ""
    changed_by: str = ""
    changed_at: datetime.datetime | None = None
    carried_unconfirmed: bool = False


GROUPS = (
    ("improved", "Improved"),
    ("slipped", "Slipped"),
    ("other", "Other changes"),
    ("unchanged", "Unchanged"),
)


@dataclass
class RoundDiff:
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


def _label(question: Question | None, value: str) -> str:
    if not value:
        return ""
    if value == NA:
        return "Not applicable"
    if question is None:
        return value
    return question.option_label(value)


def _points(question: Question | None, value: str) -> Fraction | None:
    """The normalised score of an answer, or None where it is not comparable."""
    if question is None or not value or value == NA or question.type == Question.Type.TEXT:
        return None
    scores = {o["value"]: Fraction(str(o["score"])) for o in question.options}
    top = max(scores.values(), default=Fraction(0))
    if value not in scores or top == 0:
        return None
    return scores[value] / top


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _results(
    assessment: Assessment, stored: list[DomainResult], values: dict[str, str]
) -> tuple[dict[str, tuple[Decimal | None, int | None]], Decimal | None, int | None, str, bool]:
    """Domain scores and the overall result: stored for a submitted round, live otherwise."""
    if assessment.status == Assessment.Status.SUBMITTED and stored:
        return (
            {d.domain_key: (d.score, d.level) for d in stored},
            assessment.result_score,
            assessment.result_level,
            assessment.result_verdict,
            False,
        )
    result = assessment.compute_results(values)
    return (
        {d.key: (d.score, d.level) for d in result.domains},
        result.overall_score,
        result.overall_level,
        result.verdict or "",
        True,
    )


def round_diff(*, assessment: Assessment) -> RoundDiff:
    """Per domain the change in score and level, per question what changed and who did it.

    Three queries whatever the size: the answers of both rounds (with who answered), the
    stored domain results of both, and the current round's answer changes in the audit trail.
    """
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
    stored: dict[int, list[DomainResult]] = {previous.pk: [], assessment.pk: []}
    for result in DomainResult.objects.filter(assessment_id__in=[previous.pk, assessment.pk]):
        stored[result.assessment_id].append(result)
    old_domains, old_overall, old_level, old_verdict, _ = _results(
        previous, stored[previous.pk], {k: a.value for k, a in old_answers.items()}
    )
    new_domains, new_overall, new_level, new_verdict, live = _results(
        assessment, stored[assessment.pk], {k: a.value for k, a in new_answers.items()}
    )

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
        old_overall=old_overall,
        new_overall=new_overall,
        old_level=old_level,
        new_level=new_level,
        old_verdict=old_verdict,
        new_verdict=new_verdict,
        current_is_live=live,
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
    questions: list[tuple[str, Question | None, Question | None]] = [
        (q.key, old_by_key.get(q.key), q) for q in new_content.questions
    ]
    questions += [
        (q.key, q, None) for q in old_content.questions if q.key not in new_content.by_key
    ]
    for key, old_q, new_q in questions:
        old_answer, new_answer = old_answers.get(key), new_answers.get(key)
        old_value = old_answer.value if old_answer else ""
        new_value = new_answer.value if new_answer else ""
        if not old_value and not new_value:
            continue
        shown = new_q or old_q
        assert shown is not None
        change = QuestionChange(
            key=key,
            text=shown.text,
            domain_title=shown.domain.title,
            old_value=old_value,
            old_label=_label(old_q, old_value),
            new_value=new_value,
            new_label=_label(new_q, new_value),
            status="unchanged",
            carried_unconfirmed=bool(new_answer and new_answer.carried_over),
        )
        if new_q is None:
            change.status, change.note = "other", "No longer asked in this version"
        elif old_q is None:
            change.status, change.note = "other", "New question in this version"
        elif old_value != new_value:
            before, after = _points(old_q, old_value), _points(new_q, new_value)
            if before is not None and after is not None and before != after:
                change.status = "improved" if after > before else "slipped"
            elif before is not None and after is not None:
                change.status = "unchanged"
            else:
                change.status = "other"
                if not new_value:
                    change.note = "Not answered in this round"
                elif not old_value:
                    change.note = "Not answered in the previous round"
        if new_answer is not None and (old_value != new_value or not new_answer.carried_over):
            latest = last_change.get(key)
            if latest is not None:
                change.changed_by, change.changed_at = _person(latest.user), latest.at
            else:
                change.changed_by = _person(new_answer.answered_by)
                change.changed_at = new_answer.answered_at
        diff.groups[change.status].append(change)
    return diff
